import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import type { TracesConsumer } from '../../consumer.js';
import { isCollectorError } from '../../errors.js';
import type { CollectorMetrics } from '../../metrics/index.js';
import {
  decodeTracesJson,
  decodeTracesProtobuf,
  encodeResponseJson,
  encodeResponseProtobuf,
  encodeStatusProtobuf,
  exportTraces,
} from '../otlp/index.js';
import { readBody } from './read-body.js';

export const RECEIVER_NAME = 'otlp-http';

export interface OtlpHttpReceiverOptions {
  pipeline: TracesConsumer;
  /** Largest request body, after decompression. */
  maxBodyBytes: number;
  /** True while the pipeline cannot take more (requests are refused before their body is read). */
  isOverloaded?: () => boolean;
  retryAfterSeconds: number;
  /**
   * Bytes of request bodies held in memory at once (read or being decoded); beyond it requests are
   * refused with 429. A lone request may always use up to `maxBodyBytes`.
   */
  maxInflightBytes?: number;
  metrics?: CollectorMetrics;
}

const kHeld = Symbol('crosstrace.heldBodyBytes');

interface Held {
  bytes: number;
  released: boolean;
}

type Encoding = 'protobuf' | 'json';

function encodingOf(contentType: string | undefined): Encoding | undefined {
  if (contentType === undefined) return undefined;
  const mime = contentType.split(';', 1)[0].trim().toLowerCase();
  if (mime === 'application/x-protobuf' || mime === 'application/protobuf') return 'protobuf';
  if (mime === 'application/json') return 'json';
  return undefined;
}

/** gRPC status codes used in google.rpc.Status bodies. */
function grpcCodeFor(status: number): number {
  if (status === 400 || status === 413 || status === 415) return 3; // INVALID_ARGUMENT
  if (status === 401) return 16; // UNAUTHENTICATED
  if (status === 403) return 7; // PERMISSION_DENIED
  if (status === 429) return 8; // RESOURCE_EXHAUSTED
  if (status === 503) return 14; // UNAVAILABLE
  return 13; // INTERNAL
}

/** Sends an OTLP/HTTP error: a google.rpc.Status in the request's encoding, Retry-After when retryable. */
export function sendOtlpError(
  reply: FastifyReply,
  encoding: Encoding,
  statusCode: number,
  message: string,
  retryAfterSeconds?: number,
): FastifyReply {
  reply.code(statusCode);
  if (retryAfterSeconds !== undefined && (statusCode === 429 || statusCode === 503)) {
    reply.header('retry-after', String(retryAfterSeconds));
  }
  const code = grpcCodeFor(statusCode);
  if (encoding === 'protobuf') {
    return reply.type('application/x-protobuf').send(Buffer.from(encodeStatusProtobuf(code, message)));
  }
  return reply.type('application/json').send({ code, message });
}

/**
 * Registers `POST /v1/traces` (OTLP/HTTP, protobuf and JSON, gzip/deflate bodies) in an
 * encapsulated context of `app`, so that its raw-body parser does not affect other routes.
 *
 * @example
 * await app.register(otlpHttpReceiver, { pipeline, maxBodyBytes: 64 << 20, retryAfterSeconds: 1 });
 */
export async function otlpHttpReceiver(
  app: FastifyInstance,
  options: OtlpHttpReceiverOptions,
): Promise<void> {
  const { pipeline, maxBodyBytes, isOverloaded, retryAfterSeconds, metrics } = options;
  const maxInflightBytes = options.maxInflightBytes ?? Number.POSITIVE_INFINITY;
  let inflightBytes = 0;
  const release = (req: object) => {
    const held = (req as { [kHeld]?: Held })[kHeld];
    if (held === undefined || held.released) return;
    held.released = true;
    inflightBytes -= held.bytes;
  };
  app.addHook('onResponse', async (req) => release(req));
  app.addHook('onRequestAbort', async (req) => release(req));
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (req, payload, done) => {
    if (encodingOf(req.headers['content-type']) === undefined) {
      // Answered 415 by the handler; the body is not worth reading.
      payload.resume();
      done(null, undefined);
      return;
    }
    const held: Held = { bytes: 0, released: false };
    (req as unknown as { [kHeld]?: Held })[kHeld] = held;
    const budget = {
      take(bytes: number): boolean {
        held.bytes += bytes;
        inflightBytes += bytes;
        return inflightBytes <= maxInflightBytes || inflightBytes === held.bytes;
      },
    };
    readBody(payload, { maxBytes: maxBodyBytes, budget, retryAfterSeconds }).then(
      (body) => done(null, body),
      (err: Error) => done(err as FastifyError, undefined),
    );
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const encoding = encodingOf(req.headers['content-type']) ?? 'json';
    if (isCollectorError(err)) {
      return sendOtlpError(reply, encoding, err.statusCode, err.message, err.retryAfterSeconds);
    }
    const status =
      err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) req.log.error({ err }, 'otlp-http receiver failed');
    return sendOtlpError(reply, encoding, status, status === 500 ? 'internal error' : err.message);
  });

  if (metrics !== undefined) {
    app.addHook('onResponse', async (req, reply) => {
      if (req.method === 'POST')
        metrics.requests.inc({ receiver: RECEIVER_NAME, code: String(reply.statusCode) });
    });
  }

  if (isOverloaded !== undefined) {
    app.addHook('onRequest', async (req, reply) => {
      if (req.method === 'POST' && isOverloaded()) {
        const encoding = encodingOf(req.headers['content-type']) ?? 'json';
        reply.header('connection', 'close');
        return sendOtlpError(reply, encoding, 429, 'ingest queue is full; retry later', retryAfterSeconds);
      }
    });
  }

  app.post('/v1/traces', async (req, reply) => {
    const encoding = encodingOf(req.headers['content-type']);
    if (encoding === undefined) {
      return sendOtlpError(
        reply,
        'json',
        415,
        `unsupported content-type '${req.headers['content-type'] ?? ''}'; use application/x-protobuf or application/json`,
      );
    }
    const body = req.body as Buffer | undefined;
    let decoded: ReturnType<typeof decodeTracesProtobuf>;
    if (encoding === 'protobuf') {
      decoded = decodeTracesProtobuf(body ?? Buffer.alloc(0));
    } else {
      let parsed: unknown;
      try {
        parsed = JSON.parse((body ?? Buffer.alloc(0)).toString('utf8'));
      } catch (err) {
        return sendOtlpError(reply, encoding, 400, `malformed JSON: ${(err as Error).message}`);
      }
      decoded = decodeTracesJson(parsed);
    }
    const outcome = await exportTraces(decoded, pipeline, RECEIVER_NAME, metrics);
    if (!outcome.ok) {
      const e = outcome.error;
      return sendOtlpError(
        reply,
        encoding,
        e.statusCode,
        e.message,
        e.retryAfterSeconds ?? retryAfterSeconds,
      );
    }
    reply.code(200);
    if (encoding === 'protobuf') {
      return reply.type('application/x-protobuf').send(Buffer.from(encodeResponseProtobuf(outcome.partial)));
    }
    return reply.type('application/json').send(encodeResponseJson(outcome.partial));
  });
}
