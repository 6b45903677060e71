import { readFileSync } from 'node:fs';
import type { TLSSocket } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { CollectorConfig } from '../config/index.js';
import { CollectorErrorCode, createError } from '../errors.js';

export interface TlsMaterial {
  key: Buffer;
  cert: Buffer;
  ca?: Buffer;
  clientAuth: boolean;
  allowedSubjects: readonly string[];
}

function read(path: string, option: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const message = `${option}: cannot read ${path}: ${(err as Error).message}`;
    throw createError(CollectorErrorCode.Config, message, { cause: err });
  }
}

/** Reads the PEM files named by the config (undefined when TLS is off). Fails fast at start-up. */
export function loadTlsMaterial(config: Readonly<CollectorConfig>): TlsMaterial | undefined {
  if (config.tlsCert === undefined || config.tlsKey === undefined) return undefined;
  return {
    cert: read(config.tlsCert, '--tls-cert'),
    key: read(config.tlsKey, '--tls-key'),
    ca: config.tlsCa === undefined ? undefined : read(config.tlsCa, '--tls-ca'),
    clientAuth: config.tlsClientAuth,
    allowedSubjects: config.tlsAllowedSubjects,
  };
}

/** Options for Fastify's `https`: a client without a certificate signed by the CA fails the handshake. */
export function httpsOptions(tls: TlsMaterial): {
  key: Buffer;
  cert: Buffer;
  ca?: Buffer;
  requestCert: boolean;
  rejectUnauthorized: boolean;
} {
  return {
    key: tls.key,
    cert: tls.cert,
    ca: tls.ca,
    requestCert: tls.clientAuth,
    rejectUnauthorized: tls.clientAuth,
  };
}

export function grpcCredentials(tls: TlsMaterial | undefined): grpc.ServerCredentials {
  if (tls === undefined) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(
    tls.ca ?? null,
    [{ private_key: tls.key, cert_chain: tls.cert }],
    tls.clientAuth,
  );
}

/** The subject CN of a verified peer certificate ('' when none). */
export function peerSubject(socket: unknown): string {
  const s = socket as Partial<TLSSocket> | undefined;
  if (s === undefined || typeof s.getPeerCertificate !== 'function') return '';
  const cert = s.getPeerCertificate();
  const cn = cert?.subject?.CN;
  return Array.isArray(cn) ? (cn[0] ?? '') : (cn ?? '');
}
