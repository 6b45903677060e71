import { LAYER_ATTRIBUTE, Layer } from '@crosstrace/contract';
import type { AttributeValue } from '@opentelemetry/api';
import type { AttributeGroupKind } from './attribute-group.js';
import { AttributeList } from './attribute-list.js';
import { splitAddress } from './upstream-address.js';

/**
 * Everything the CLIENT span attributes shared by attempts on one pod are made from: the address,
 * the attempt's position, the method, the upstream, the status. Built as one object literal per
 * attempt (every field required), compared in full by {@link ATTEMPT_GROUP}.
 */
export interface AttemptGroupKey {
  /** The attempt's `$upstream_addr` item. */
  readonly address: string | undefined;
  /** The attempt's position (0 for the first). */
  readonly index: number;
  readonly method: string | undefined;
  readonly knownMethod: boolean;
  readonly upstreamName: string | undefined;
  /** The attempt's group: 0 before the first internal redirect (` : `), 1 after it… */
  readonly group: number;
  readonly status: number | undefined;
}

/** An attempt without an address, without a response or answered with a 5xx failed. */
export function attemptFailed(address: string | undefined, status: number | undefined): boolean {
  return status === undefined || status >= 500 || address === undefined;
}

function attemptEntries(k: AttemptGroupKey): readonly (string | AttributeValue)[] {
  const a = new AttributeList();
  a.add(LAYER_ATTRIBUTE, Layer.Ingress);
  a.add('crosstrace.ingress.timing', 'estimated');
  a.add('http.request.resend_count', k.index);
  if (k.method !== undefined) a.add('http.request.method', k.knownMethod ? k.method : '_OTHER');
  if (k.address !== undefined) {
    const s = splitAddress(k.address);
    a.add('server.address', s.address);
    if (s.port !== undefined) a.add('server.port', s.port);
    if (s.transport !== undefined) a.add('network.transport', s.transport);
  }
  if (k.upstreamName !== undefined) a.add('crosstrace.ingress.upstream', k.upstreamName);
  if (k.group > 0) a.add('crosstrace.ingress.upstream_group', k.group);
  if (k.status !== undefined) a.add('http.response.status_code', k.status);
  if (attemptFailed(k.address, k.status))
    a.add('error.type', k.status === undefined ? 'no_response' : String(k.status));
  return a.entries;
}

/** The CLIENT span's attribute group: listed by address, every field of the key compared. */
export const ATTEMPT_GROUP: AttributeGroupKind<AttemptGroupKey> = {
  head: (k) => k.address,
  same: (a, b) =>
    a.address === b.address &&
    a.index === b.index &&
    a.method === b.method &&
    a.knownMethod === b.knownMethod &&
    a.upstreamName === b.upstreamName &&
    a.group === b.group &&
    a.status === b.status,
  entries: attemptEntries,
};
