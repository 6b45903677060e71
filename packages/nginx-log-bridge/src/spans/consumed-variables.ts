import type { LogRecord } from '../parse/types.js';

// Variables span building turns into named attributes; every other logged variable is kept as
// `nginx.<name>` (or a request / response header attribute).
const CONSUMED = new Set([
  'remote_addr',
  'the_real_ip',
  'remote_user',
  'time_local',
  'time_iso8601',
  'msec',
  'request',
  'request_method',
  'request_uri',
  'request_url',
  'uri',
  'args',
  'server_protocol',
  'scheme',
  'status',
  'body_bytes_sent',
  'request_length',
  'request_time',
  'host',
  'http_referer',
  'http_user_agent',
  'http_traceparent',
  'http_x_request_id',
  'req_id',
  'request_id',
  'proxy_upstream_name',
  'proxy_alternative_upstream_name',
  'upstream_addr',
  'upstream_status',
  'upstream_response_time',
  'upstream_connect_time',
  'upstream_header_time',
  'upstream_response_length',
  'ssl_protocol',
  'ssl_cipher',
  'ssl_client_verify',
  'ssl_client_s_dn',
  'ssl_client_i_dn',
  'otel_trace_id',
  'otel_span_id',
  'otel_parent_id',
  'opentelemetry_trace_id',
  'opentelemetry_span_id',
]);

/** The keys of a record made elsewhere (JSON lines, a caller's object) that are kept as plain attributes. */
export function unconsumedKeys(record: LogRecord): string[] {
  const keys: string[] = [];
  for (const key in record) if (!CONSUMED.has(key)) keys.push(key);
  return keys;
}

/** The variables of a compiled format that are kept as plain attributes, remembered for the variables seen last. */
export class UnconsumedVariables {
  private lastVariables: readonly string[] | undefined;
  private lastUnconsumed: readonly string[] = [];

  of(variables: readonly string[]): readonly string[] {
    if (variables !== this.lastVariables) {
      this.lastUnconsumed = variables.filter((v) => !CONSUMED.has(v));
      this.lastVariables = variables;
    }
    return this.lastUnconsumed;
  }
}
