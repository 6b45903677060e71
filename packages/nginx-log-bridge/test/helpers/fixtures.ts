import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The lines of a fixture in test/fixtures (empty lines dropped). */
export function fixtureLines(name: string): string[] {
  const path = fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
}
