// mTLS on every listener: real sockets, certificates made with the openssl CLI.
import { request } from 'node:https';
import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { makeCerts } from '../helpers/certs.js';
import { startCollector } from '../helpers/collector.js';
import { grpcExport } from '../helpers/grpc-client.js';
import { otlpJson } from '../helpers/otlp-json.js';
import { encodeRequest } from '../helpers/proto.js';

const certs = makeCerts(['allowed-client', 'other-client']);
const running = await startCollector({
  tlsCert: certs.serverCert,
  tlsKey: certs.serverKey,
  tlsCa: certs.caCert,
  tlsClientAuth: true,
  tlsAllowedSubjects: ['allowed-client'],
});
t.teardown(() => running.collector.close());

function post(
  url: string,
  client: { cert: string; key: string } | undefined,
  payload: string,
): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: 'POST',
        ca: certs.read(certs.caCert),
        cert: client ? certs.read(client.cert) : undefined,
        key: client ? certs.read(client.key) : undefined,
        headers: { 'content-type': 'application/json' },
        agent: false,
      },
      (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', (e) => resolve({ error: e.message }));
    req.end(payload);
  });
}

t.test('OTLP/HTTPS with mTLS', async (t) => {
  const payload = JSON.stringify(otlpJson(2).body);
  const ok = await post(running.otlpHttpUrl, certs.clients['allowed-client'], payload);
  t.same('status' in ok && ok.status, 200, 'allowed client certificate');
  const none = await post(running.otlpHttpUrl, undefined, payload);
  t.ok(
    'error' in none,
    `no client certificate: refused in the handshake (${'error' in none ? none.error : ''})`,
  );
  const rogue = await post(running.otlpHttpUrl, certs.rogue, payload);
  t.ok('error' in rogue, 'self-signed client certificate refused');
  const other = await post(running.otlpHttpUrl, certs.clients['other-client'], payload);
  t.equal('status' in other && other.status, 403, 'valid certificate, subject not allowed');
  if ('status' in other) t.match(other.body, /other-client/);
});

t.test('query API over HTTPS with mTLS', async (t) => {
  const ok = await new Promise<number>((resolve, reject) => {
    request(
      `${running.queryUrl}/api/services`,
      {
        ca: certs.read(certs.caCert),
        cert: certs.read(certs.clients['allowed-client'].cert),
        key: certs.read(certs.clients['allowed-client'].key),
        agent: false,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    )
      .on('error', reject)
      .end();
  });
  t.equal(ok, 200);
});

t.test('OTLP/gRPC with mTLS', async (t) => {
  const body = encodeRequest({
    resourceSpans: [
      {
        scopeSpans: [{ spans: [{ traceId: Buffer.alloc(16, 7), spanId: Buffer.alloc(8, 7), name: 'tls' }] }],
      },
    ],
  });
  const ca = certs.read(certs.caCert);
  const allowed = certs.clients['allowed-client'];
  const ok = await grpcExport(running.otlpGrpcAddress, body, {
    credentials: grpc.credentials.createSsl(ca, certs.read(allowed.key), certs.read(allowed.cert)),
  });
  t.equal(ok.error, undefined, 'allowed client');
  const none = await grpcExport(running.otlpGrpcAddress, body, {
    credentials: grpc.credentials.createSsl(ca),
  });
  t.equal(none.error?.code, grpc.status.UNAVAILABLE, 'no client certificate: no connection');
  const other = certs.clients['other-client'];
  const denied = await grpcExport(running.otlpGrpcAddress, body, {
    credentials: grpc.credentials.createSsl(ca, certs.read(other.key), certs.read(other.cert)),
  });
  t.equal(denied.error?.code, grpc.status.PERMISSION_DENIED, 'subject not allowed');
  t.equal((await running.collector.store.getTrace('07'.repeat(16))).length, 1);
});
