import type { IncomingMessage } from 'node:http';
import { createGunzip, createInflate } from 'node:zlib';
import { CollectorErrorCode, createError } from '../../errors.js';

export interface ReadBodyOptions {
  /** Largest body accepted, after decompression (and before it, on the wire). */
  maxBytes: number;
  /**
   * Memory shared by the bodies being read at once: `take(n)` is called per (inflated) chunk and
   * returns false when the budget is spent, which refuses the request with 429.
   */
  budget?: { take(bytes: number): boolean };
  /** Retry-After for a refusal by the budget. */
  retryAfterSeconds?: number;
}

function tooLarge(maxBytes: number): Error {
  return createError(CollectorErrorCode.PayloadTooLarge, `request body exceeds ${maxBytes} bytes`, {
    statusCode: 413,
  });
}

/**
 * Reads a request body into one Buffer, inflating `gzip` / `deflate` bodies on the fly and
 * stopping as soon as the limit is passed, on the wire or after decompression: a gzip bomb costs
 * at most `maxBytes` of memory, never its inflated size. Rejects with a CollectorError (413, 415,
 * 400).
 */
export function readBody(req: IncomingMessage, options: ReadBodyOptions): Promise<Buffer> {
  const { maxBytes } = options;
  return new Promise((resolve, reject) => {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > maxBytes) {
      reject(tooLarge(maxBytes));
      req.resume();
      return;
    }
    const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    let source: NodeJS.ReadableStream & { destroy?: (e?: Error) => void };
    let inflater: ReturnType<typeof createGunzip> | undefined;
    if (encoding === 'gzip' || encoding === 'x-gzip') inflater = createGunzip();
    else if (encoding === 'deflate') inflater = createInflate();
    else if (encoding !== 'identity' && encoding !== '') {
      reject(
        createError(CollectorErrorCode.UnsupportedEncoding, `unsupported content-encoding '${encoding}'`, {
          statusCode: 415,
        }),
      );
      req.resume();
      return;
    }
    let wire = 0;
    let size = 0;
    const chunks: Buffer[] = [];
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      chunks.length = 0;
      if (inflater) {
        req.unpipe(inflater);
        inflater.destroy();
      }
      req.resume(); // drain the rest so that the response can be written on this connection
      reject(err);
    };
    if (inflater) {
      req.on('data', (c: Buffer) => {
        wire += c.length;
        if (wire > maxBytes) fail(tooLarge(maxBytes));
      });
      req.pipe(inflater);
      source = inflater;
      inflater.on('error', (e) =>
        fail(
          createError(CollectorErrorCode.BadRequest, `malformed ${encoding} body: ${e.message}`, {
            statusCode: 400,
            cause: e,
          }),
        ),
      );
    } else {
      source = req;
    }
    source.on('data', (c: Buffer) => {
      if (settled) return;
      size += c.length;
      if (size > maxBytes) {
        fail(tooLarge(maxBytes));
        return;
      }
      if (options.budget !== undefined && !options.budget.take(c.length)) {
        fail(
          createError(CollectorErrorCode.QueueFull, 'too many request bodies in memory; retry later', {
            statusCode: 429,
            retryAfterSeconds: options.retryAfterSeconds,
          }),
        );
        return;
      }
      chunks.push(c);
    });
    source.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    });
    req.on('error', (e) =>
      fail(
        createError(CollectorErrorCode.BadRequest, `request aborted: ${e.message}`, {
          statusCode: 400,
          cause: e,
        }),
      ),
    );
  });
}
