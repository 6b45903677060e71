import { SpanKind, type SpanStatus, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { kRecordVariables, type LogRecord } from '../parse/types.js';
import { ATTEMPT_GROUP, type AttemptGroupKey, attemptFailed } from './attempt-group.js';
import { AttributeGroupCache } from './attribute-group.js';
import { UnconsumedVariables, unconsumedKeys } from './consumed-variables.js';
import { KnownMethods } from './http-method.js';
import { IDS_ATTEMPTS, IDS_SERVER, LineIds, SPAN_ID_BYTES } from './line-ids.js';
import { type LineText, type TextSlots, TextSlotsCache, textAt } from './line-text.js';
import { loggedInteger, present, StatusReader } from './logged-values.js';
import type { LineSource, ToSpansOptions } from './options.js';
import { RequestLine } from './request-line.js';
import { ResourceCache } from './resource-cache.js';
import { SERVER_GROUP, type ServerGroupKey } from './server-group.js';
import { SpanAttributeKeys } from './span-attribute-keys.js';
import { SpanCollector } from './span-collector.js';
import { SpanNames } from './span-names.js';
import type { AttributeSink, SpanOut } from './span-out.js';
import { StringInterner } from './string-interner.js';
import { parseIso8601, parseSeconds, TimeLocalCache } from './time.js';
import { itemOf, singleUpstream, upstreamGroups, upstreamList } from './upstream-list.js';

const OK: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });
const SERVER_ERROR: SpanStatus = Object.freeze({ code: SpanStatusCode.ERROR });
const NO_GROUPS: readonly number[] = Object.freeze([]);

/**
 * Turns parsed access-log lines into ingress spans: one SERVER span for the request and one CLIENT
 * child per upstream attempt (`$upstream_addr`, aligned with `$upstream_status` and the
 * `$upstream_*_time` lists). Owns every cache and "last seen" value span building keeps (interned
 * upstream names, span names, resources, attribute groups, the ids of the line being built…): a
 * bridge makes one, so two bridges in one process share nothing.
 *
 * @example
 * const builder = new SpanBuilder();
 * const r = parseLine(line, { format: 'ingress-nginx' });
 * const spans = r.ok ? builder.spans(r.record, {}) : [];
 */
export class SpanBuilder {
  private readonly keys = new SpanAttributeKeys();
  private readonly serverGroups = new AttributeGroupCache(SERVER_GROUP);
  private readonly attemptGroups = new AttributeGroupCache(ATTEMPT_GROUP);
  private readonly upstreamNames = new StringInterner();
  private readonly names = new SpanNames();
  private readonly methods = new KnownMethods();
  private readonly statuses = new StatusReader();
  private readonly resources = new ResourceCache();
  private readonly localTimes = new TimeLocalCache();
  private readonly unconsumed = new UnconsumedVariables();
  private readonly textSlots = new TextSlotsCache();
  private readonly request = new RequestLine();
  private readonly ids = new LineIds();

  /**
   * The spans of one parsed line as `ReadableSpan` objects; `[]` when the line has no usable time
   * (`$msec`, `$time_iso8601`, `$time_local`) or cannot be turned into spans. Never throws.
   *
   * @param record - a parsed line
   * @param options - resource and naming options (one object per source: the resource is remembered for it)
   * @param source - the line's file identity and offset (ids for lines without request id or trace context)
   */
  spans(record: LogRecord, options: ToSpansOptions, source?: LineSource): ReadableSpan[] {
    const out = new SpanCollector();
    try {
      this.build(record, options, source, out);
      return out.spans;
    } catch {
      return [];
    }
  }

  /**
   * Builds the spans of one line into `out`; returns how many (0 when the line has no usable
   * time). With `text` (the line's ASCII bytes and where its values are), values are read and
   * copied from the bytes. May throw on unexpected input: callers drop the line's spans then.
   */
  build(
    record: LogRecord,
    options: ToSpansOptions,
    source: LineSource | undefined,
    out: SpanOut,
    text?: LineText,
  ): number {
    // Timing.
    let endMs = parseSeconds(record.msec) * 1000;
    let precision = 'ms';
    if (Number.isNaN(endMs)) {
      precision = 's';
      endMs = record.time_iso8601 !== undefined ? parseIso8601(record.time_iso8601) : Number.NaN;
      if (Number.isNaN(endMs) && record.time_local !== undefined)
        endMs = this.localTimes.parse(record.time_local);
      if (Number.isNaN(endMs)) return 0;
    }
    const requestSeconds = parseSeconds(record.request_time);
    const startMs =
      Number.isFinite(requestSeconds) && requestSeconds >= 0 ? endMs - requestSeconds * 1000 : endMs;

    // Request and name.
    const slots = text === undefined ? undefined : this.textSlots.of(text.positions.variables);
    const request = this.request;
    request.read(record, text, slots);
    const upstreamName = this.upstreamNames.intern(present(record.proxy_upstream_name));
    const canonicalMethod = request.method === undefined ? undefined : this.methods.canonical(request.method);
    const knownMethod = canonicalMethod !== undefined;
    const method = canonicalMethod ?? request.method;
    const namePrefix = canonicalMethod ?? 'HTTP';
    const name = upstreamName === undefined ? namePrefix : this.names.nameOf(namePrefix, upstreamName);
    const status = this.statuses.read(record.status);

    // Identity.
    let requestId = present(record.req_id);
    let requestIdSlot = slots?.reqId ?? -1;
    if (requestId === undefined) {
      requestId = present(record.request_id);
      requestIdSlot = slots?.requestId ?? -1;
    }
    if (requestId === undefined) {
      requestId = present(record.http_x_request_id);
      requestIdSlot = slots?.xRequestId ?? -1;
    }
    const requestIdAt = requestId === undefined ? -1 : textAt(text, slots, requestIdSlot);
    const addrText = present(record.upstream_addr);
    const addrs = upstreamList(addrText);
    const attempts = addrs === undefined ? 0 : typeof addrs === 'string' ? 1 : addrs.length;
    const lineIds = this.ids;
    if (!lineIds.fill(record, source, requestId, text?.bytes, requestIdAt, attempts))
      throw new Error('no usable request id'); // (an over-long one): the line gives no spans
    const { bytes: ids, traceFlags } = lineIds;

    // The SERVER span.
    const resource = this.resources.resourceFor(options);
    const attrs = out.begin(
      name,
      SpanKind.SERVER,
      ids,
      IDS_SERVER,
      traceFlags,
      lineIds.serverParent,
      true,
      startMs,
      endMs,
      resource,
    );
    const serverKey: ServerGroupKey = {
      upstreamName,
      method,
      knownMethod,
      precision,
      scheme: present(record.scheme),
      protocol: request.protocol,
      status,
      host: request.host,
      alternative: present(record.proxy_alternative_upstream_name),
      sslProtocol: present(record.ssl_protocol),
      cipher: present(record.ssl_cipher),
      verify: present(record.ssl_client_verify),
      traceFlags,
      namespaces: options.namespaces,
    };
    attrs.group(this.serverGroups.groupOf(serverKey));
    this.serverAttributes(attrs, record, text, slots, requestId, requestIdAt);
    out.end(status !== undefined && status >= 500 ? SERVER_ERROR : OK);
    if (attempts === 0) return 1;

    // One CLIENT span per attempt. With one attempt (the usual line), nginx logs every
    // `$upstream_*` list with one value.
    const listOf = typeof addrs === 'string' ? singleUpstream : upstreamList;
    const statuses = listOf(record.upstream_status);
    const times = listOf(record.upstream_response_time);
    const connects = listOf(record.upstream_connect_time);
    const headers = listOf(record.upstream_header_time);
    const lengths = listOf(record.upstream_response_length);
    const groupOf = typeof addrs === 'string' ? NO_GROUPS : upstreamGroups(addrText!);
    const keys = this.keys;
    const { targetText, targetFrom, pathTo, targetAt } = request;
    let cursor = startMs;
    for (let i = 0; i < attempts; i++) {
      const seconds = parseSeconds(itemOf(times, i));
      const start = Math.min(cursor, endMs);
      const end = Math.min(Number.isFinite(seconds) && seconds >= 0 ? start + seconds * 1000 : start, endMs);
      cursor = end;
      const a = out.begin(
        name,
        SpanKind.CLIENT,
        ids,
        IDS_ATTEMPTS + SPAN_ID_BYTES * i,
        traceFlags,
        IDS_SERVER,
        false,
        start,
        end,
        resource,
      );
      const address = itemOf(addrs, i);
      const attemptStatus = this.statuses.read(itemOf(statuses, i));
      const attemptKey: AttemptGroupKey = {
        address,
        index: i,
        method,
        knownMethod,
        upstreamName,
        group: groupOf.length > i ? groupOf[i] : 0,
        status: attemptStatus,
      };
      a.group(this.attemptGroups.groupOf(attemptKey));
      if (targetText !== undefined) a.setSlice(keys.urlPath, targetText, targetFrom, pathTo, targetAt);
      const length = loggedInteger(itemOf(lengths, i));
      if (length !== undefined) a.set(keys.responseBodySize, length);
      const connect = parseSeconds(itemOf(connects, i));
      if (Number.isFinite(connect)) a.set(keys.connectTime, connect);
      const header = parseSeconds(itemOf(headers, i));
      if (Number.isFinite(header)) a.set(keys.headerTime, header);
      out.end(
        attemptFailed(address, attemptStatus)
          ? {
              code: SpanStatusCode.ERROR,
              message: attemptStatus === undefined ? 'no upstream response' : `upstream ${attemptStatus}`,
            }
          : OK,
      );
    }
    return 1 + attempts;
  }

  /** The SERVER span's attributes of its own (not in its group): the URL, sizes, client, user agent, ids, TLS names, other variables. */
  private serverAttributes(
    attrs: AttributeSink,
    record: LogRecord,
    text: LineText | undefined,
    slots: TextSlots | undefined,
    requestId: string | undefined,
    requestIdAt: number,
  ): void {
    const keys = this.keys;
    const { targetText, targetFrom, targetTo, pathTo, targetAt } = this.request;
    if (targetText !== undefined) {
      attrs.setSlice(keys.urlPath, targetText, targetFrom, pathTo, targetAt);
      if (pathTo < targetTo) {
        attrs.setSlice(
          keys.urlQuery,
          targetText,
          pathTo + 1,
          targetTo,
          targetAt < 0 ? -1 : targetAt + pathTo + 1 - targetFrom,
        );
      }
    }
    const bodySize = loggedInteger(record.body_bytes_sent);
    if (bodySize !== undefined) attrs.set(keys.responseBodySize, bodySize);
    const requestSize = loggedInteger(record.request_length);
    if (requestSize !== undefined) attrs.set(keys.requestSize, requestSize);
    let client = present(record.the_real_ip);
    let clientSlot = slots?.realIp ?? -1;
    if (client === undefined) {
      client = present(record.remote_addr);
      clientSlot = slots?.remoteAddr ?? -1;
    }
    if (client !== undefined) {
      const comma = client.indexOf(',');
      attrs.setText(
        keys.clientAddress,
        comma < 0 ? client : client.slice(0, comma),
        textAt(text, slots, clientSlot),
      );
    }
    const remoteUser = present(record.remote_user);
    if (remoteUser !== undefined) attrs.set(keys.enduserId, remoteUser);
    const ua = present(record.http_user_agent);
    if (ua !== undefined) attrs.setText(keys.userAgent, ua, textAt(text, slots, slots?.userAgent ?? -1));
    const referer = present(record.http_referer);
    if (referer !== undefined) attrs.set(keys.referer, [referer]);
    if (requestId !== undefined) attrs.setHeaderText(keys.requestId, requestId, requestIdAt);
    const subject = present(record.ssl_client_s_dn);
    if (subject !== undefined) attrs.set(keys.tlsSubject, subject);
    const issuer = present(record.ssl_client_i_dn);
    if (issuer !== undefined) attrs.set(keys.tlsIssuer, issuer);
    const variables = (record as { [kRecordVariables]?: readonly string[] })[kRecordVariables];
    for (const key of variables === undefined ? unconsumedKeys(record) : this.unconsumed.of(variables)) {
      const value = present(record[key]);
      if (value === undefined) continue;
      const header = key.startsWith('http_') || key.startsWith('sent_http_');
      attrs.set(keys.extra(key), header ? [value] : value);
    }
  }
}
