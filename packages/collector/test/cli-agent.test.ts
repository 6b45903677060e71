// The CLI in agent mode says where it forwards; a database password is never printed.
import t from 'tap';
import { runCli, startCli } from './helpers/cli.js';

// two CLI starts from source: slow on a loaded machine
t.setTimeout(240_000);

t.test('agent mode names its gateways and its queue', async (t) => {
  const cli = await startCli([
    '--mode',
    'agent',
    '--gateways',
    '127.0.0.1:1',
    '--queue-path',
    `${t.testdirName}/q.db`,
    '--otlp-http-port',
    '0',
    '--otlp-grpc-port',
    '0',
    '--query-port',
    '0',
  ]);
  t.teardown(() => cli.child.kill('SIGKILL'));
  await new Promise((r) => setTimeout(r, 200));
  t.match(cli.stdout(), /agent: forwarding to 127\.0\.0\.1:1 \(queue .*q\.db\)/);
  cli.child.kill('SIGTERM');
  t.equal((await cli.exited).code, 0);
});

t.test('a PostgreSQL URL is printed without its password', async (t) => {
  const r = await runCli(['--storage', 'postgres://ct:s3cret@127.0.0.1:1/db', '--otlp-grpc-port', '-1']);
  t.equal(r.code, 1, 'no server there');
  t.notMatch(r.out + r.err, /s3cret/);
  t.match(r.err, /CT_COLLECTOR_STORE_OPEN/);
});
