// Property-based, through the real collector (SQLite store): every receiver (OTLP/HTTP protobuf and
// JSON, OTLP/gRPC, /k8s/objects, /k8s/audit) answers any body with 200 / partial success / 400 /
// 413 / 415 / 429 — never a 5xx, never UNAVAILABLE or INTERNAL — and the answer agrees with what
// was stored: a refused request stores nothing, an accepted one stores every span decode kept and
// reports the ones it refused. Memory stays bounded over the run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import t from 'tap';
import { build, type Collector } from '../../src/index.js';
import type { Span } from '../../src/model/span.js';
import { decodeTracesJson, decodeTracesProtobuf } from '../../src/receivers/otlp/index.js';
import { openSqliteStore, type SpanStore } from '../../src/storage/index.js';
import { fuzzParams, mutatedBytes, mutatedJson, mutatedText, protoRequest, seeds } from '../helpers/fuzz.js';
import { grpcExport } from '../helpers/grpc-client.js';
import { decodeResponse, ExportTraceServiceRequest } from '../helpers/proto.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const s = await seeds();
const encode = (o: unknown) =>
  Buffer.from(ExportTraceServiceRequest.encode(ExportTraceServiceRequest.fromObject(o)).finish());
const protoBodies = mutatedBytes(
  fc.oneof(fc.constantFrom(...s.protobuf), protoRequest(s.protobuf[0]).map(encode)),
);
const HTTP_ANSWERS = new Set([200, 400, 413, 415, 429]);
const MAX_BODY = 64 * 1024;

/** A store that remembers the keys written during the current request. */
function recording(store: SpanStore): { store: SpanStore; written: Set<string> } {
  const written = new Set<string>();
  const proxy = new Proxy(store, {
    get(target, prop) {
      if (prop === 'writeSpans')
        return (spans: readonly Span[]) => {
          for (const sp of spans) written.add(`${sp.traceId}/${sp.spanId}`);
          return target.writeSpans(spans);
        };
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  return { store: proxy, written };
}

async function collector(name: string): Promise<{ c: Collector; written: Set<string>; grpcAddress: string }> {
  const dir = mkdtempSync(join(tmpdir(), `ct-fuzz-${name}-`));
  const raw = await openSqliteStore({ path: join(dir, 'f.db') });
  const { store, written } = recording(raw);
  const c = await build({
    store,
    storage: `sqlite:${join(dir, 'f.db')}`,
    logLevel: 'silent',
    host: '127.0.0.1',
    otlpHttpPort: 0,
    otlpGrpcPort: 0,
    queryPort: 0,
    maxBodyBytes: MAX_BODY,
  });
  const ports = await c.listen();
  t.teardown(async () => {
    await c.close();
    await raw.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { c, written, grpcAddress: `127.0.0.1:${ports.otlpGrpcPort}` };
}

/** What our decoder keeps of a body: the keys that must be stored, the count refused. */
function expectation(decoded: ReturnType<typeof decodeTracesProtobuf>): { keys: string[]; rejected: number } {
  if (!decoded.ok) return { keys: [], rejected: 0 };
  return { keys: decoded.spans.map((sp) => `${sp.traceId}/${sp.spanId}`), rejected: decoded.rejectedSpans };
}

function checkStored(written: Set<string>, keys: string[], what: string): void {
  for (const k of keys) if (!written.has(k)) throw new Error(`${what}: accepted span ${k} was not stored`);
}

const heapBefore = (() => {
  gc();
  return process.memoryUsage().heapUsed;
})();

t.test('OTLP/HTTP protobuf, JSON and OTLP/gRPC', async (t) => {
  const { c, written, grpcAddress } = await collector('otlp');
  await fc.assert(
    fc.asyncProperty(protoBodies, fc.constantFrom('protobuf', 'grpc', 'bad-type'), async (body, via) => {
      written.clear();
      if (via === 'grpc') {
        const r = await grpcExport(grpcAddress, body);
        const code = r.error?.code ?? grpc.status.OK;
        if (![grpc.status.OK, grpc.status.INVALID_ARGUMENT, grpc.status.RESOURCE_EXHAUSTED].includes(code))
          throw new Error(`gRPC answered ${grpc.status[code]}: ${r.error?.details}`);
        const exp = expectation(decodeTracesProtobuf(body));
        if (code !== grpc.status.OK) {
          if (written.size > 0) throw new Error('a refused call stored spans');
          return;
        }
        const partial =
          r.response && r.response.length > 0 ? decodeResponse(r.response).partialSuccess : undefined;
        const rejected = Number((partial as { rejectedSpans?: string } | undefined)?.rejectedSpans ?? 0);
        if (rejected !== exp.rejected)
          throw new Error(`rejected ${rejected}, decode refused ${exp.rejected}`);
        checkStored(written, exp.keys, 'gRPC');
        return;
      }
      const res = await c.otlpHttp.inject({
        method: 'POST',
        url: '/v1/traces',
        headers: { 'content-type': via === 'protobuf' ? 'application/x-protobuf' : 'text/plain' },
        payload: body,
      });
      if (!HTTP_ANSWERS.has(res.statusCode)) throw new Error(`HTTP answered ${res.statusCode}: ${res.body}`);
      if (res.statusCode !== 200) {
        if (written.size > 0) throw new Error(`a ${res.statusCode} stored spans`);
        return;
      }
      if (via !== 'protobuf') throw new Error('an unsupported content type was accepted');
      const exp = expectation(decodeTracesProtobuf(body));
      const partial = res.rawPayload.length > 0 ? decodeResponse(res.rawPayload).partialSuccess : undefined;
      const rejected = Number((partial as { rejectedSpans?: string } | undefined)?.rejectedSpans ?? 0);
      if (rejected !== exp.rejected) throw new Error(`rejected ${rejected}, decode refused ${exp.rejected}`);
      checkStored(written, exp.keys, 'HTTP protobuf');
    }),
    fuzzParams(150),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        { weight: 5, arbitrary: mutatedJson(s.json[0]).map((d) => JSON.stringify(d) ?? '') },
        { weight: 1, arbitrary: mutatedText(fc.constant(JSON.stringify(s.json[0]))) },
      ),
      async (text) => {
        written.clear();
        const res = await c.otlpHttp.inject({
          method: 'POST',
          url: '/v1/traces',
          headers: { 'content-type': 'application/json' },
          payload: text,
        });
        if (!HTTP_ANSWERS.has(res.statusCode))
          throw new Error(`HTTP answered ${res.statusCode}: ${res.body}`);
        if (res.statusCode !== 200) {
          if (written.size > 0) throw new Error(`a ${res.statusCode} stored spans`);
          return;
        }
        const exp = expectation(decodeTracesJson(JSON.parse(text)));
        const rejected = Number(res.json().partialSuccess?.rejectedSpans ?? 0);
        if (rejected !== exp.rejected)
          throw new Error(`rejected ${rejected}, decode refused ${exp.rejected}`);
        checkStored(written, exp.keys, 'HTTP JSON');
      },
    ),
    fuzzParams(150),
  );
  t.pass();
});

t.test('/k8s/objects and /k8s/audit', async (t) => {
  const { c, written } = await collector('k8s');
  const bodies = fc.oneof(
    mutatedText(fc.constantFrom(...s.k8sObjects)),
    fc
      .constantFrom(
        ...s.k8sObjects[1]
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as unknown),
        JSON.parse(s.k8sObjects[2]) as unknown,
      )
      .chain((doc) => mutatedJson(doc))
      .map((d) => JSON.stringify(d) ?? ''),
  );
  const audit = fc.oneof(
    mutatedText(fc.constantFrom(...s.k8sAudit)),
    mutatedJson(JSON.parse(s.k8sAudit[0])).map((d) => JSON.stringify(d) ?? ''),
  );
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        bodies.map((b) => ['/k8s/objects?arrival=none', b] as const),
        bodies.map((b) => ['/k8s/objects', b] as const),
        audit.map((b) => ['/k8s/audit', b] as const),
      ),
      fc.constantFrom('application/json', 'application/yaml', 'text/plain'),
      async ([url, body], type) => {
        written.clear();
        const res = await c.otlpHttp.inject({
          method: 'POST',
          url,
          headers: { 'content-type': type },
          payload: body,
        });
        if (!HTTP_ANSWERS.has(res.statusCode))
          throw new Error(`${url} answered ${res.statusCode}: ${res.body}`);
        if (res.statusCode !== 200) {
          if (written.size > 0) throw new Error(`a ${res.statusCode} stored spans`);
          return;
        }
        const spans = res.json().spans as number;
        if (spans > 0 !== written.size > 0)
          throw new Error(`answered ${spans} spans, ${written.size} written`);
      },
    ),
    fuzzParams(200),
  );
  t.pass();
});

t.test('memory stays bounded over the run', async (t) => {
  gc();
  const grown = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
  t.ok(grown < 150, `heap grew ${grown.toFixed(1)} MiB over the run`);
});
