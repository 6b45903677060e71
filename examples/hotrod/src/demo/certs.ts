import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, HotrodError } from '../errors.js';

/** The demo's PKI: a CA, the ingress's server certificate, a client certificate for mTLS. */
export interface DemoCerts {
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** The client certificate's subject, as nginx's `$ssl_client_s_dn` prints it. */
  clientSubject: string;
}

function openssl(dir: string, args: string[]): void {
  try {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new HotrodError(
      code === 'ENOENT' ? ErrorCode.MissingProgram : ErrorCode.ChildFailed,
      code === 'ENOENT'
        ? 'openssl is not installed (apt-get install -y openssl, or scripts/ensure-system-deps.sh)'
        : `openssl ${args[0]} failed: ${String((cause as { stderr?: Buffer }).stderr ?? cause)}`,
      { cause },
    );
  }
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Makes a CA (valid 2 days) and the certificates it signs in `dir`, with the openssl CLI. */
export function makeCerts(dir: string): DemoCerts {
  openssl(dir, [
    'req',
    '-x509',
    ...EC,
    '-days',
    '2',
    '-subj',
    '/O=crosstrace demo/CN=hotrod-demo-ca',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
  ]);
  writeFileSync(
    join(dir, 'server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:hotrod.local\nextendedKeyUsage=serverAuth\n',
  );
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, subject] of [
    ['server', '/O=crosstrace demo/CN=hotrod.local'],
    ['client', '/O=crosstrace demo/CN=hotrod-load-generator'],
  ] as const) {
    openssl(dir, ['req', ...EC, '-subj', subject, '-keyout', `${name}.key`, '-out', `${name}.csr`]);
    openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.crt`,
    ]);
  }
  return {
    caCert: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.crt'),
    clientKey: join(dir, 'client.key'),
    clientSubject: 'CN=hotrod-load-generator,O=crosstrace demo',
  };
}
