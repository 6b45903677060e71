import { writeFileSync } from 'node:fs';
import { benchLine } from './lines.js';

const n = Number(process.argv[3] ?? 1_000_000);
const parts: string[] = [];
for (let i = 0; i < n; i++) parts.push(benchLine(i));
writeFileSync(process.argv[2], parts.join(''));
