import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Collector } from '@crosstrace/collector';
import { Bridge, createOtlpSink, createParser } from '@crosstrace/nginx-log-bridge';
import { ErrorCode, HotrodError } from '../errors.js';
import { type DemoCerts, makeCerts } from './certs.js';
import { ApiServer } from './cluster/api-server.js';
import { CollectorSink, fanOut } from './cluster/collector-sink.js';
import type { PodInfo } from './cluster/runtime.js';
import { Workloads } from './cluster/workloads.js';
import { startDemoCollector } from './demo-collector.js';
import { IngressController } from './ingress-controller.js';
import { findNginx, IngressNginx, LOG_FORMAT } from './ingress-nginx.js';
import { LoadGenerator, type LoadResult } from './load.js';
import { type DemoOptions, defaultDemoOptions } from './options.js';
import { ProcessRuntime } from './process-runtime.js';
import { Progress } from './progress.js';
import { OtlpRelay, RecordingWriter } from './recording.js';
import { buildReport, type DemoReport } from './report.js';
import {
  BACKEND_WORKER,
  backendSpec,
  frontendSpec,
  IMAGE,
  NAMESPACE,
  serviceCommand,
  WORKER,
} from './topology.js';

/** A finished demo run whose processes keep running until `stop()`. */
export interface RunningDemo {
  report: DemoReport;
  urls: { ui: string; query: string; otlp: string; hotrod: string; hotrodTls: string };
  /** Every request the load generator made. */
  load: LoadResult[];
  dir: string;
  certs: DemoCerts;
  /** The frontend's ReplicaSets, old then new; the pods of the old one. */
  rollout: { oldReplicaSet: string; newReplicaSet: string; oldPods: string[] };
  collector: Collector;
  /** Stops every process the demo started (nginx, pods), the collector, and removes its folder. */
  stop(): Promise<void>;
}

function portFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

async function checkPorts(o: DemoOptions): Promise<void> {
  const wanted: [string, string, number][] = [
    ['--query-port', o.host, o.queryPort],
    ['--otlp-port', o.host, o.otlpPort],
    ['--ingress-port', o.host, o.ingressPort],
    ['--ingress-tls-port', o.host, o.ingressTlsPort],
    ['--frontend-port', `${WORKER.podPrefix}.2`, o.frontendPort],
    ['--customer-port', `${BACKEND_WORKER.podPrefix}.2`, o.customerPort],
    ['--driver-port', `${BACKEND_WORKER.podPrefix}.3`, o.driverPort],
    ['--route-port', `${BACKEND_WORKER.podPrefix}.4`, o.routePort],
  ];
  for (const [flag, host, port] of wanted) {
    if (port !== 0 && !(await portFree(host, port)))
      throw new HotrodError(ErrorCode.PortInUse, `${host}:${port} is in use; choose another with ${flag}`);
  }
}

/** Runs steps of a teardown in reverse order of registration, each once, ignoring failures. */
class Teardown {
  private readonly steps: (() => Promise<void> | void)[] = [];
  add(step: () => Promise<void> | void): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      try {
        await step();
      } catch {
        // keep tearing down
      }
    }
  }
}

/**
 * Runs the demo: the collector (SQLite in a temporary folder), the HotROD services as pods of a
 * simulated cluster, a real nginx in front of the frontend pods configured like ingress-nginx,
 * the bridge tailing nginx's access log, load from browser sessions — and, while the load runs,
 * a rollout of the frontend Deployment whose old pods stop accepting before nginx (a few seconds
 * late) stops sending them requests. Resolves with the report once the data has arrived; the
 * processes keep running until `stop()`.
 *
 * @param options - ports and the load/rollout profile (defaults: {@link defaultDemoOptions})
 * @example
 * const demo = await runDemo({ queryPort: 16686, warmupMs: 4000 });
 * console.log(formatReport(demo.report));
 * await demo.stop();
 */
export async function runDemo(options: Partial<DemoOptions> = {}): Promise<RunningDemo> {
  const o: DemoOptions = { ...defaultDemoOptions(), ...options };
  const out = o.out ?? process.stderr;
  const teardown = new Teardown();
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'hotrod-demo-'));
  if (o.dir === undefined) teardown.add(() => rmSync(dir, { recursive: true, force: true }));
  try {
    if (findNginx() === undefined)
      throw new HotrodError(ErrorCode.MissingProgram, 'nginx is not installed (apt-get install -y nginx)');
    await checkPorts(o);
    const certs = makeCerts(dir);

    const { collector, otlp, query } = await startDemoCollector({
      dir,
      host: o.host,
      otlpPort: o.otlpPort,
      queryPort: o.queryPort,
    });
    teardown.add(() => collector.close());
    const ui = query;

    const recorder = o.recordTo === undefined ? undefined : new RecordingWriter();
    let appEndpoint = otlp;
    if (recorder) {
      const relay = new OtlpRelay(otlp, (body) => recorder.appSpans(body));
      appEndpoint = await relay.listen(o.host);
      teardown.add(() => relay.close());
    }

    const sink = new CollectorSink({ baseUrl: otlp });
    const api = new ApiServer(recorder ? fanOut(sink, recorder) : sink);
    const runtime = new ProcessRuntime({
      logDir: join(dir, 'pods'),
      command: (pod: PodInfo): { args: string[] } => podCommand(pod),
    });
    teardown.add(() => runtime.killAll());
    const workloads: Workloads = new Workloads(api, runtime, {
      namespace: NAMESPACE,
      probePeriodMs: o.probePeriodMs,
    });
    teardown.add(async () => {
      // the pods' own graceful stop (they finish their requests and export their last spans),
      // at most 10 s; then the runtime kills what is left
      const limit = new AbortController();
      await Promise.race([
        workloads.shutdown(),
        sleep(10_000, undefined, { signal: limit.signal }).catch(() => undefined),
      ]);
      limit.abort();
    });

    const telemetry = { endpoint: appEndpoint, json: recorder !== undefined };
    const podCommand = (pod: PodInfo): { args: string[] } =>
      serviceCommand(pod, {
        ports: o,
        uiUrl: ui,
        telemetry,
        addressOf: (service: string): string => workloads.endpoints(service)[0]?.address ?? '',
      });

    const progress = new Progress(
      out,
      o.warmupMs + o.cooldownMs + 6000 + o.ingressSyncLagMs,
      o.progress ?? out.isTTY === true,
    );
    const note = (line: string) => progress.setPhase(line);
    progress.start();
    teardown.add(() => progress.stop());

    // the backends, then the frontend, each a Deployment
    note('starting customer, driver and route');
    await Promise.all([
      workloads.apply(backendSpec('customer', o.customerPort)),
      workloads.apply(backendSpec('driver', o.driverPort)),
      workloads.apply(backendSpec('route', o.routePort)),
    ]);
    const frontend = frontendSpec(o);
    note('starting the frontend pods');
    await workloads.apply(frontend);
    const [oldReplicaSet] = workloads.replicaSets('frontend');
    const oldPods = workloads.pods(oldReplicaSet);

    // the ingress in front of them
    const nginx = new IngressNginx({
      dir: join(dir, 'nginx'),
      host: o.host,
      httpPort: o.ingressPort,
      httpsPort: o.ingressTlsPort,
      certs,
      namespace: NAMESPACE,
      service: 'frontend',
      servicePort: o.frontendPort,
    });
    const controller = new IngressController(workloads, nginx, {
      service: 'frontend',
      syncLagMs: o.ingressSyncLagMs,
      onSync: (servers) => note(`ingress: nginx reloaded, upstream ${servers.join(' ')}`),
    });
    await nginx.start(controller.desired());
    teardown.add(() => nginx.stop());
    teardown.add(() => controller.stop());

    const bridge = new Bridge({
      parser: createParser({ logFormat: LOG_FORMAT }),
      sink: createOtlpSink({ endpoint: otlp }),
      pollIntervalMs: 100,
      batchLines: 500,
      spans: { namespaces: [NAMESPACE] },
    });
    const following = bridge.follow([nginx.accessLog], { fromBeginning: true });
    teardown.add(async () => {
      bridge.stop();
      await following;
    });

    // load, a rollout in the middle of it
    const load = new LoadGenerator({
      host: o.host,
      httpPort: o.ingressPort,
      httpsPort: o.ingressTlsPort,
      certs,
      users: o.users,
      thinkMs: o.thinkMs,
      onResult: (r) => progress.result(r),
    });
    const startMicros = Date.now() * 1000;
    load.start();
    teardown.add(() => load.stop());
    note('load: browser sessions clicking');
    await sleep(o.warmupMs);
    note('rollout: kubectl set image deployment/frontend frontend=…:0.1.1');
    const rolledOut = workloads.apply({ ...frontend, image: `${IMAGE}:0.1.1` });
    await rolledOut;
    const [, newReplicaSet] = workloads.replicaSets('frontend');
    note(`rollout: complete, ReplicaSet ${newReplicaSet}`);
    // nginx catches up with the last EndpointSlice changes, then some more load
    await sleep(Math.max(o.cooldownMs, o.ingressSyncLagMs + 500));
    await load.stop();
    await sink.flush();
    note('waiting for the last spans');
    const expected = readFileSync(nginx.accessLog, 'utf8')
      .split('\n')
      .filter((l) => l !== '').length;
    const endMicros = Date.now() * 1000;
    const dispatches = load.results.filter((x) => x.path === '/dispatch' && x.status === 200).length;
    const report = await settle({ query, ui, startMicros, endMicros, expected, dispatches });
    progress.stop();

    if (recorder && o.recordTo) {
      recorder.write(o.recordTo, nginx.accessLog, {
        format: 1,
        startMicros,
        endMicros,
        logFormat: LOG_FORMAT,
        namespace: NAMESPACE,
        deployment: 'frontend',
        profile: {
          users: o.users,
          thinkMs: o.thinkMs,
          warmupMs: o.warmupMs,
          cooldownMs: o.cooldownMs,
          ingressSyncLagMs: o.ingressSyncLagMs,
          frontendReplicas: o.frontendReplicas,
        },
      });
    }
    return {
      report,
      urls: {
        ui,
        query,
        otlp,
        hotrod: `http://${o.host}:${o.ingressPort}/`,
        hotrodTls: `https://${o.host}:${o.ingressTlsPort}/`,
      },
      load: load.results,
      dir,
      certs,
      rollout: { oldReplicaSet, newReplicaSet, oldPods },
      collector,
      stop: () => teardown.run(),
    };
  } catch (err) {
    await teardown.run();
    throw err;
  }
}

/** How many spans named `operation` of `service` the collector holds in the window. */
async function countSpans(
  query: string,
  service: string,
  operation: string,
  window: string,
): Promise<number> {
  const q = new URLSearchParams({ service, operation, limit: '100000' });
  const res = await fetch(`${query}/api/traces?${q}&${window}`);
  if (!res.ok) return 0;
  const body = (await res.json()) as { data: { spans: { operationName: string }[] }[] };
  return body.data.reduce((n, t) => n + t.spans.filter((x) => x.operationName === operation).length, 0);
}

/**
 * Waits until the collector holds every request of the access log and, for every dispatch
 * answered, frontend's `notify customer` (the last span of a dispatch, after the answer: the
 * services export every second, the other services' spans ended before it), then builds the
 * report. Bounded: on a machine too busy to get there in time, the report says what arrived.
 */
async function settle(opts: {
  query: string;
  ui: string;
  startMicros: number;
  endMicros: number;
  /** Access-log lines. */
  expected: number;
  /** /dispatch requests answered 200. */
  dispatches: number;
}): Promise<DemoReport> {
  const startMicros = opts.startMicros - 1_000_000;
  const window = `start=${startMicros}&end=${opts.endMicros + 5_000_000}`;
  const build = () =>
    buildReport({
      queryBase: opts.query,
      uiBase: opts.ui,
      startMicros,
      endMicros: opts.endMicros,
      deployment: 'frontend',
    });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const notified = await countSpans(opts.query, 'frontend', 'notify customer', window);
    if (notified >= opts.dispatches) {
      const report = await build();
      if (report.requests >= opts.expected) {
        // the other services' batches of the last dispatches: exported on the same 1 s timer
        await sleep(1200);
        return build();
      }
    }
    if (Date.now() > deadline) return build();
    await sleep(500);
  }
}
