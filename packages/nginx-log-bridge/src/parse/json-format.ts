import { BridgeError, BridgeErrorCode } from '../errors.js';
import { precheck } from './log-format.js';
import type { LineParser, LogRecord, ParseResult } from './types.js';

/**
 * JSON field → nginx variable, for JSON access logs (`escape=json` formats). Keys are nginx
 * variable names (without `$`), values dotted paths into the JSON object.
 */
export type JsonMapping = Record<string, string>;

/**
 * The mapping used unless overridden: the field names of ingress-nginx's documented JSON log
 * format (Google Cloud `httpRequest` style). Top-level keys that already are nginx variable names
 * (`remote_addr`, `msec`, …) are taken as they are.
 */
export const DEFAULT_JSON_MAPPING: Readonly<JsonMapping> = Object.freeze({
  time_iso8601: 'timestamp',
  req_id: 'requestID',
  proxy_upstream_name: 'proxyUpstreamName',
  proxy_alternative_upstream_name: 'proxyAlternativeUpstreamName',
  upstream_status: 'upstreamStatus',
  upstream_addr: 'upstreamAddr',
  request_method: 'httpRequest.requestMethod',
  request_url: 'httpRequest.requestUrl',
  status: 'httpRequest.status',
  request_length: 'httpRequest.requestSize',
  body_bytes_sent: 'httpRequest.responseSize',
  http_user_agent: 'httpRequest.userAgent',
  remote_addr: 'httpRequest.remoteIp',
  http_referer: 'httpRequest.referer',
  request_time: 'httpRequest.latency',
  server_protocol: 'httpRequest.protocol',
  http_traceparent: 'httpRequest.traceParent',
});

function lookup(obj: Record<string, unknown>, path: string): unknown {
  if (!path.includes('.')) return obj[path];
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/**
 * Builds a parser for JSON access-log lines. `mapping` is merged over
 * {@link DEFAULT_JSON_MAPPING}; an empty JSON string becomes `-` (nginx's "none").
 *
 * @param mapping - nginx variable name → dotted JSON path
 * @example
 * const parser = createJsonParser({ req_id: 'id', msec: 'ts' });
 */
export function createJsonParser(mapping: JsonMapping = {}): LineParser {
  if (mapping === null || typeof mapping !== 'object' || Array.isArray(mapping)) {
    throw new BridgeError(BridgeErrorCode.BadJsonMapping, 'json mapping: expected an object of strings');
  }
  for (const [k, v] of Object.entries(mapping)) {
    if (typeof v !== 'string' || v === '') {
      throw new BridgeError(
        BridgeErrorCode.BadJsonMapping,
        `json mapping: "${k}" must map to a JSON path string`,
      );
    }
  }
  const entries = Object.entries({ ...DEFAULT_JSON_MAPPING, ...mapping });
  const mappedPaths = new Set(entries.map(([, path]) => path.split('.')[0]));
  return {
    variables: entries.map(([name]) => name),
    parse(line: string): ParseResult {
      const early = precheck(line);
      if (early !== undefined) return { ok: false, reason: early };
      let obj: unknown;
      try {
        obj = JSON.parse(line);
      } catch {
        return { ok: false, reason: 'invalid-json' };
      }
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj))
        return { ok: false, reason: 'invalid-json' };
      const source = obj as Record<string, unknown>;
      const record: LogRecord = {};
      for (const [key, value] of Object.entries(source)) {
        if (mappedPaths.has(key)) continue;
        const t = text(value);
        if (t !== undefined) record[key] = t === '' ? '-' : t;
      }
      for (const [name, path] of entries) {
        const t = text(lookup(source, path));
        if (t !== undefined) record[name] = t === '' ? '-' : t;
      }
      return { ok: true, record };
    },
  };
}
