import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import t from 'tap';
import { CollectorErrorCode } from '../../../src/errors.js';
import { readBody } from '../../../src/receivers/otlp-http/index.js';

/** A request whose body is pulled chunk by chunk from `chunks`, counting what was pulled. */
function fakeRequest(
  chunks: Buffer[],
  headers: Record<string, string>,
): { req: IncomingMessage; pulled: () => number } {
  let pulled = 0;
  // One chunk per event-loop turn, as from a socket: draining after a refusal cannot run ahead.
  async function* gen() {
    for (const c of chunks) {
      await new Promise((r) => setImmediate(r));
      pulled += c.length;
      yield c;
    }
  }
  const req = Object.assign(Readable.from(gen(), { objectMode: false }), {
    headers,
  }) as unknown as IncomingMessage;
  return { req, pulled: () => pulled };
}

t.test('a gzip bomb is refused after inflating the limit, not the bomb', async (t) => {
  // 64 gzip members of 16 MiB of zeros: 1 GiB inflated, ~1 MiB on the wire.
  const member = gzipSync(Buffer.alloc(16 * 1024 * 1024));
  const chunks = Array.from({ length: 64 }, () => member);
  const wire = member.length * 64;
  const { req, pulled } = fakeRequest(chunks, { 'content-encoding': 'gzip' });
  let pulledAtRefusal = -1;
  await t.rejects(
    readBody(req, { maxBytes: 1024 * 1024 }).catch((err) => {
      pulledAtRefusal = pulled();
      throw err;
    }),
    { code: CollectorErrorCode.PayloadTooLarge, statusCode: 413 },
  );
  // The rest is drained (cheap, not inflated) so that the 413 can be written on the connection.
  t.ok(pulledAtRefusal < wire / 4, `refused after ${pulledAtRefusal} of ${wire} compressed bytes`);
});

t.test('gzip, deflate and identity bodies; limits on the wire and inflated', async (t) => {
  const text = Buffer.from('{"resourceSpans":[]}');
  t.same(
    await readBody(fakeRequest([gzipSync(text)], { 'content-encoding': 'gzip' }).req, { maxBytes: 1024 }),
    text,
  );
  const { deflateSync } = await import('node:zlib');
  t.same(
    await readBody(fakeRequest([deflateSync(text)], { 'content-encoding': 'deflate' }).req, {
      maxBytes: 1024,
    }),
    text,
  );
  t.same(
    await readBody(fakeRequest([text.subarray(0, 5), text.subarray(5)], {}).req, { maxBytes: 1024 }),
    text,
  );
  await t.rejects(readBody(fakeRequest([Buffer.alloc(2048)], {}).req, { maxBytes: 1024 }), {
    code: CollectorErrorCode.PayloadTooLarge,
    statusCode: 413,
  });
  await t.rejects(readBody(fakeRequest([], { 'content-length': '999999' }).req, { maxBytes: 1024 }), {
    code: CollectorErrorCode.PayloadTooLarge,
    statusCode: 413,
  });
  await t.rejects(readBody(fakeRequest([text], { 'content-encoding': 'zstd' }).req, { maxBytes: 1024 }), {
    code: CollectorErrorCode.UnsupportedEncoding,
    statusCode: 415,
  });
  await t.rejects(readBody(fakeRequest([text], { 'content-encoding': 'gzip' }).req, { maxBytes: 1024 }), {
    statusCode: 400,
    code: CollectorErrorCode.BadRequest,
  });
});

t.test('a spent memory budget refuses with 429', async (t) => {
  let left = 100;
  const budget = {
    take(n: number) {
      left -= n;
      return left >= 0;
    },
  };
  const ok = await readBody(fakeRequest([Buffer.alloc(60)], {}).req, { maxBytes: 1024, budget });
  t.equal(ok.length, 60);
  await t.rejects(
    readBody(fakeRequest([Buffer.alloc(60)], {}).req, { maxBytes: 1024, budget, retryAfterSeconds: 3 }),
    {
      code: CollectorErrorCode.QueueFull,
      statusCode: 429,
      retryAfterSeconds: 3,
    },
  );
});
