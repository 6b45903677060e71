import { LAYER_ATTRIBUTE, Layer } from '@crosstrace/contract';
import type { AttributeValue } from '@opentelemetry/api';
import type { AttributeGroupKind } from './attribute-group.js';
import { AttributeList } from './attribute-list.js';
import { splitUpstreamName } from './upstream-name.js';

/**
 * Everything the SERVER span attributes shared by requests of one class are made from: the
 * upstream, the method, the protocol, the status, the host, TLS. Built as one object literal per
 * line (every field required, so none can be left out), compared in full by {@link SERVER_GROUP}.
 */
export interface ServerGroupKey {
  readonly upstreamName: string | undefined;
  readonly method: string | undefined;
  /** Whether `method` is one OpenTelemetry names (else it is `_OTHER`). */
  readonly knownMethod: boolean;
  /** `ms` with `$msec`, `s` with a time in seconds. */
  readonly precision: string;
  readonly scheme: string | undefined;
  readonly protocol: string | undefined;
  readonly status: number | undefined;
  readonly host: string | undefined;
  readonly alternative: string | undefined;
  readonly sslProtocol: string | undefined;
  readonly cipher: string | undefined;
  readonly verify: string | undefined;
  readonly traceFlags: number;
  /** The span options' namespaces (compared by identity: one array per bridge). */
  readonly namespaces: readonly string[] | undefined;
}

const TLS_PROTOCOL = /^(TLS|SSL)v?([\d.]+)$/i;

function serverEntries(k: ServerGroupKey): readonly (string | AttributeValue)[] {
  const attrs = new AttributeList();
  attrs.add(LAYER_ATTRIBUTE, Layer.Ingress);
  attrs.add('crosstrace.ingress.time_precision', k.precision);
  if (k.method !== undefined) {
    attrs.add('http.request.method', k.knownMethod ? k.method : '_OTHER');
    if (!k.knownMethod) attrs.add('http.request.method_original', k.method);
  }
  if (k.scheme !== undefined) attrs.add('url.scheme', k.scheme);
  if (k.protocol?.startsWith('HTTP/')) {
    attrs.add('network.protocol.name', 'http');
    attrs.add('network.protocol.version', k.protocol.slice(5));
  }
  if (k.status !== undefined) attrs.add('http.response.status_code', k.status);
  if (k.host !== undefined) attrs.add('server.address', k.host);
  if (k.upstreamName !== undefined) {
    attrs.add('crosstrace.ingress.upstream', k.upstreamName);
    const service = splitUpstreamName(k.upstreamName, k.namespaces);
    if (service !== undefined) {
      attrs.add('k8s.namespace.name', service.namespace);
      attrs.add('k8s.service.name', service.service);
      attrs.add('crosstrace.k8s.service.port', service.port);
    }
  }
  if (k.alternative !== undefined) attrs.add('crosstrace.ingress.alternative_upstream', k.alternative);
  if (k.sslProtocol !== undefined) {
    const m = TLS_PROTOCOL.exec(k.sslProtocol);
    attrs.add('tls.established', true);
    attrs.add('tls.protocol.name', m ? m[1].toLowerCase() : k.sslProtocol);
    if (m) attrs.add('tls.protocol.version', m[2]);
  }
  if (k.cipher !== undefined) attrs.add('tls.cipher', k.cipher);
  if (k.verify !== undefined) {
    attrs.add('crosstrace.tls.client_verify', k.verify);
    attrs.add('crosstrace.tls.client_authenticated', k.verify === 'SUCCESS');
  }
  if (k.traceFlags === 0) attrs.add('crosstrace.ingress.unsampled', true);
  if (k.status !== undefined && k.status >= 500) attrs.add('error.type', String(k.status));
  return attrs.entries;
}

/** The SERVER span's attribute group: listed by upstream, every field of the key compared. */
export const SERVER_GROUP: AttributeGroupKind<ServerGroupKey> = {
  head: (k) => k.upstreamName,
  same: (a, b) =>
    a.upstreamName === b.upstreamName &&
    a.method === b.method &&
    a.knownMethod === b.knownMethod &&
    a.precision === b.precision &&
    a.scheme === b.scheme &&
    a.protocol === b.protocol &&
    a.status === b.status &&
    a.host === b.host &&
    a.alternative === b.alternative &&
    a.sslProtocol === b.sslProtocol &&
    a.cipher === b.cipher &&
    a.verify === b.verify &&
    a.traceFlags === b.traceFlags &&
    a.namespaces === b.namespaces,
  entries: serverEntries,
};
