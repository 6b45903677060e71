import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

// protobufjs, loading the OTLP schema written out for tests (repository root,
// test/fixtures/otlp), decodes what the exporter sent; the stub answers like a collector (200 +
// empty ExportTraceServiceResponse).
const schema = fileURLToPath(new URL('../../../../test/fixtures/otlp/trace-service.proto', import.meta.url));
/** protobufjs type of ExportTraceServiceRequest. */
export const Request = protobuf.loadSync(schema).lookupType('opentelemetry.proto.ExportTraceServiceRequest');

const hex = (b: Uint8Array | undefined) => (b && b.length > 0 ? Buffer.from(b).toString('hex') : undefined);

/** One received span, flattened for assertions. */
export interface StubSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  serviceName?: string;
  startNs: bigint;
  endNs: bigint;
  statusCode: number;
  attributes: Record<string, unknown>;
}

function value(v: Record<string, unknown> | undefined): unknown {
  if (!v) return undefined;
  if (v.stringValue !== undefined && v.stringValue !== null) return v.stringValue;
  if (v.intValue !== undefined && v.intValue !== null) return Number(v.intValue.toString());
  if (v.boolValue !== undefined && v.boolValue !== null) return v.boolValue;
  if (v.doubleValue !== undefined && v.doubleValue !== null) return v.doubleValue;
  const arr = v.arrayValue as { values?: Record<string, unknown>[] } | undefined;
  if (arr) return (arr.values ?? []).map(value);
  return undefined;
}

function attrs(list: { key: string; value: Record<string, unknown> }[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of list ?? []) out[a.key] = value(a.value);
  return out;
}

interface DecodedAttribute {
  key: string;
  value: Record<string, unknown>;
}
interface DecodedRequest {
  resourceSpans?: {
    resource?: { attributes?: DecodedAttribute[] };
    scopeSpans?: {
      spans?: {
        traceId: Uint8Array;
        spanId: Uint8Array;
        parentSpanId?: Uint8Array;
        name?: string;
        kind?: number;
        startTimeUnixNano?: string;
        endTimeUnixNano?: string;
        status?: { code?: number };
        attributes?: DecodedAttribute[];
      }[];
    }[];
  }[];
}

/** Decodes an OTLP protobuf ExportTraceServiceRequest into flat spans. */
export function decodeSpans(body: Uint8Array): StubSpan[] {
  // toObject keeps only the fields present on the wire (an unset oneof member stays absent).
  const req = Request.toObject(Request.decode(body), { longs: String }) as DecodedRequest;
  const spans: StubSpan[] = [];
  for (const rs of req.resourceSpans ?? []) {
    const resource = attrs(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        spans.push({
          traceId: hex(s.traceId)!,
          spanId: hex(s.spanId)!,
          parentSpanId: hex(s.parentSpanId),
          name: s.name ?? '',
          kind: s.kind ?? 0,
          serviceName: resource['service.name'] as string | undefined,
          startNs: BigInt(s.startTimeUnixNano ?? 0),
          endNs: BigInt(s.endTimeUnixNano ?? 0),
          statusCode: s.status?.code ?? 0,
          attributes: attrs(s.attributes),
        });
      }
    }
  }
  return spans;
}

/** A local OTLP/HTTP receiver on 127.0.0.1:0 that records spans and can play an outage. */
export class CollectorStub {
  readonly spans: StubSpan[] = [];
  requests = 0;
  /** While set, requests are answered with this status (503 = outage) and nothing is kept. */
  failWith: number | undefined;
  /** Requests after this many are never answered (and not kept): a collector that hangs. */
  hangAfter: number | undefined;
  private server: Server | undefined;
  private waiters: { count: number; resolve: () => void }[] = [];

  get url(): string {
    const port = (this.server!.address() as AddressInfo).port;
    return `http://127.0.0.1:${port}`;
  }

  get port(): number {
    return (this.server!.address() as AddressInfo).port;
  }

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests++;
        if (this.hangAfter !== undefined && this.requests > this.hangAfter) return;
        if (this.failWith !== undefined) {
          res.writeHead(this.failWith, { 'retry-after': '0' }).end();
          return;
        }
        try {
          this.spans.push(...decodeSpans(Buffer.concat(chunks)));
        } catch {
          res.writeHead(400).end();
          return;
        }
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
        this.waiters = this.waiters.filter((w) => {
          if (this.spans.length >= w.count) w.resolve();
          return this.spans.length < w.count;
        });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    return this;
  }

  /** Resolves once at least `count` spans arrived. */
  waitFor(count: number): Promise<void> {
    if (this.spans.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = undefined;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
