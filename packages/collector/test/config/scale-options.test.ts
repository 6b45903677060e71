// The options of agents, gateways, PostgreSQL and OTLP export: defaults, coercion, and the
// combinations refused at start-up with a message naming the options.
import t from 'tap';
import { loadConfig, resolveConfig } from '../../src/config/index.js';

t.test('defaults and coercion', async (t) => {
  const c = loadConfig({
    flags: { mode: 'agent', gateways: 'gw-0:4317, gw-1', queueMaxBytes: '2GiB', gatewayTls: 'true' },
    env: { CROSSTRACE_OTLP_GRPC_PORT: '0' },
  });
  t.equal(c.mode, 'agent');
  t.same(c.gateways, ['gw-0:4317', 'gw-1']);
  t.equal(c.queueMaxBytes, 2 * 1024 ** 3);
  t.equal(c.gatewayProtocol, 'grpc');
  t.equal(c.gatewayPort, 4317);
  t.equal(c.gatewayHttpPort, 4318);
  t.equal(c.gatewayTls, true);
  t.equal(c.gatewayDnsInterval, '5s');
  t.equal(resolveConfig({}).mode, 'standalone');
  t.equal(resolveConfig({ storage: 'postgresql://u@h/db' }).storage, 'postgresql://u@h/db');
  t.same(
    resolveConfig({ otlpExportEndpoint: 'grpc://tempo:4317', otlpExportHeaders: ['x-scope-orgid=a'] })
      .otlpExportHeaders,
    ['x-scope-orgid=a'],
  );
});

t.test('contradicting options are refused, naming them', async (t) => {
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ mode: 'agent' }, /--mode agent needs --gateways or --gateway-dns/],
    [{ gateways: ['a:1'] }, /--gateways and --gateway-dns need --mode agent/],
    [{ mode: 'agent', gateways: ['a'], gatewayDns: 'gw' }, /exclude each other/],
    [{ mode: 'agent', gateways: ['a'], otlpExportEndpoint: 'grpc://x:4317' }, /not an agent/],
    [{ otlpExportEndpoint: 'ftp://x' }, /--otlp-export-endpoint/],
    [{ otlpExportHeaders: ['novalue'] }, /--otlp-export-headers/],
    [{ leaderElection: true }, /--leader-election needs --k8s-watch/],
    [{ mode: 'sidecar' }, /--mode/],
    [{ gatewayProtocol: 'udp' }, /--gateway-protocol/],
    [{ exporterTlsCert: '/c.pem' }, /--exporter-tls-cert and --exporter-tls-key/],
    [{ postgresPartitionInterval: 'weekly' }, /--postgres-partition-interval/],
    [{ storage: 'mysql://x' }, /--storage/],
  ];
  for (const [partial, msg] of cases)
    t.throws(
      () => resolveConfig(partial),
      { code: 'CT_COLLECTOR_CONFIG', message: msg },
      JSON.stringify(partial),
    );
});
