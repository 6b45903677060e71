import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import t from 'tap';
import { createOtlpSink } from '../../src/export/span-sink.js';
import { parseLine } from '../../src/parse/parse-line.js';
import { toSpans } from '../../src/spans/to-spans.js';
import { decodeSpans } from '../helpers/collector-stub.js';
import { fixtureLines } from '../helpers/fixtures.js';

function pki(dir: string) {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...key, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=test-ca', '-days', '1');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  for (const name of ['server', 'client']) {
    ssl('req', ...key, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    const ext = name === 'server' ? ['-extfile', 'san.ext'] : [];
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '1',
      ...ext,
    );
  }
  const read = (f: string) => readFileSync(join(dir, f));
  return {
    ca: read('ca.crt'),
    serverKey: read('server.key'),
    serverCert: read('server.crt'),
    clientKey: read('client.key'),
    clientCert: read('client.crt'),
  };
}

t.test('https with a private CA and a client certificate (mTLS)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ct-tls-'));
  const p = pki(dir);
  let received = 0;
  const clients: string[] = [];
  const server = createServer(
    { key: p.serverKey, cert: p.serverCert, ca: p.ca, requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received += decodeSpans(Buffer.concat(chunks)).length;
        clients.push(String((req.socket as TLSSocket).getPeerCertificate().subject?.CN));
        res.writeHead(200).end();
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const r = parseLine(fixtureLines('ingress-nginx-upstreaminfo.log')[0], { format: 'ingress-nginx' });
  if (!r.ok) throw new Error('fixture');
  const spans = toSpans(r.record);

  const mtls = createOtlpSink({ endpoint: url, tls: { ca: p.ca, cert: p.clientCert, key: p.clientKey } });
  t.same(await mtls.export(spans), { ok: true });
  await mtls.shutdown();
  t.equal(received, 2);
  t.same(clients, ['client']);

  const noClientCert = createOtlpSink({ endpoint: url, tls: { ca: p.ca } });
  const refused = await noClientCert.export(spans);
  t.equal(refused.ok, false, 'the server requires a client certificate');
  await noClientCert.shutdown();

  const untrusted = createOtlpSink({ endpoint: url, tls: { cert: p.clientCert, key: p.clientKey } });
  const bad = await untrusted.export(spans);
  t.equal(bad.ok, false, 'the server certificate is not trusted without the CA');
  if (!bad.ok) t.equal(bad.permanent, false);
  await untrusted.shutdown();
  t.equal(received, 2);
});
