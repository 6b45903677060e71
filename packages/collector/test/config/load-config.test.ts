import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { createDefaultConfig, loadConfig, parseSize, resolveConfig } from '../../src/config/index.js';
import { CollectorErrorCode } from '../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'crosstrace-config-'));

t.test('defaults: loopback, usual ports, SQLite in the working directory, frozen', async (t) => {
  const c = loadConfig();
  t.equal(c.host, '127.0.0.1');
  t.equal(c.otlpHttpPort, 4318);
  t.equal(c.otlpGrpcPort, 4317);
  t.equal(c.queryPort, 16686);
  t.equal(c.storage, 'sqlite:./crosstrace.db');
  t.equal(c.maxBodyBytes, 64 * 1024 * 1024);
  t.ok(Object.isFrozen(c));
  t.same(c, createDefaultConfig());
});

t.test('precedence: defaults < YAML < env < flags; sizes and lists parsed', async (t) => {
  const file = join(dir, 'c.yaml');
  writeFileSync(
    file,
    'host: 0.0.0.0\nqueryPort: 1111\nmax-body-size: 8MiB\notlpHttpPort: 2222\ntlsAllowedSubjects: [a, b]\ntlsCert: /c.pem\ntlsKey: /k.pem\ntlsCa: /ca.pem\ntls-client-auth: "yes"\n',
  );
  const c = loadConfig({
    file,
    env: {
      CROSSTRACE_QUERY_PORT: '3333',
      CROSSTRACE_MAX_QUEUE_SIZE: '1GiB',
      CROSSTRACE_OTLP_HTTP_PORT: '4444',
    },
    flags: { otlpHttpPort: '0' },
  });
  t.equal(c.host, '0.0.0.0', 'from YAML');
  t.equal(c.maxBodyBytes, 8 * 1024 * 1024, 'YAML size');
  t.equal(c.queryPort, 3333, 'env over YAML');
  t.equal(c.maxQueueBytes, 1024 ** 3, 'env size');
  t.equal(c.otlpHttpPort, 0, 'flag over env');
  t.same(c.tlsAllowedSubjects, ['a', 'b']);
  t.equal(parseSize('10GiB'), 10 * 1024 ** 3);
  t.equal(parseSize('1.5k'), 1536);
  t.equal(parseSize('lots'), undefined);
});

t.test('clear errors naming the option', async (t) => {
  t.throws(() => loadConfig({ flags: { queryPort: '70000' } }), {
    code: CollectorErrorCode.Config,
    message: /--query-port/,
  });
  t.throws(() => loadConfig({ env: { CROSSTRACE_MAX_BODY_SIZE: 'huge' } }), {
    message: /CROSSTRACE_MAX_BODY_SIZE/,
  });
  t.throws(() => resolveConfig({ storage: 'mysql://x' }), { message: /--storage/ });
  t.throws(() => resolveConfig({ tlsCert: '/a.pem' }), { message: /--tls-cert and --tls-key/ });
  t.throws(() => resolveConfig({ retention: 'forever' }), { message: /--retention/ });
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'colour: blue\n');
  t.throws(() => loadConfig({ file }), { message: /unknown option 'colour'/ });
  writeFileSync(file, 'host: [unclosed\n');
  t.throws(() => loadConfig({ file }), { message: /invalid YAML/ });
  t.throws(() => loadConfig({ file: join(dir, 'missing.yaml') }), { message: /cannot read/ });
});

t.test('stitching tolerances are options: flags, env and YAML, validated by name', async (t) => {
  const d = loadConfig();
  t.equal(d.stitchingToleranceMs, 20);
  t.equal(d.stitchingMaxAttemptMs, 60_000);
  t.equal(d.stitchingSearchLimit, 5000);
  t.equal(d.stitchingIndexSpans, 50_000);
  const file = join(dir, 's.yaml');
  writeFileSync(file, 'stitching-tolerance: 35\nstitchingMaxAttemptMs: 120000\n');
  const c = loadConfig({
    file,
    env: { CROSSTRACE_STITCHING_INDEX_SPANS: '0' },
    flags: { stitchingSearchLimit: '777' },
  });
  t.equal(c.stitchingToleranceMs, 35);
  t.equal(c.stitchingMaxAttemptMs, 120_000);
  t.equal(c.stitchingIndexSpans, 0, 'off, for collectors sharing a store');
  t.equal(c.stitchingSearchLimit, 777);
  t.throws(
    () => resolveConfig({ stitchingToleranceMs: -1 }),
    /--stitching-tolerance \(CROSSTRACE_STITCHING_TOLERANCE\)/,
  );
  t.throws(
    () => loadConfig({ env: { CROSSTRACE_STITCHING_MAX_ATTEMPT: 'soon' } }),
    /CROSSTRACE_STITCHING_MAX_ATTEMPT/,
  );
});
