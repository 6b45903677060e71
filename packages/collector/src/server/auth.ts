import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { peerSubject } from './tls.js';

export interface AccessOptions {
  /** Bearer token required (undefined = none). */
  token?: string;
  /** Allowed client certificate CNs (empty = any verified client). */
  allowedSubjects?: readonly string[];
  /** Paths open to everyone (health checks). */
  publicPaths?: readonly string[];
  /** Further paths open to everyone (the web UI's assets: they carry no data). */
  isPublic?: (path: string) => boolean;
  /** How to answer a refusal (the OTLP receiver answers in OTLP's shape). */
  refuse?: (req: FastifyRequest, reply: FastifyReply, statusCode: 401 | 403, message: string) => FastifyReply;
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time check of an `Authorization: Bearer …` header. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  if (header === undefined) return false;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  if (m === null) return false;
  return timingSafeEqual(digest(m[1]), digest(token));
}

/** 401 without a valid bearer token, 403 for a client certificate whose subject is not allowed. */
export function checkAccess(
  options: AccessOptions,
  authorization: string | undefined,
  socket: unknown,
): { statusCode: 401 | 403; message: string } | undefined {
  const subjects = options.allowedSubjects ?? [];
  if (subjects.length > 0) {
    const cn = peerSubject(socket);
    if (!subjects.includes(cn))
      return { statusCode: 403, message: `client certificate subject '${cn}' is not allowed` };
  }
  if (options.token !== undefined && !bearerMatches(authorization, options.token)) {
    return {
      statusCode: 401,
      message: authorization === undefined ? 'missing bearer token' : 'invalid bearer token',
    };
  }
  return undefined;
}

/** Adds an onRequest hook enforcing `options` on every route of `app` but the public paths. */
export function addAccessHook(app: FastifyInstance, options: AccessOptions): void {
  if (options.token === undefined && (options.allowedSubjects ?? []).length === 0) return;
  const open = new Set(options.publicPaths ?? []);
  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?', 1)[0];
    if (open.has(path) || options.isPublic?.(path)) return;
    const refusal = checkAccess(options, req.headers.authorization, req.raw.socket);
    if (refusal === undefined) return;
    if (refusal.statusCode === 401) reply.header('www-authenticate', 'Bearer');
    if (options.refuse) return options.refuse(req, reply, refusal.statusCode, refusal.message);
    return reply.code(refusal.statusCode).send({ error: refusal.message });
  });
}
