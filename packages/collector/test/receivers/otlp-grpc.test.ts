import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs/minimal.js';
import t from 'tap';
import { startCollector } from '../helpers/collector.js';
import { createGatedStore } from '../helpers/gated-store.js';
import { grpcExport } from '../helpers/grpc-client.js';
import { encodeRequest } from '../helpers/proto.js';

function body(n: number, bad = 0): Buffer {
  const spans = [];
  for (let i = 0; i < n; i++) {
    spans.push({
      traceId: Buffer.from('a102030405060708090a0b0c0d0e0f10', 'hex'),
      spanId: Buffer.from([1, 2, 3, 4, 5, 6, 7, i + 1]),
      name: `g${i}`,
    });
  }
  for (let i = 0; i < bad; i++)
    spans.push({ traceId: Buffer.alloc(3), spanId: Buffer.alloc(8, 9), name: 'bad' });
  const resource = { attributes: [{ key: 'service.name', value: { stringValue: 'kubelet' } }] };
  return encodeRequest({ resourceSpans: [{ resource, scopeSpans: [{ spans }] }] });
}

/** Reads google.rpc.RetryInfo's retry_delay.seconds out of a grpc-status-details-bin trailer. */
function retryDelaySeconds(details: Buffer): number | undefined {
  const r = protobuf.Reader.create(details);
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 !== 3) {
      r.skipType(tag & 7);
      continue;
    }
    const any = protobuf.Reader.create(r.bytes());
    let value: Uint8Array | undefined;
    while (any.pos < any.len) {
      const t2 = any.uint32();
      if (t2 >>> 3 === 2) value = any.bytes();
      else any.skipType(t2 & 7);
    }
    if (value === undefined) return undefined;
    const info = protobuf.Reader.create(value);
    info.uint32();
    const duration = protobuf.Reader.create(info.bytes());
    duration.uint32();
    return Number(duration.int64());
  }
  return undefined;
}

t.test('Export stores spans; partial success; malformed → INVALID_ARGUMENT', async (t) => {
  const running = await startCollector();
  t.teardown(() => running.collector.close());
  const ok = await grpcExport(running.otlpGrpcAddress, body(3, 2));
  t.equal(ok.error, undefined);
  t.ok(ok.response && ok.response.length > 0, 'partial_success in the response');
  const spans = await running.collector.store.getTrace('a102030405060708090a0b0c0d0e0f10');
  t.equal(spans.length, 3);
  t.equal(spans[0].layer, 'control-plane', 'kubelet → control-plane layer');
  const bad = await grpcExport(running.otlpGrpcAddress, Buffer.from([0x0a, 0xff, 0xff, 0x03, 0x01]));
  t.equal(bad.error?.code, grpc.status.INVALID_ARGUMENT);
  t.match(bad.error?.details, /malformed protobuf/);
});

t.test('overload → RESOURCE_EXHAUSTED with RetryInfo; storage failure → UNAVAILABLE', async (t) => {
  const store = createGatedStore();
  const running = await startCollector({ store, maxQueueSpans: 4, retryAfterSeconds: 3 });
  t.teardown(() => running.collector.close());
  const first = grpcExport(running.otlpGrpcAddress, body(4));
  while (running.collector.writer.depth().spans < 4) await new Promise((r) => setTimeout(r, 5));
  const refused = await grpcExport(running.otlpGrpcAddress, body(1));
  t.equal(refused.error?.code, grpc.status.RESOURCE_EXHAUSTED);
  const details = refused.error?.metadata.get('grpc-status-details-bin')[0];
  t.ok(Buffer.isBuffer(details), 'rich status trailer');
  t.equal(retryDelaySeconds(details as Buffer), 3, 'RetryInfo.retry_delay');
  store.open();
  t.equal((await first).error, undefined, 'the queued call succeeds after commit');
  store.failing = true;
  const failed = await grpcExport(running.otlpGrpcAddress, body(1));
  t.equal(failed.error?.code, grpc.status.UNAVAILABLE);
});

t.test('bearer token over gRPC metadata', async (t) => {
  const running = await startCollector({ ingestToken: 'tok' });
  t.teardown(() => running.collector.close());
  const none = await grpcExport(running.otlpGrpcAddress, body(1));
  t.equal(none.error?.code, grpc.status.UNAUTHENTICATED);
  const ok = await grpcExport(running.otlpGrpcAddress, body(1), {
    metadata: { authorization: 'Bearer tok' },
  });
  t.equal(ok.error, undefined);
});

t.test('a message over --max-body-size → RESOURCE_EXHAUSTED, server keeps serving', async (t) => {
  const running = await startCollector({ maxBodyBytes: 64 * 1024 });
  t.teardown(() => running.collector.close());
  const big = await grpcExport(running.otlpGrpcAddress, body(4000));
  t.equal(big.error?.code, grpc.status.RESOURCE_EXHAUSTED);
  const ok = await grpcExport(running.otlpGrpcAddress, body(2));
  t.equal(ok.error, undefined);
});
