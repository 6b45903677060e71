// Kubernetes files are read as streams of documents: JSON lines, pretty concatenated JSON, Lists
// item by item, YAML document by document; bad documents are counted, never fatal.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { readDocuments } from '../../src/import/index.js';

const dir = mkdtempSync(join(tmpdir(), 'ct-read-docs-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

async function read(name: string, text: string) {
  const path = join(dir, name);
  writeFileSync(path, text);
  const out: unknown[] = [];
  const bad: string[] = [];
  for await (const d of readDocuments(path, { maxDocumentBytes: 4096 })) {
    if ('bad' in d) bad.push(d.bad);
    else out.push(d.value);
  }
  return { out, bad };
}

const pod = (i: number) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: `p${i}`, namespace: 'shop' },
});

t.test('JSON lines: one document a line, a bad line counted', async (t) => {
  const r = await read('a.jsonl', `${JSON.stringify(pod(1))}\n{"kind":"Pod",\n\n${JSON.stringify(pod(2))}\n`);
  t.same(
    r.out.map((p) => (p as { metadata: { name: string } }).metadata.name),
    ['p1', 'p2'],
  );
  t.same(r.bad, ['invalid-json']);
});

t.test('pretty concatenated JSON (kubectl get -w -o json) and a List, item by item', async (t) => {
  const watch = [1, 2, 3].map((i) => JSON.stringify({ type: 'ADDED', object: pod(i) }, null, 2)).join('\n');
  const r = await read('w.json', watch);
  t.equal(r.out.length, 3);
  t.same(r.bad, []);
  const items = Array.from({ length: 2000 }, (_, i) => pod(i));
  const list = await read(
    'l.json',
    JSON.stringify({ apiVersion: 'v1', items, kind: 'List', metadata: {} }, null, 1),
  );
  t.equal(list.out.length, 2000, 'each item handed over on its own');
  t.same(list.out[1999], pod(1999));
  const truncated = await read(
    't.json',
    `${JSON.stringify(pod(1), null, 2)}\n{ "kind": "Pod", "metadata": {`,
  );
  t.equal(truncated.out.length, 1, 'what came before the syntax error is kept');
  t.same(truncated.bad, ['invalid-json']);
  const scalars = await read('s.json', '[1, 2]\n{"x": [1]}');
  t.same(scalars.out, [[1, 2], { x: [1] }]);
});

t.test('YAML: document by document, a bad or oversized one counted', async (t) => {
  const r = await read(
    'y.yaml',
    `# a comment\napiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\nkind: [unclosed\n---\n${'x: 1\n'.repeat(2000)}---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: b\n...\n`,
  );
  t.same(
    r.out.map((p) => (p as { metadata: { name: string } }).metadata.name),
    ['a', 'b'],
  );
  t.same(r.bad.sort(), ['document-too-large', 'invalid-yaml']);
});
