import { createHash } from 'node:crypto';

// Deterministic ids for spans the collector builds itself (same input → same ids, so a
// re-import replaces instead of duplicating).

function digest(parts: readonly string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\u0000');
  return h.digest('hex');
}

/** A 32-hex-digit trace id from the key parts (never all zeros). */
export function deriveTraceId(...parts: string[]): string {
  const id = digest(['trace', ...parts]).slice(0, 32);
  return /^0+$/.test(id) ? '00000000000000000000000000000001' : id;
}

/** A 16-hex-digit span id from the key parts (never all zeros). */
export function deriveSpanId(...parts: string[]): string {
  const id = digest(['span', ...parts]).slice(0, 16);
  return /^0+$/.test(id) ? '0000000000000001' : id;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The trace id an `auditID` stands for: the UUID's 32 hex digits (kube-apiserver's audit ids are
 * UUIDs), else a hash. The kube-apiserver OTLP span with attribute `audit-id` is moved into the
 * same trace by the stitching processor.
 */
export function traceIdFromAuditId(auditId: string): string {
  const id = auditId.trim().toLowerCase();
  if (UUID.test(id) && id.replaceAll('-', '') !== '0'.repeat(32)) return id.replaceAll('-', '');
  return deriveTraceId('audit', id);
}

/** The span id of the audit span of `auditId`. */
export function spanIdFromAuditId(auditId: string): string {
  return deriveSpanId('audit', auditId.trim().toLowerCase());
}
