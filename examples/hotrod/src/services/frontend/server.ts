import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { trace } from '@opentelemetry/api';
import express from 'express';
import type { ServiceTuning } from '../../config.js';
import { baggageItem } from '../common/baggage.js';
import { listen, type RunningServer, textError } from '../common/http-server.js';
import { spanLog, type Telemetry } from '../common/telemetry.js';
import { WorkerPool } from '../common/worker-pool.js';
import { parseCustomerId } from '../customer/customers.js';
import { DriverClient } from '../driver/client.js';
import { BestEta } from './best-eta.js';
import { CustomerClient, HttpStatusError, RouteClient } from './clients.js';
import { CustomerNotifier } from './notifier.js';

/** `web/index.html` (beside src/ and dist/). */
const PAGE = fileURLToPath(new URL('../../../web/index.html', import.meta.url));

/** host:port of a service the frontend calls. */
export interface Endpoint {
  host: string;
  port: number;
}

/** Options of {@link startFrontend}. */
export interface FrontendOptions {
  host: string;
  port: number;
  telemetry: Telemetry;
  tuning: Readonly<ServiceTuning>;
  customer: Endpoint;
  driver: Endpoint;
  route: Endpoint;
  /** Base URL of the trace UI for the page's "find trace" / "open trace" links (`/config`). */
  uiUrl: string;
}

/** A running frontend (its notifier drains on close). */
export interface RunningFrontend extends RunningServer {
  readonly notifier: CustomerNotifier;
}

function hostPort(e: Endpoint): string {
  return e.host.includes(':') ? `[${e.host}]:${e.port}` : `${e.host}:${e.port}`;
}

/** The frontend app: the page, `/config`, `/dispatch?customer=ID`. */
export function frontendApp(options: Omit<FrontendOptions, 'host' | 'port'>): {
  app: express.Express;
  notifier: CustomerNotifier;
  close(): void;
} {
  const { telemetry } = options;
  const fetchFn = telemetry.fetch('frontend');
  const driver = new DriverClient(options.driver.host, options.driver.port, telemetry);
  const eta = new BestEta(
    new CustomerClient(fetchFn, `http://${hostPort(options.customer)}`),
    driver,
    new RouteClient(fetchFn, `http://${hostPort(options.route)}`),
    new WorkerPool(options.tuning.routeWorkerPoolSize),
  );
  const notifier = new CustomerNotifier(telemetry.ot('frontend'));
  const page = readFileSync(PAGE);
  const app = express();
  app.disable('x-powered-by');
  app.use(telemetry.middleware('frontend'));
  app.get('/', (_req, res) => {
    res.type('html').send(page);
  });
  // for the kubelet's readiness probe (a path the tracing middleware ignores)
  app.get('/healthz', (_req, res) => {
    res.type('text/plain').send('ok\n');
  });
  app.get('/config', (_req, res) => {
    res.json({ jaeger: options.uiUrl });
  });
  app.get('/dispatch', async (req, res) => {
    const span = trace.getActiveSpan();
    if (span) spanLog(span, 'HTTP request received', { method: req.method, url: req.originalUrl });
    const parsed = parseCustomerId(req.query.customer);
    if ('error' in parsed) return textError(res, 400, parsed.error);
    try {
      const { response, customer } = await eta.get(parsed.id);
      res.json(response);
      notifier.notify(span, customer.Name || baggageItem('customer'), response.Driver, response.ETA);
    } catch (err) {
      if (span) spanLog(span, 'request failed', { error: String((err as Error).message) }, 'error');
      const status = err instanceof HttpStatusError && err.status < 500 ? err.status : 500;
      textError(res, status, (err as Error).message);
    }
  });
  return { app, notifier, close: () => driver.close() };
}

/** Starts the frontend. */
export async function startFrontend(options: FrontendOptions): Promise<RunningFrontend> {
  const f = frontendApp(options);
  const server = await listen(f.app, options.host, options.port);
  return {
    host: server.host,
    port: server.port,
    notifier: f.notifier,
    close: async () => {
      await server.close();
      await f.notifier.drain();
      f.close();
    },
  };
}
