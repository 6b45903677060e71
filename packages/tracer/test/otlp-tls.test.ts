import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import t from 'tap';
import { BatchSpanProcessor, createOtlpExporter, createTracer, setDiagnosticHandler } from '../src/index.js';
import { makeCerts } from './helpers/certs.js';

t.test('mTLS export with CA, client certificate and key from OTEL_EXPORTER_OTLP_* files', async (t) => {
  const certs = await makeCerts();
  const seen: { authorized: boolean; cn?: string | string[]; bytes: number }[] = [];
  const server = createServer(
    {
      cert: await certs.read(certs.files.serverCert),
      key: await certs.read(certs.files.serverKey),
      ca: await certs.read(certs.files.ca),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const sock = req.socket as TLSSocket;
      let bytes = 0;
      req.on('data', (c: Buffer) => {
        bytes += c.length;
      });
      req.on('end', () => {
        seen.push({ authorized: sock.authorized, cn: sock.getPeerCertificate().subject?.CN, bytes });
        res.writeHead(200, { 'content-type': 'application/x-protobuf' });
        res.end();
      });
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const { port } = server.address() as AddressInfo;
  const endpoint = `https://127.0.0.1:${port}`;

  const env = {
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_OTLP_CERTIFICATE: certs.files.ca,
    OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: certs.files.clientCert,
    OTEL_EXPORTER_OTLP_CLIENT_KEY: certs.files.clientKey,
  };
  const processor = new BatchSpanProcessor(createOtlpExporter({}, env));
  const tracer = createTracer({ processor, env: {}, registerGlobal: false });
  tracer.startSpan('over-mtls').finish();
  await tracer.shutdown();
  t.equal(processor.stats().exported, 1);
  t.equal(seen.length, 1);
  t.equal(seen[0].authorized, true, 'client certificate verified by the server');
  t.equal(seen[0].cn, 'client');
  t.ok(seen[0].bytes > 0);

  // Same server, options instead of env; without a client certificate the handshake fails.
  const codes: string[] = [];
  const prev = setDiagnosticHandler((e) => codes.push(e.code));
  t.teardown(() => setDiagnosticHandler(prev));
  const noClient = new BatchSpanProcessor(
    createOtlpExporter({ endpoint, ca: await certs.read(certs.files.ca), timeoutMillis: 2000 }, {}),
  );
  const t2 = createTracer({ processor: noClient, env: {}, registerGlobal: false });
  t2.startSpan('rejected').finish();
  await t2.shutdown();
  t.equal(noClient.stats().failed, 1, 'no client certificate → export fails, counted');
  t.equal(seen.length, 1);
});
