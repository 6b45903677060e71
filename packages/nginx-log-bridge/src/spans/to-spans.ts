import * as crypto from 'node:crypto';
import { ingressSpanIdBytes, LAYER_ATTRIBUTE, Layer } from '@crosstrace/contract';
import {
  type Attributes,
  type AttributeValue,
  type HrTime,
  type SpanContext,
  SpanKind,
  type SpanStatus,
  SpanStatusCode,
} from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import { type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';
import { kRecordVariables, type LogRecord, type ValuePositions } from '../parse/types.js';
import { VERSION } from '../version.js';
import { type AttributeGroup, AttributeGroupCache } from './attribute-group.js';
import { AttributeKey } from './attribute-key.js';
import { AttributeList, kAttributeList } from './attribute-list.js';
import { decimalNumber, msToHrTime, parseIso8601, parseSeconds, parseTimeLocal } from './time.js';
import { parseTraceparent, validSpanId, validTraceId } from './traceparent.js';

/** Where a line came from, for ids of lines that carry no request id or trace context. */
export interface LineSource {
  /** A stable identity of the file (device, inode and a fingerprint of its first line). */
  id: string;
  /** Byte offset of the line in that file. */
  offset: number;
}

/** Options of {@link toSpans}. */
export interface ToSpansOptions {
  /** Resource `service.name` (default `ingress-nginx`). */
  serviceName?: string;
  /** Extra resource attributes (`k8s.pod.name`, …). */
  resourceAttributes?: Attributes;
  /** The line's file identity and offset: ids for lines without request id or trace context. */
  source?: LineSource;
  /** Kubernetes namespaces known to contain `-`, to split `$proxy_upstream_name` correctly. */
  namespaces?: readonly string[];
}

/** The instrumentation scope of the bridge's spans. */
export const SCOPE: InstrumentationScope = { name: '@crosstrace/nginx-log-bridge', version: VERSION };
const OK: SpanStatus = { code: SpanStatusCode.UNSET };
const NO_LINKS: never[] = [];
const NO_EVENTS: TimedEvent[] = [];
// Known method → the same string as a constant: spans then share one string object per method,
// upstream and name (see interned), which the encoder's per-attribute cache compares by identity.
const KNOWN_METHODS = new Map(
  ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'].map((m) => [m, m]),
);

const internTable = new Map<string, string>();
// The value interned last: consecutive lines mostly name the same upstream, and comparing with it
// costs less than hashing the line's fresh substring for the table.
let lastInterned = '';

/** One string object per distinct low-cardinality value (upstream names), bounded. */
function interned(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value === lastInterned) return lastInterned;
  const known = internTable.get(value);
  if (known !== undefined) {
    lastInterned = known;
    return known;
  }
  if (internTable.size >= 1024) internTable.clear();
  internTable.set(value, value);
  lastInterned = value;
  return value;
}

/** The method found last (lines mostly share theirs). */
let lastMethod = 'GET';

/** The constant string of a known HTTP method equal to `method`, else undefined. */
function canonicalMethodOf(method: string): string | undefined {
  if (method === lastMethod) return lastMethod;
  const known = KNOWN_METHODS.get(method);
  if (known !== undefined) lastMethod = known;
  return known;
}

const names = new Map<string, Map<string, string>>();
// The pair named last: its parts are constant or interned strings, so `===` is a pointer check.
let lastPrefix = '';
let lastUpstream = '';
let lastSpanName = '';

/** `<method> <upstream>`, one string object per pair (bounded). */
function spanName(prefix: string, upstream: string): string {
  if (prefix === lastPrefix && upstream === lastUpstream) return lastSpanName;
  lastPrefix = prefix;
  lastUpstream = upstream;
  lastSpanName = spanNameOf(prefix, upstream);
  return lastSpanName;
}

function spanNameOf(prefix: string, upstream: string): string {
  let byUpstream = names.get(prefix);
  if (byUpstream === undefined) {
    byUpstream = new Map();
    names.set(prefix, byUpstream);
  }
  let name = byUpstream.get(upstream);
  if (name === undefined) {
    name = `${prefix} ${upstream}`;
    if (byUpstream.size >= 1024) byUpstream.clear();
    byUpstream.set(upstream, name);
  }
  return name;
}

class IngressSpan implements ReadableSpan {
  readonly links = NO_LINKS;
  readonly events = NO_EVENTS;
  readonly ended = true;
  readonly instrumentationScope = SCOPE;
  readonly droppedAttributesCount = 0;
  readonly droppedEventsCount = 0;
  readonly droppedLinksCount = 0;
  readonly startTime: HrTime;
  readonly endTime: HrTime;
  readonly parentSpanContext: SpanContext | undefined;
  private readonly context: SpanContext;
  readonly [kAttributeList]: AttributeList;
  private attributesObject: Attributes | undefined;

  // Computed when asked (the OTLP encoder never asks): one array less per span.
  get duration(): HrTime {
    return msToHrTime(this.endMs - this.startMs);
  }

  get attributes(): Attributes {
    this.attributesObject ??= this[kAttributeList].toAttributes();
    return this.attributesObject;
  }

  constructor(
    readonly name: string,
    readonly kind: SpanKind,
    context: SpanContext,
    parent: SpanContext | undefined,
    private readonly startMs: number,
    private readonly endMs: number,
    readonly status: SpanStatus,
    list: AttributeList,
    readonly resource: Resource,
  ) {
    this[kAttributeList] = list;
    this.context = context;
    this.parentSpanContext = parent;
    this.startTime = msToHrTime(startMs);
    this.endTime = msToHrTime(endMs);
  }

  spanContext(): SpanContext {
    return this.context;
  }
}

const resources = new Map<string, Resource>();

let lastOptions: ToSpansOptions | undefined;
let lastOptionsResource: Resource | undefined;

/** The resource of `options`: remembered for the options object itself (the bridge passes one per file). */
function resourceFor(options: ToSpansOptions): Resource {
  if (options === lastOptions && lastOptionsResource !== undefined) return lastOptionsResource;
  const r = resourceOf(options);
  lastOptions = options;
  lastOptionsResource = r;
  return r;
}

function resourceOf(options: ToSpansOptions): Resource {
  const serviceName = options.serviceName ?? 'ingress-nginx';
  const key = options.resourceAttributes
    ? `${serviceName}\u0000${JSON.stringify(options.resourceAttributes)}`
    : serviceName;
  let r = resources.get(key);
  if (r === undefined) {
    r = resourceFromAttributes({ ...options.resourceAttributes, 'service.name': serviceName });
    if (resources.size > 100) resources.clear();
    resources.set(key, r);
  }
  return r;
}

function present(value: string | undefined): string | undefined {
  return value === undefined || value === '-' || value === '' ? undefined : value;
}

function int(value: string | undefined): number | undefined {
  const v = present(value);
  if (v === undefined) return undefined;
  const n = decimalNumber(v);
  return Number.isInteger(n) ? n : undefined;
}

// The status text read last and its value: most lines share theirs (200), and comparing a short
// string costs less than reading its digits.
let lastStatusText = '200';
let lastStatus = 200;

/** {@link int} of a logged status code, remembered for the last text. */
function statusOf(value: string | undefined): number | undefined {
  if (value === lastStatusText) return lastStatus;
  const n = int(value);
  if (n !== undefined && value !== undefined) {
    lastStatusText = value;
    lastStatus = n;
  }
  return n;
}

// Shared results for the usual case (callers only read them).
const NO_GROUPS: readonly number[] = Object.freeze([]);

/**
 * A `$upstream_*` list as {@link list} gives it: one value as it is, several as an array, none as
 * undefined (no empty array: reading past an array's end is a slow load in optimised code).
 */
type Items = string | readonly (string | undefined)[] | undefined;

/**
 * `$upstream_*` list → one entry per attempt (groups after ` : ` flattened), `-` → undefined; a
 * single value is returned as it is (read with {@link itemOf}).
 */
function list(value: string | undefined): Items {
  const v = present(value);
  if (v === undefined) return undefined;
  if (!v.includes(',') && !v.includes(' : ')) return v; // one attempt: no array
  const out: (string | undefined)[] = [];
  for (const group of v.split(' : ')) for (const item of group.split(', ')) out.push(present(item.trim()));
  return out;
}

/** {@link list} of a line with one attempt: the value as it is (a stray list then reads as no value). */
function single(value: string | undefined): Items {
  return present(value);
}

/** Item `i` of a {@link list} result. */
function itemOf(items: Items, i: number): string | undefined {
  if (items === undefined) return undefined;
  if (typeof items === 'string') return i === 0 ? items : undefined;
  return i < items.length ? items[i] : undefined;
}

/** `s.lastIndexOf(' ')` without the runtime call it makes on a substring of the line. */
function lastSpace(s: string): number {
  let i = s.length - 1;
  while (i >= 0 && s.charCodeAt(i) !== 32) i--;
  return i;
}

/** Where the first space is in the `n` ASCII bytes of `bytes` from `at` (-1: none), as `indexOf(' ')` of their text. */
function firstSpaceIn(bytes: Uint8Array, at: number, n: number): number {
  for (let i = 0; i < n; i++) if (bytes[at + i] === 32) return i;
  return -1;
}

/** {@link firstSpaceIn} for the last space, as {@link lastSpace} of their text. */
function lastSpaceIn(bytes: Uint8Array, at: number, n: number): number {
  let i = n - 1;
  while (i >= 0 && bytes[at + i] !== 32) i--;
  return i;
}

// The known methods by length and first character (`n << 8 | code`): one candidate each.
const METHOD_BY_SHAPE: (string | undefined)[] = new Array(8 << 8).fill(undefined);
for (const m of KNOWN_METHODS.keys()) METHOD_BY_SHAPE[(m.length << 8) | m.charCodeAt(0)] = m;

/** The constant of the known method whose characters are the `n` bytes from `at`, else undefined. */
function knownMethodAt(bytes: Uint8Array, at: number, n: number): string | undefined {
  if (n > 7) return undefined;
  const m = METHOD_BY_SHAPE[(n << 8) | bytes[at]];
  if (m === undefined) return undefined;
  for (let i = 1; i < n; i++) if (bytes[at + i] !== m.charCodeAt(i)) return undefined;
  return m;
}

// `HTTP/x.y` for every pair of digits, one string each (index 10 * x + y).
const HTTP_VERSIONS = Array.from({ length: 100 }, (_, i) => `HTTP/${Math.floor(i / 10)}.${i % 10}`);

/** The constant `HTTP/x.y` whose characters are the 8 bytes of `view` from `at`, else undefined. */
function knownProtocolAt(view: DataView, at: number): string | undefined {
  if (view.getUint32(at) !== 0x48545450) return undefined; // `HTTP`
  const w = view.getUint32(at + 4);
  if ((w & 0xff00ff00) !== 0x2f002e00) return undefined; // `/` digit `.` digit
  const x = ((w >>> 16) & 0xff) - 48;
  const y = (w & 0xff) - 48;
  if (!(x >= 0 && x <= 9 && y >= 0 && y <= 9)) return undefined;
  return HTTP_VERSIONS[10 * x + y];
}

/** Group index of each attempt (0 before the first internal redirect). */
function groups(value: string): readonly number[] {
  if (!value.includes(' : ')) return NO_GROUPS;
  const out: number[] = [];
  value.split(' : ').forEach((group, g) => {
    for (const _ of group.split(', ')) out.push(g);
  });
  return out;
}

function splitAddress(addr: string): { address: string; port?: number; transport?: string } {
  if (addr.startsWith('unix:')) return { address: addr.slice(5), transport: 'unix' };
  if (addr.startsWith('[')) {
    const end = addr.indexOf(']');
    if (end > 0) {
      const port = Number(addr.slice(end + 2));
      return {
        address: addr.slice(1, end),
        port: Number.isInteger(port) && end + 2 < addr.length ? port : undefined,
      };
    }
  }
  const colon = addr.lastIndexOf(':');
  if (colon > 0 && addr.indexOf(':') === colon) {
    const port = Number(addr.slice(colon + 1));
    if (Number.isInteger(port)) return { address: addr.slice(0, colon), port };
  }
  return { address: addr };
}

type AddressParts = ReturnType<typeof splitAddress>;
const addressCache = new Map<string, AddressParts>();

/** {@link splitAddress}, remembered: a log names the same few pods over and over. */
function cachedAddress(addr: string): AddressParts {
  let parts = addressCache.get(addr);
  if (parts === undefined) {
    parts = splitAddress(addr);
    if (addressCache.size >= 4096) addressCache.clear();
    addressCache.set(addr, parts);
  }
  return parts;
}

/** `namespace-service-port` → parts; undefined for ingress-nginx's own upstreams. */
export function splitUpstreamName(
  name: string,
  namespaces: readonly string[] = [],
): { namespace: string; service: string; port: string } | undefined {
  if (name === 'upstream-default-backend' || name.startsWith('custom-default-backend')) return undefined;
  const last = name.lastIndexOf('-');
  if (last <= 0 || last === name.length - 1) return undefined;
  const rest = name.slice(0, last);
  const port = name.slice(last + 1);
  let namespace = namespaces.filter((ns) => rest.startsWith(`${ns}-`)).sort((a, b) => b.length - a.length)[0];
  if (namespace === undefined) {
    const dash = rest.indexOf('-');
    if (dash <= 0) return undefined;
    namespace = rest.slice(0, dash);
  }
  const service = rest.slice(namespace.length + 1);
  if (service === '') return undefined;
  return { namespace, service, port };
}

const upstreamCache = new Map<string, ReturnType<typeof splitUpstreamName> | null>();

function cachedUpstream(name: string): ReturnType<typeof splitUpstreamName> {
  let r = upstreamCache.get(name);
  if (r === undefined) {
    r = splitUpstreamName(name) ?? null;
    if (upstreamCache.size > 1024) upstreamCache.clear();
    upstreamCache.set(name, r);
  }
  return r ?? undefined;
}

// Variables toSpans turns into named attributes; every other logged variable is kept as `nginx.<name>`.
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

/** The keys toSpans keeps as plain attributes of a record made elsewhere (JSON lines, a caller's object). */
function recordKeys(record: LogRecord): string[] {
  const keys: string[] = [];
  for (const key in record) if (!CONSUMED.has(key)) keys.push(key);
  return keys;
}

let lastVariables: readonly string[] | undefined;
let lastUnconsumed: readonly string[] = [];

/** The variables of a compiled format that toSpans keeps as plain attributes (cached per format). */
function unconsumed(variables: readonly string[]): readonly string[] {
  if (variables !== lastVariables) {
    lastUnconsumed = variables.filter((v) => !CONSUMED.has(v));
    lastVariables = variables;
  }
  return lastUnconsumed;
}

// One native call per digest where Node has `crypto.hash()` (>= 20.12); the same digest otherwise.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;
const sha256Hex: (text: string) => string =
  typeof oneShot === 'function'
    ? (text) => oneShot('sha256', text, 'hex')
    : (text) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

// A short stable seed (contextFromRequestId accepts at most 256 characters).
function seedFor(record: LogRecord, source: LineSource | undefined): string {
  const text =
    source !== undefined ? `line:${source.id}:${source.offset}` : `record:${JSON.stringify(record)}`;
  return `crosstrace-line-${sha256Hex(text).slice(0, 40)}`;
}

/**
 * Turns one parsed access-log line into ingress spans: one SERVER span for the request and one
 * CLIENT child per upstream attempt (`$upstream_addr`, aligned with `$upstream_status` and the
 * `$upstream_*_time` lists). Ids come from a logged `traceparent` / OTel ids, else from the request
 * id through the tracer's `ingressSpanIds` (the last attempt's id is the app's parent), else from
 * the line's file identity and offset, so re-reading a line gives the same spans.
 *
 * Returns `[]` when the line has no usable time (`$msec`, `$time_iso8601`, `$time_local`); never
 * throws.
 *
 * @param record - a parsed line ({@link parseLine})
 * @param options - resource and id options
 * @example
 * const r = parseLine(line, { format: 'ingress-nginx' });
 * const spans = r.ok ? toSpans(r.record) : [];
 */
export function toSpans(record: LogRecord, options: ToSpansOptions = {}): ReadableSpan[] {
  return spansForLine(record, options, options.source);
}

/** {@link toSpans} with the source apart from the options (no per-line options object). */
export function spansForLine(
  record: LogRecord,
  options: ToSpansOptions,
  source: LineSource | undefined,
): ReadableSpan[] {
  const out = new SpanCollector();
  try {
    build(record, options, source, out);
    return out.spans;
  } catch {
    return [];
  }
}

// Where build() keeps a line's ids as bytes (see SpanOut.span): the SERVER span's remote parent,
// the trace id, the SERVER span id, then one id per upstream attempt.
/** Offset of the SERVER span's remote parent id (8 bytes) in the ids of a line. */
export const IDS_SERVER_PARENT = 0;
/** Offset of the trace id (16 bytes) in the ids of a line. */
export const IDS_TRACE = 8;
/** Offset of the SERVER span id (8 bytes) in the ids of a line. */
export const IDS_SERVER = 24;
/** Offset of the first upstream attempt's span id (8 bytes each) in the ids of a line. */
export const IDS_ATTEMPTS = 32;

let lineIds = new Uint8Array(IDS_ATTEMPTS + 8 * 8);

/** Hex digits (validated, lowercase) → bytes at `at`. */
function hexInto(hex: string, out: Uint8Array, at: number): void {
  for (let i = 0; i < hex.length; i += 2) out[at + (i >> 1)] = Number.parseInt(hex.slice(i, i + 2), 16);
}

const HEX_BYTE: string[] = [];
for (let i = 0; i < 256; i++) HEX_BYTE.push(i.toString(16).padStart(2, '0'));

/** `n` bytes from `at` as lowercase hex. */
export function hexOf(bytes: Uint8Array, at: number, n: number): string {
  let s = '';
  for (let i = at; i < at + n; i++) s += HEX_BYTE[bytes[i]];
  return s;
}

/** Where a span's attributes go, one `set` per attribute or `group` per shared run, in order. */
export interface AttributeSink {
  set(key: AttributeKey, value: AttributeValue): void;
  /**
   * A string attribute whose text also sits in the line's bytes from `at` (-1: not known), see
   * {@link LineText}: the direct encoder copies those bytes.
   */
  setText(key: AttributeKey, value: string, at: number): void;
  /**
   * {@link setText} of `source.slice(from, to)`, whose text sits in the line's bytes from `at`:
   * the direct encoder copies the bytes without the substring.
   */
  setSlice(key: AttributeKey, source: string, from: number, to: number, at: number): void;
  /** {@link setText} of a header attribute: the value is `[value]`. */
  setHeaderText(key: AttributeKey, value: string, at: number): void;
  group(group: AttributeGroup): void;
}

/**
 * The bytes a parsed line came from, when they are ASCII and its values are the logged text as it
 * is: `bytes` from `start` are the line's characters, `positions` where each value starts in it.
 * Reused line after line by the bridge.
 */
export interface LineText {
  bytes: Uint8Array;
  /** A DataView of all of {@link bytes}. */
  view: DataView;
  start: number;
  positions: ValuePositions;
}

/** The index in a format's variables of each value {@link build} may copy from the line's bytes (-1: not logged). */
interface TextSlots {
  readonly request: number;
  readonly userAgent: number;
  readonly remoteAddr: number;
  readonly realIp: number;
  readonly reqId: number;
  readonly requestId: number;
  readonly xRequestId: number;
}

let lastSlotVariables: readonly string[] | undefined;
let lastSlots: TextSlots | undefined;

function slotsOf(variables: readonly string[]): TextSlots {
  if (variables === lastSlotVariables && lastSlots !== undefined) return lastSlots;
  // A variable logged twice keeps its last value (as the record does).
  const slot = (name: string) => variables.lastIndexOf(name);
  lastSlots = {
    request: slot('request'),
    userAgent: slot('http_user_agent'),
    remoteAddr: slot('remote_addr'),
    realIp: slot('the_real_ip'),
    reqId: slot('req_id'),
    requestId: slot('request_id'),
    xRequestId: slot('http_x_request_id'),
  };
  lastSlotVariables = variables;
  return lastSlots;
}

/** Where the value in `slot` starts in the line's bytes, or -1. */
function textAt(text: LineText | undefined, slots: TextSlots | undefined, slot: number): number {
  return text === undefined || slots === undefined || slot < 0
    ? -1
    : text.start + text.positions.offsets[slot];
}

/**
 * Receives the spans of one line as plain values, in order (the SERVER span, then one CLIENT span
 * per attempt), each as {@link SpanOut.begin}, its attributes, {@link SpanOut.end}:
 * {@link SpanCollector} makes `ReadableSpan` objects of them, the direct OTLP encoder writes them
 * straight into the request's bytes (attributes included, as they are set). Ids are bytes in `ids`
 * (valid until the next line): the trace id at {@link IDS_TRACE}, the span id at `spanAt`, the
 * parent's at `parentAt`.
 */
export interface SpanOut {
  /** Starts a span; its attributes go to the returned sink until {@link SpanOut.end}. */
  begin(
    name: string,
    kind: SpanKind,
    ids: Uint8Array,
    spanAt: number,
    traceFlags: number,
    /** -1: no parent. */
    parentAt: number,
    parentRemote: boolean,
    startMs: number,
    endMs: number,
    resource: Resource,
  ): AttributeSink;
  /** Ends the span begun last. */
  end(status: SpanStatus): void;
}

class SpanCollector implements SpanOut {
  readonly spans: ReadableSpan[] = [];
  private server: SpanContext | undefined;
  private traceId = '';
  private name = '';
  private kind = SpanKind.INTERNAL;
  private context: SpanContext | undefined;
  private parent: SpanContext | undefined;
  private startMs = 0;
  private endMs = 0;
  private list = new AttributeList();
  private resource: Resource | undefined;

  begin(
    name: string,
    kind: SpanKind,
    ids: Uint8Array,
    spanAt: number,
    traceFlags: number,
    parentAt: number,
    parentRemote: boolean,
    startMs: number,
    endMs: number,
    resource: Resource,
  ): AttributeSink {
    if (kind === SpanKind.SERVER || this.traceId === '') this.traceId = hexOf(ids, IDS_TRACE, 16);
    const traceId = this.traceId;
    const context: SpanContext = { traceId, spanId: hexOf(ids, spanAt, 8), traceFlags };
    let parent: SpanContext | undefined;
    if (parentAt < 0) parent = undefined;
    else if (parentRemote) parent = { traceId, spanId: hexOf(ids, parentAt, 8), traceFlags, isRemote: true };
    else if (this.server !== undefined && parentAt === IDS_SERVER) parent = this.server;
    else parent = { traceId, spanId: hexOf(ids, parentAt, 8), traceFlags };
    if (kind === SpanKind.SERVER) this.server = context;
    this.name = name;
    this.kind = kind;
    this.context = context;
    this.parent = parent;
    this.startMs = startMs;
    this.endMs = endMs;
    this.resource = resource;
    this.list = new AttributeList();
    return this.list;
  }

  end(status: SpanStatus): void {
    this.spans.push(
      new IngressSpan(
        this.name,
        this.kind,
        this.context!,
        this.parent,
        this.startMs,
        this.endMs,
        status,
        this.list,
        this.resource!,
      ),
    );
  }
}

// The names of the attributes set per span (not in a group), resolved once.
const K_URL_PATH = new AttributeKey('url.path');
const K_URL_QUERY = new AttributeKey('url.query');
const K_RESPONSE_BODY_SIZE = new AttributeKey('http.response.body.size');
const K_REQUEST_SIZE = new AttributeKey('http.request.size');
const K_CLIENT_ADDRESS = new AttributeKey('client.address');
const K_ENDUSER_ID = new AttributeKey('enduser.id');
const K_USER_AGENT = new AttributeKey('user_agent.original');
const K_REFERER = new AttributeKey('http.request.header.referer');
const K_REQUEST_ID = new AttributeKey('http.request.header.x-request-id');
const K_TLS_SUBJECT = new AttributeKey('tls.client.subject');
const K_TLS_ISSUER = new AttributeKey('tls.client.issuer');
const K_CONNECT_TIME = new AttributeKey('crosstrace.upstream.connect_time');
const K_HEADER_TIME = new AttributeKey('crosstrace.upstream.header_time');

const extraKeys = new Map<string, AttributeKey>();

/** The attribute of a logged variable toSpans has no name for: `http.request.header.*`, `http.response.header.*`, `nginx.*`. */
function extraKey(variable: string): AttributeKey {
  let key = extraKeys.get(variable);
  if (key === undefined) {
    const name = variable.startsWith('http_')
      ? `http.request.header.${variable.slice(5).replaceAll('_', '-')}`
      : variable.startsWith('sent_http_')
        ? `http.response.header.${variable.slice(10).replaceAll('_', '-')}`
        : `nginx.${variable}`;
    key = new AttributeKey(name);
    if (extraKeys.size >= 4096) extraKeys.clear();
    extraKeys.set(variable, key);
  }
  return key;
}

// Groups of the SERVER span (13 values, see build) and of an attempt's CLIENT span (6 values).
const serverGroups = new AttributeGroupCache(13);
const attemptGroups = new AttributeGroupCache(6);

/** The SERVER span attributes shared by requests of one class, as a group's entries. */
function serverGroup(
  method: string | undefined,
  knownMethod: boolean,
  precision: string,
  scheme: string | undefined,
  protocol: string | undefined,
  status: number | undefined,
  host: string | undefined,
  upstreamName: string | undefined,
  alternative: string | undefined,
  sslProtocol: string | undefined,
  cipher: string | undefined,
  verify: string | undefined,
  traceFlags: number,
  namespaces: readonly string[] | undefined,
): AttributeGroup['entries'] {
  const attrs = new AttributeList();
  attrs.add(LAYER_ATTRIBUTE, Layer.Ingress);
  attrs.add('crosstrace.ingress.time_precision', precision);
  if (method !== undefined) {
    attrs.add('http.request.method', knownMethod ? method : '_OTHER');
    if (!knownMethod) attrs.add('http.request.method_original', method);
  }
  if (scheme !== undefined) attrs.add('url.scheme', scheme);
  if (protocol?.startsWith('HTTP/')) {
    attrs.add('network.protocol.name', 'http');
    attrs.add('network.protocol.version', protocol.slice(5));
  }
  if (status !== undefined) attrs.add('http.response.status_code', status);
  if (host !== undefined) attrs.add('server.address', host);
  if (upstreamName !== undefined) {
    attrs.add('crosstrace.ingress.upstream', upstreamName);
    const k8s = namespaces ? splitUpstreamName(upstreamName, namespaces) : cachedUpstream(upstreamName);
    if (k8s !== undefined) {
      attrs.add('k8s.namespace.name', k8s.namespace);
      attrs.add('k8s.service.name', k8s.service);
      attrs.add('crosstrace.k8s.service.port', k8s.port);
    }
  }
  if (alternative !== undefined) attrs.add('crosstrace.ingress.alternative_upstream', alternative);
  if (sslProtocol !== undefined) {
    const m = /^(TLS|SSL)v?([\d.]+)$/i.exec(sslProtocol);
    attrs.add('tls.established', true);
    attrs.add('tls.protocol.name', m ? m[1].toLowerCase() : sslProtocol);
    if (m) attrs.add('tls.protocol.version', m[2]);
  }
  if (cipher !== undefined) attrs.add('tls.cipher', cipher);
  if (verify !== undefined) {
    attrs.add('crosstrace.tls.client_verify', verify);
    attrs.add('crosstrace.tls.client_authenticated', verify === 'SUCCESS');
  }
  if (traceFlags === 0) attrs.add('crosstrace.ingress.unsampled', true);
  if (status !== undefined && status >= 500) attrs.add('error.type', String(status));
  return attrs.entries;
}

/** The CLIENT span attributes shared by attempts on one pod (same position, method, status). */
function attemptGroup(
  addr: string | undefined,
  i: number,
  method: string | undefined,
  knownMethod: boolean,
  upstreamName: string | undefined,
  group: number,
  st: number | undefined,
): AttributeGroup['entries'] {
  const a = new AttributeList();
  a.add(LAYER_ATTRIBUTE, Layer.Ingress);
  a.add('crosstrace.ingress.timing', 'estimated');
  a.add('http.request.resend_count', i);
  if (method !== undefined) a.add('http.request.method', knownMethod ? method : '_OTHER');
  if (addr !== undefined) {
    const s = cachedAddress(addr);
    a.add('server.address', s.address);
    if (s.port !== undefined) a.add('server.port', s.port);
    if (s.transport !== undefined) a.add('network.transport', s.transport);
  }
  if (upstreamName !== undefined) a.add('crosstrace.ingress.upstream', upstreamName);
  if (group > 0) a.add('crosstrace.ingress.upstream_group', group);
  if (st !== undefined) a.add('http.response.status_code', st);
  if (attemptFailed(addr, st)) a.add('error.type', st === undefined ? 'no_response' : String(st));
  return a.entries;
}

/** An attempt without an address, without a response or answered with a 5xx failed. */
function attemptFailed(addr: string | undefined, st: number | undefined): boolean {
  return st === undefined || st >= 500 || addr === undefined;
}

/**
 * Builds the spans of one line into `out` (see {@link toSpans}); returns how many (0 when the line
 * has no usable time). May throw on unexpected input: callers drop the line's spans then.
 */
export function build(
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
    if (Number.isNaN(endMs) && record.time_local !== undefined) endMs = parseTimeLocal(record.time_local);
    if (Number.isNaN(endMs)) return 0;
  }
  const requestSeconds = parseSeconds(record.request_time);
  const startMs =
    Number.isFinite(requestSeconds) && requestSeconds >= 0 ? endMs - requestSeconds * 1000 : endMs;

  // Request line.
  let method = present(record.request_method);
  // The request target: `targetText` from `targetFrom` to `targetTo` (no substring made for it).
  let targetText = present(record.request_uri);
  let targetFrom = 0;
  let targetTo = targetText === undefined ? 0 : targetText.length;
  let protocol = present(record.server_protocol);
  const slots = text === undefined ? undefined : slotsOf(text.positions.variables);
  // Where the request target starts in the line's bytes, when it was cut from `$request`.
  let targetAt = -1;
  const request = record.request;
  if (request !== undefined && request !== '' && request !== '-') {
    // With the line's bytes, the spaces, a known method and an `HTTP/x.y` are read from them:
    // fewer runtime calls, and constant strings, which later comparisons check by identity.
    const requestAt = textAt(text, slots, slots?.request ?? -1);
    const bytes = requestAt >= 0 ? text!.bytes : undefined;
    const n = request.length;
    const a = bytes !== undefined ? firstSpaceIn(bytes, requestAt, n) : request.indexOf(' ');
    // The usual request ends with ` HTTP/x.y`: its last space is then 9 characters from the end.
    const version =
      bytes !== undefined && n >= 10 && bytes[requestAt + n - 9] === 32
        ? knownProtocolAt(text!.view, requestAt + n - 8)
        : undefined;
    const b =
      version !== undefined
        ? n - 9
        : bytes !== undefined
          ? lastSpaceIn(bytes, requestAt, n)
          : lastSpace(request);
    if (a > 0) {
      method ??=
        (bytes !== undefined ? knownMethodAt(bytes, requestAt, a) : undefined) ?? request.slice(0, a);
      if (targetText === undefined) {
        targetText = request;
        targetFrom = a + 1;
        targetTo = b > a ? b : n;
        if (requestAt >= 0) targetAt = requestAt + a + 1;
      }
      if (b > a) {
        protocol ??= version ?? request.slice(b + 1);
      }
    }
  }
  let host = present(record.host);
  const url = present(record.request_url);
  if (targetText === undefined && url !== undefined) {
    const slash = url.indexOf('/');
    if (slash > 0) {
      host ??= url.slice(0, slash);
      targetText = url;
      targetFrom = slash;
      targetTo = url.length;
    } else if (slash === 0) {
      targetText = url;
      targetTo = url.length;
    }
  }

  const upstreamName = interned(present(record.proxy_upstream_name));
  const canonicalMethod = method === undefined ? undefined : canonicalMethodOf(method);
  const knownMethod = canonicalMethod !== undefined;
  if (canonicalMethod !== undefined) method = canonicalMethod;
  const namePrefix = canonicalMethod ?? 'HTTP';
  const name = upstreamName === undefined ? namePrefix : spanName(namePrefix, upstreamName);

  const status = statusOf(record.status);
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

  // Attempts.
  const addrText = present(record.upstream_addr);
  const addrs = list(addrText);
  const attempts = addrs === undefined ? 0 : typeof addrs === 'string' ? 1 : addrs.length;

  // Identity.
  const tp = parseTraceparent(record.http_traceparent);
  const otelTrace = validTraceId(record.otel_trace_id) ?? validTraceId(record.opentelemetry_trace_id);
  const otelSpan = validSpanId(record.otel_span_id) ?? validSpanId(record.opentelemetry_span_id);
  if (lineIds.length < IDS_ATTEMPTS + 8 * attempts) lineIds = new Uint8Array(IDS_ATTEMPTS + 8 * attempts);
  const ids = lineIds;
  const idOk =
    requestId !== undefined
      ? ingressSpanIdBytes(requestId, attempts, ids, IDS_TRACE, text?.bytes, requestIdAt)
      : ingressSpanIdBytes(seedFor(record, source), attempts, ids, IDS_TRACE);
  if (!idOk) throw new Error('no usable request id'); // (an over-long one): the line gives no spans
  let serverParent = -1;
  let traceFlags = 1;
  let propagated: string | undefined;
  if (otelTrace !== undefined) {
    hexInto(otelTrace, ids, IDS_TRACE);
    propagated = otelSpan;
    const parent = validSpanId(record.otel_parent_id) ?? (tp?.traceId === otelTrace ? tp.spanId : undefined);
    if (parent !== undefined) {
      hexInto(parent, ids, IDS_SERVER_PARENT);
      serverParent = IDS_SERVER_PARENT;
    }
  } else if (tp !== undefined) {
    hexInto(tp.traceId, ids, IDS_TRACE);
    traceFlags = tp.traceFlags;
    if (attempts > 0) propagated = tp.spanId;
    else {
      hexInto(tp.spanId, ids, IDS_SERVER_PARENT);
      serverParent = IDS_SERVER_PARENT;
    }
  }
  if (propagated !== undefined)
    hexInto(propagated, ids, attempts > 0 ? IDS_ATTEMPTS + 8 * (attempts - 1) : IDS_SERVER);
  const resource = resourceFor(options);
  const attrs = out.begin(
    name,
    SpanKind.SERVER,
    ids,
    IDS_SERVER,
    traceFlags,
    serverParent,
    true,
    startMs,
    endMs,
    resource,
  );
  const scheme = present(record.scheme);
  const alternative = present(record.proxy_alternative_upstream_name);
  const sslProtocol = present(record.ssl_protocol);
  const cipher = present(record.ssl_cipher);
  const verify = present(record.ssl_client_verify);
  // What requests of one class share (upstream, method, protocol, status, host, TLS): one group.
  const sk = serverGroups.key;
  sk[0] = upstreamName;
  sk[1] = method;
  sk[2] = precision;
  sk[3] = scheme;
  sk[4] = protocol;
  sk[5] = status;
  sk[6] = host;
  sk[7] = alternative;
  sk[8] = sslProtocol;
  sk[9] = cipher;
  sk[10] = verify;
  sk[11] = traceFlags;
  sk[12] = options.namespaces;
  attrs.group(
    serverGroups.find() ??
      serverGroups.add(
        serverGroup(
          method,
          knownMethod,
          precision,
          scheme,
          protocol,
          status,
          host,
          upstreamName,
          alternative,
          sslProtocol,
          cipher,
          verify,
          traceFlags,
          options.namespaces,
        ),
      ),
  );
  // url.path ends at the first `?` of the target, or with it.
  let pathTo = targetTo;
  if (targetText !== undefined) {
    const q = targetText.indexOf('?', targetFrom);
    if (q >= 0 && q < targetTo) pathTo = q;
    attrs.setSlice(K_URL_PATH, targetText, targetFrom, pathTo, targetAt);
    if (pathTo < targetTo) {
      attrs.setSlice(
        K_URL_QUERY,
        targetText,
        pathTo + 1,
        targetTo,
        targetAt < 0 ? -1 : targetAt + pathTo + 1 - targetFrom,
      );
    }
  }
  const bodySize = int(record.body_bytes_sent);
  if (bodySize !== undefined) attrs.set(K_RESPONSE_BODY_SIZE, bodySize);
  const requestSize = int(record.request_length);
  if (requestSize !== undefined) attrs.set(K_REQUEST_SIZE, requestSize);
  let client = present(record.the_real_ip);
  let clientSlot = slots?.realIp ?? -1;
  if (client === undefined) {
    client = present(record.remote_addr);
    clientSlot = slots?.remoteAddr ?? -1;
  }
  if (client !== undefined) {
    const comma = client.indexOf(',');
    attrs.setText(
      K_CLIENT_ADDRESS,
      comma < 0 ? client : client.slice(0, comma),
      textAt(text, slots, clientSlot),
    );
  }
  const remoteUser = present(record.remote_user);
  if (remoteUser !== undefined) attrs.set(K_ENDUSER_ID, remoteUser);
  const ua = present(record.http_user_agent);
  if (ua !== undefined) attrs.setText(K_USER_AGENT, ua, textAt(text, slots, slots?.userAgent ?? -1));
  const referer = present(record.http_referer);
  if (referer !== undefined) attrs.set(K_REFERER, [referer]);
  if (requestId !== undefined) attrs.setHeaderText(K_REQUEST_ID, requestId, requestIdAt);
  const subject = present(record.ssl_client_s_dn);
  if (subject !== undefined) attrs.set(K_TLS_SUBJECT, subject);
  const issuer = present(record.ssl_client_i_dn);
  if (issuer !== undefined) attrs.set(K_TLS_ISSUER, issuer);
  const variables = (record as { [kRecordVariables]?: readonly string[] })[kRecordVariables];
  for (const key of variables === undefined ? recordKeys(record) : unconsumed(variables)) {
    const value = present(record[key]);
    if (value === undefined) continue;
    const header = key.startsWith('http_') || key.startsWith('sent_http_');
    attrs.set(extraKey(key), header ? [value] : value);
  }

  const serverStatus: SpanStatus =
    status !== undefined && status >= 500 ? { code: SpanStatusCode.ERROR } : OK;
  out.end(serverStatus);
  if (attempts === 0) return 1;

  // One attempt (the usual line): nginx logs every `$upstream_*` list with one value then.
  const listOf = typeof addrs === 'string' ? single : list;
  const statuses = listOf(record.upstream_status);
  const times = listOf(record.upstream_response_time);
  const connects = listOf(record.upstream_connect_time);
  const headers = listOf(record.upstream_header_time);
  const lengths = listOf(record.upstream_response_length);
  const groupOf = typeof addrs === 'string' ? NO_GROUPS : groups(addrText!);
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
      IDS_ATTEMPTS + 8 * i,
      traceFlags,
      IDS_SERVER,
      false,
      start,
      end,
      resource,
    );
    const addr = itemOf(addrs, i);
    const st = statusOf(itemOf(statuses, i));
    const group = groupOf.length > i ? groupOf[i] : 0;
    // What attempts on one pod share (address, position, method, upstream, status): one group.
    const ck = attemptGroups.key;
    ck[0] = addr;
    ck[1] = i;
    ck[2] = method;
    ck[3] = upstreamName;
    ck[4] = group;
    ck[5] = st;
    a.group(
      attemptGroups.find() ??
        attemptGroups.add(attemptGroup(addr, i, method, knownMethod, upstreamName, group, st)),
    );
    if (targetText !== undefined) a.setSlice(K_URL_PATH, targetText, targetFrom, pathTo, targetAt);
    const len = int(itemOf(lengths, i));
    if (len !== undefined) a.set(K_RESPONSE_BODY_SIZE, len);
    const connect = parseSeconds(itemOf(connects, i));
    if (Number.isFinite(connect)) a.set(K_CONNECT_TIME, connect);
    const header = parseSeconds(itemOf(headers, i));
    if (Number.isFinite(header)) a.set(K_HEADER_TIME, header);
    out.end(
      attemptFailed(addr, st)
        ? {
            code: SpanStatusCode.ERROR,
            message: st === undefined ? 'no upstream response' : `upstream ${st}`,
          }
        : OK,
    );
  }
  return 1 + attempts;
}
