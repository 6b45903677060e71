// The five services in one process (as the original's `all`), exporting to a real collector; a
// /dispatch is read back through the Jaeger API.
import { build } from '@crosstrace/collector';
import t from 'tap';
import { defaultTuning } from '../src/config.js';
import { Telemetry } from '../src/services/common/telemetry.js';
import { anyPortAddresses, startServices } from '../src/services/run.js';
import { eventually, getTrace, logs, type TraceView, tag } from './helpers/jaeger.js';

t.test('a /dispatch through the five services, traced', async (t) => {
  const collector = await build({ storage: 'memory', otlpHttpPort: 0, otlpGrpcPort: -1, queryPort: 0 });
  const ports = await collector.listen();
  const telemetry = new Telemetry({ endpoint: `http://127.0.0.1:${ports.otlpHttpPort}`, exportDelayMs: 100 });
  const host = '127.0.0.1';
  const services = await startServices({
    services: ['frontend', 'customer', 'driver', 'route'],
    addresses: anyPortAddresses(host),
    telemetry,
    // short simulated latencies: on a busy machine the driver's sequential redis calls could
    // outlast the original's 1 s gRPC deadline (a 500)
    tuning: {
      ...defaultTuning(),
      mysqlGetDelayMs: 30,
      mysqlGetDelayStdDevMs: 3,
      redisGetDelayMs: 2,
      redisGetDelayStdDevMs: 0,
    },
    uiUrl: 'http://127.0.0.1:16686',
  });
  t.teardown(async () => {
    await services.close();
    await telemetry.shutdown();
    await collector.close();
  });
  const base = `http://${host}:${services.ports.frontend}`;
  const query = `http://127.0.0.1:${ports.queryPort}`;

  t.match(await (await fetch(`${base}/`)).text(), /Hot R\.O\.D\./, 'the page');
  t.same(await (await fetch(`${base}/config`)).json(), { jaeger: 'http://127.0.0.1:16686' });
  t.equal((await fetch(`${base}/dispatch`)).status, 400, 'missing customer → 400');
  t.equal((await fetch(`${base}/dispatch?customer=abc`)).status, 400, 'not an integer → 400');
  const unknown = await fetch(`${base}/dispatch?customer=999`);
  t.equal(unknown.status, 404, 'unknown customer → 404');
  t.match(await unknown.text(), /invalid customer ID/);

  const res = await fetch(`${base}/dispatch?customer=123&nonse=0.5`, {
    headers: { baggage: 'session=4242, request=4242-1' },
  });
  t.equal(res.status, 200);
  const body = (await res.json()) as { Driver: string; ETA: number };
  t.match(body.Driver, /^T7\d{5}C$/, 'a driver id');
  t.ok(body.ETA >= 2 * 60e9 && body.ETA % 60e9 === 0, 'ETA: whole minutes, at least 2, in nanoseconds');
  const traceparent = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[13]$/.exec(res.headers.get('traceresponse') ?? '');
  t.ok(traceparent, 'traceresponse header');
  const traceId = traceparent![1];

  // the services export on their own schedules: wait until every span read below has arrived
  // (the timeout names what is still missing)
  const view = await eventually<TraceView>(async () => {
    const v = await getTrace(query, traceId);
    const missing = missingSpans(v, services.ports.customer);
    if (missing.length > 0) throw new Error(`still missing ${missing.join(', ')}`);
    return v;
  });
  const dispatch = view.one('frontend', 'GET /dispatch');
  t.equal(dispatch.spanID, traceparent![2], 'traceresponse names the server span');
  const customerCall = view
    .find('frontend', /GET/)
    .filter((s) => tag(s, 'server.port') === services.ports.customer);
  t.equal(customerCall.length, 1, 'one call to customer');
  t.equal(view.parent(customerCall[0]), dispatch);
  const customerServer = view.one('customer', 'GET /customer');
  t.equal(view.parent(customerServer), customerCall[0]);
  const sql = view.one('mysql', 'SQL SELECT');
  t.equal(view.parent(sql), customerServer, 'mysql under customer');
  t.equal(tag(sql, 'db.system.name'), 'mysql');
  t.equal(tag(sql, 'db.query.text'), 'SELECT * FROM customer WHERE customer_id=123');
  t.equal(tag(sql, 'request'), '4242-1', 'the lock records the request baggage');
  t.ok(
    logs(sql).some((l) => l.event === 'Acquired lock; 0 transactions waiting behind'),
    'lock event on the mysql span',
  );

  const grpcClient = view.one('frontend', 'driver.DriverService/FindNearest');
  t.equal(view.parent(grpcClient), dispatch);
  const grpcServer = view.one('driver', 'driver.DriverService/FindNearest');
  t.equal(view.parent(grpcServer), grpcClient, 'gRPC server under the gRPC client');
  t.equal(tag(grpcServer, 'rpc.system'), 'grpc');
  t.equal(view.parent(view.one('redis-manual', 'FindDriverIDs')), grpcServer);
  const gets = view.find('redis-manual', 'GetDriver');
  for (const g of gets) t.equal(view.parent(g), grpcServer);
  const failed = gets.filter((g) => tag(g, 'error') === true);
  t.ok(failed.length >= 1, 'the first GetDriver of the process fails');
  t.equal(gets.length, 10 + failed.length, 'each failure retried');
  t.ok(logs(failed[0]).some((l) => l.event === 'redis timeout'));
  t.ok(logs(grpcServer).some((l) => l.event === 'Retrying GetDriver after error' && l.retry_no === 1));

  const routeServers = view.find('route', 'GET /route');
  t.equal(routeServers.length, 10, 'one route per driver');
  for (const r of routeServers) {
    t.equal(view.service(view.parent(r)!), 'frontend');
    t.equal(view.parent(view.parent(r)!), dispatch);
  }
  const success = logs(dispatch).find((l) => l.event === 'Dispatch successful');
  t.equal(success?.driver, body.Driver, '"Dispatch successful" names the driver');

  const notify = view.one('frontend', 'notify customer');
  t.ok(
    notify.references.some((r) => r.refType === 'FOLLOWS_FROM' && r.spanID === dispatch.spanID),
    'notify customer follows from the dispatch',
  );
  t.same(new Set(notify.references.map((r) => r.spanID)), new Set([dispatch.spanID]), 'and nothing else');
  t.ok(
    notify.startTime >= dispatch.startTime + dispatch.duration - 1000,
    'it starts once the answer is sent',
  );
  t.ok(logs(notify).some((l) => l.event === 'Notification sent' && l.driver === body.Driver));
});

/** The spans the test reads that `v` does not hold yet, as `what have/want`. */
function missingSpans(v: TraceView, customerPort: number | undefined): string[] {
  const missing: string[] = [];
  const need = (what: string, have: number, want: number) => {
    if (have < want) missing.push(`${what} ${have}/${want}`);
  };
  const count = (service: string, operation: string) => v.find(service, operation).length;
  need('frontend GET /dispatch', count('frontend', 'GET /dispatch'), 1);
  const customerCalls = v.find('frontend', /GET/).filter((s) => tag(s, 'server.port') === customerPort);
  need('frontend call to customer', customerCalls.length, 1);
  need('customer GET /customer', count('customer', 'GET /customer'), 1);
  need('mysql SQL SELECT', count('mysql', 'SQL SELECT'), 1);
  need('frontend FindNearest', count('frontend', 'driver.DriverService/FindNearest'), 1);
  need('driver FindNearest', count('driver', 'driver.DriverService/FindNearest'), 1);
  need('redis-manual FindDriverIDs', count('redis-manual', 'FindDriverIDs'), 1);
  const gets = v.find('redis-manual', 'GetDriver');
  need('successful GetDriver', gets.filter((g) => tag(g, 'error') !== true).length, 10);
  need('failed GetDriver', gets.filter((g) => tag(g, 'error') === true).length, 1);
  const routes = v.find('route', 'GET /route');
  need('route GET /route', routes.length, 10);
  need('frontend calls to route', routes.filter((r) => v.parent(r) !== undefined).length, 10);
  need('frontend notify customer', count('frontend', 'notify customer'), 1);
  return missing;
}
