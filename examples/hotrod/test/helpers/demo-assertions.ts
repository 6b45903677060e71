// What the "Done when" asks of a demo run, checked through the collector's query API:
// used on the live demo and on the replay alike.
import type { Test } from 'tap';
import type { CrosstraceDiagnosis } from '../../src/demo/jaeger-json.js';
import { getJson, getTrace, type JaegerSpan, type JaegerTrace, logs, type TraceView, tag } from './jaeger.js';

type Diagnosis = CrosstraceDiagnosis;

/** The child spans of `parent` of `service` whose name matches. */
function childrenOf(
  view: TraceView,
  parent: JaegerSpan,
  service: string,
  name: string | RegExp,
): JaegerSpan[] {
  return view
    .children(parent)
    .filter(
      (c) =>
        view.service(c) === service &&
        (typeof name === 'string' ? c.operationName === name : name.test(c.operationName)),
    );
}

/**
 * A successful `/dispatch` trace holds the three app tiers in the right parentage under the
 * ingress: SERVER → attempt(s) → frontend → customer → mysql; frontend → driver → redis-manual;
 * frontend → route ×10; plus the lock events, the redis errors and retries, and the FollowsFrom
 * `notify customer`. Returns the view and the driver the frontend chose.
 */
export async function assertDispatchTrace(
  t: Test,
  query: string,
  traceId: string,
): Promise<{ view: TraceView; driver: string }> {
  const view = await getTrace(query, traceId);
  const ingress = view.find('ingress-nginx', /^GET /).filter((s) => tag(s, 'span.kind') === 'server');
  t.equal(ingress.length, 1, 'one ingress SERVER span');
  const server = ingress[0];
  t.equal(view.parent(server), undefined, 'the ingress SERVER span is the root');
  t.equal(tag(server, 'crosstrace.layer'), 'ingress');
  t.equal(tag(server, 'url.path'), '/dispatch');
  t.equal(tag(server, 'http.response.status_code'), 200);
  const attempts = view.children(server).filter((s) => tag(s, 'span.kind') === 'client');
  t.ok(attempts.length >= 1, 'upstream attempt spans under it');
  for (const a of attempts) t.equal(view.service(a), 'ingress-nginx');
  // in nginx's order (a refused attempt takes 0 ms, so the next one starts in the same µs)
  const order = (s: JaegerSpan) => Number(tag(s, 'http.request.resend_count') ?? 0);
  t.same(
    attempts.map(order).sort((a, b) => a - b),
    attempts.map((_, i) => i),
    'attempts numbered by http.request.resend_count',
  );
  const last = attempts.sort((a, b) => order(a) - order(b))[attempts.length - 1];
  t.equal(tag(last, 'http.response.status_code'), 200, 'the last attempt answered');

  const dispatch = view.one('frontend', 'GET /dispatch');
  t.equal(view.parent(dispatch), last, 'frontend GET /dispatch is the child of the attempt that answered');
  t.equal(tag(dispatch, 'crosstrace.layer'), 'app');
  t.equal(
    view.trace.processes[dispatch.processID].tags.find((x) => x.key === 'k8s.pod.ip')?.value,
    String(tag(last, 'server.address')),
    'the frontend pod is the one at the attempt address',
  );

  const customerCalls = childrenOf(view, dispatch, 'frontend', /^GET/).filter((c) =>
    view.children(c).some((x) => view.service(x) === 'customer'),
  );
  t.equal(customerCalls.length, 1, 'frontend → customer');
  const customer = childrenOf(view, customerCalls[0], 'customer', 'GET /customer');
  t.equal(customer.length, 1, 'customer GET /customer');
  const sql = childrenOf(view, customer[0], 'mysql', 'SQL SELECT');
  t.equal(sql.length, 1, 'customer → mysql SQL SELECT');
  t.equal(tag(sql[0], 'db.system.name'), 'mysql');
  t.match(String(tag(sql[0], 'db.query.text')), /^SELECT \* FROM customer WHERE customer_id=\d+$/);
  t.ok(
    logs(sql[0]).some((l) => /^Acquired lock; \d+ transactions waiting behind$/.test(String(l.event))),
    'the lock event on the mysql span',
  );
  t.match(String(tag(sql[0], 'request')), /^\d+-\d+$/, 'the lock is keyed by the request baggage');

  const grpcClient = childrenOf(view, dispatch, 'frontend', 'driver.DriverService/FindNearest');
  t.equal(grpcClient.length, 1, 'frontend → driver (gRPC client)');
  const driver = childrenOf(view, grpcClient[0], 'driver', 'driver.DriverService/FindNearest');
  t.equal(driver.length, 1, 'driver gRPC server');
  t.equal(
    childrenOf(view, driver[0], 'redis-manual', 'FindDriverIDs').length,
    1,
    'driver → redis-manual FindDriverIDs',
  );
  const gets = childrenOf(view, driver[0], 'redis-manual', 'GetDriver');
  const failed = gets.filter((g) => tag(g, 'error') === true);
  t.equal(gets.length, 10 + failed.length, 'ten GetDriver, one more per failure');
  for (const f of failed)
    t.ok(
      logs(f).some((l) => l.event === 'redis timeout'),
      'a failed GetDriver logs the timeout',
    );
  const retries = logs(driver[0]).filter((l) => l.event === 'Retrying GetDriver after error');
  t.equal(retries.length, failed.length, 'each failure is retried');

  const routeCalls = childrenOf(view, dispatch, 'frontend', /^GET/).filter((c) =>
    view.children(c).some((x) => view.service(x) === 'route'),
  );
  t.equal(routeCalls.length, 10, 'frontend → route, ten times');
  for (const r of routeCalls) t.equal(childrenOf(view, r, 'route', 'GET /route').length, 1);

  const success = logs(dispatch).find((l) => l.event === 'Dispatch successful');
  t.match(String(success?.driver), /^T7\d{5}C$/, '"Dispatch successful" names the driver');

  const notify = view.one('frontend', 'notify customer');
  t.ok(
    notify.references.some((r) => r.refType === 'FOLLOWS_FROM' && r.spanID === dispatch.spanID),
    'notify customer follows from the dispatch',
  );
  return { view, driver: String(success?.driver) };
}

/** The page's "find trace" search (Jaeger's search by the driver tag) returns the trace. */
export async function assertFindTrace(
  t: Test,
  query: string,
  driver: string,
  traceId: string,
): Promise<void> {
  const q = new URLSearchParams({
    service: 'frontend',
    tags: JSON.stringify({ driver }),
    lookback: '1h',
    limit: '20',
  });
  const found = await getJson<{ data: JaegerTrace[] }>(`${query}/api/traces?${q}`);
  t.ok(
    found.data.some((tr) => tr.traceID === traceId),
    `"find trace" for driver ${driver} returns its trace`,
  );
}

/**
 * At least one upstream attempt of the rollout failed (502) and is diagnosed
 * `upstream-pod-terminating` or `upstream-endpoint-removed`, naming one of the old pods; the
 * diagnosis is also an event on the attempt span in its trace. Returns the diagnosed attempts.
 */
export async function assertRolloutDiagnosis(
  t: Test,
  query: string,
  sinceMicros: number,
  oldPods: readonly string[],
): Promise<Diagnosis[]> {
  const all = await getJson<{ data: Diagnosis[] }>(
    `${query}/api/crosstrace/diagnoses?since=${sinceMicros}&limit=10000`,
  );
  const rollout = all.data.filter(
    (d) =>
      (d.code === 'upstream-pod-terminating' || d.code === 'upstream-endpoint-removed') &&
      oldPods.some((p) => d.evidence.pod === `hotrod/${p}`),
  );
  t.ok(rollout.length >= 1, `${rollout.length} failed attempts diagnosed, naming an old pod`);
  t.ok(
    rollout.some((d) => d.code === 'upstream-pod-terminating'),
    'upstream-pod-terminating among them',
  );
  const d = rollout[0];
  if (d === undefined) return rollout;
  const view = await getTrace(query, d.traceID);
  const attempt = view.byId.get(d.spanID);
  t.ok(attempt, 'the diagnosed span is in its trace');
  if (attempt) {
    t.equal(view.service(attempt), 'ingress-nginx');
    t.equal(tag(attempt, 'span.kind'), 'client', 'an upstream attempt');
    t.equal(tag(attempt, 'http.response.status_code'), 502, 'that failed with 502');
    t.ok(
      logs(attempt).some(
        (l) => l.event === 'crosstrace.diagnosis' && l['crosstrace.diagnosis.code'] === d.code,
      ),
      'the diagnosis is an event on the attempt',
    );
  }
  return rollout;
}

/** Something went over TLS with a client certificate (mTLS), and the ingress span says so. */
export async function assertMtls(t: Test, query: string): Promise<void> {
  const q = new URLSearchParams({
    service: 'ingress-nginx',
    tags: JSON.stringify({ 'crosstrace.tls.client_authenticated': 'true' }),
    lookback: '1h',
    limit: '5',
  });
  const found = await getJson<{ data: JaegerTrace[] }>(`${query}/api/traces?${q}`);
  t.ok(found.data.length > 0, 'requests with a verified client certificate');
  const span = found.data[0]?.spans.find((s) => tag(s, 'crosstrace.tls.client_authenticated') === true);
  t.match(String(span && tag(span, 'tls.client.subject')), /CN=hotrod-load-generator/, 'the client subject');
}

/** The rollout's control-plane trace: Deployment.Rollout of the new ReplicaSet with its pods. */
export async function assertRolloutTrace(
  t: Test,
  query: string,
  traceId: string,
  newReplicaSet: string,
): Promise<void> {
  const view = await getTrace(query, traceId);
  const root = view.one('deployment-controller', 'Deployment.Rollout');
  t.equal(tag(root, 'k8s.replicaset.name'), newReplicaSet, 'the rollout of the new ReplicaSet');
  t.equal(tag(root, 'crosstrace.layer'), 'control-plane');
  const names = new Set(view.trace.spans.map((s) => s.operationName));
  for (const n of [
    'ReplicaSet.SuccessfulCreate',
    'Pod.Scheduled',
    'Pod.Started',
    'Pod.Ready',
    'EndpointSlice.EndpointAdded',
  ])
    t.ok(names.has(n), `${n} in the rollout trace`);
}

/**
 * Redis timeouts happened and were retried: a search for redis-manual errors finds traces; in
 * one, each failed `GetDriver` logs "redis timeout", the driver logs "Retrying GetDriver after
 * error" once per failure, and the same driver is asked again after the failed call.
 */
export async function assertRedisRetries(t: Test, query: string): Promise<void> {
  const q = new URLSearchParams({
    service: 'redis-manual',
    operation: 'GetDriver',
    tags: JSON.stringify({ error: 'true' }),
    lookback: '1h',
    limit: '5',
  });
  const found = await getJson<{ data: JaegerTrace[] }>(`${query}/api/traces?${q}`);
  t.ok(found.data.length > 0, 'traces with a redis timeout');
  const first = found.data[0];
  if (first === undefined) return;
  const view = await getTrace(query, first.traceID);
  const gets = view.find('redis-manual', 'GetDriver').sort((a, b) => a.startTime - b.startTime);
  const failed = gets.filter((g) => tag(g, 'error') === true);
  t.ok(failed.length >= 1, `${failed.length} GetDriver calls failed in trace ${first.traceID}`);
  for (const f of failed) {
    t.ok(
      logs(f).some((l) => l.event === 'redis timeout'),
      'the failed call logs "redis timeout"',
    );
    const id = tag(f, 'param.driverID');
    t.ok(
      gets.some((g) => g.startTime > f.startTime && tag(g, 'param.driverID') === id),
      `driver ${id} is asked again after the timeout`,
    );
  }
  const server = view.one('driver', 'driver.DriverService/FindNearest');
  t.equal(
    logs(server).filter((l) => l.event === 'Retrying GetDriver after error').length,
    failed.length,
    '"Retrying GetDriver after error" once per failure',
  );
}
