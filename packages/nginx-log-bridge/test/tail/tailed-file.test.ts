import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { TailedFile } from '../../src/tail/tailed-file.js';

function file(t: { teardown(fn: () => void): void }, content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ct-bridge-tail-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'access.log');
  writeFileSync(path, content);
  return path;
}

t.test('an ASCII chunk offers its bytes and where each line starts', async (t) => {
  const lines = ['10.0.0.1 - - "GET / HTTP/1.1" 200', 'second line\r', 'third'];
  const f = await TailedFile.open(file(t, `${lines.join('\n')}\n`), 0);
  t.ok(f);
  if (f === undefined) return;
  t.teardown(() => f.close());
  const chunk = await f.readChunk();
  t.same(chunk?.lines, ['10.0.0.1 - - "GET / HTTP/1.1" 200', 'second line', 'third'], 'CR dropped');
  const ascii = chunk?.ascii;
  t.ok(ascii, 'ASCII lines come with their bytes');
  if (ascii === undefined || chunk === undefined) return;
  for (const [i, line] of chunk.lines.entries()) {
    const start = ascii.starts[i];
    t.equal(Buffer.from(ascii.bytes.subarray(start, start + line.length)).toString('latin1'), line);
  }
  t.same(chunk.ends, [34, 47, 53], 'the offset after each newline');
});

t.test('a chunk with a non-ASCII byte is decoded as UTF-8 and offers no bytes', async (t) => {
  const f = await TailedFile.open(file(t, 'plain line\n"Mözilla/5.0" ✓\nlast\n'), 0);
  t.ok(f);
  if (f === undefined) return;
  t.teardown(() => f.close());
  const chunk = await f.readChunk();
  t.same(chunk?.lines, ['plain line', '"Mözilla/5.0" ✓', 'last']);
  t.equal(chunk?.ascii, undefined);
});
