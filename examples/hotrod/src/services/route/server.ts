import { trace } from '@opentelemetry/api';
import express from 'express';
import type { ServiceTuning } from '../../config.js';
import { baggageItem } from '../common/baggage.js';
import { normal, sleepNormal } from '../common/delay.js';
import { listen, type RunningServer, textError } from '../common/http-server.js';
import { spanLog, type Telemetry } from '../common/telemetry.js';

const NANOS_PER_MINUTE = 60_000_000_000;

/** A computed route, with the original's JSON (ETA as a Go duration: nanoseconds). */
export interface Route {
  Pickup: string;
  Dropoff: string;
  ETA: number;
}

/**
 * Seconds of route computation per baggage value (`customer`, `session`): the original's
 * expvar maps, which show how baggage attributes cost to a customer or a browser session.
 */
export class RouteStats {
  readonly byCustomer = new Map<string, number>();
  readonly bySession = new Map<string, number>();

  add(ms: number): void {
    for (const [key, map] of [
      ['customer', this.byCustomer],
      ['session', this.bySession],
    ] as const) {
      const v = baggageItem(key);
      if (v !== '') map.set(v, (map.get(v) ?? 0) + ms / 1000);
    }
  }

  toJSON(): Record<string, Record<string, number>> {
    return {
      'route.calc.by.customer.sec': Object.fromEntries(this.byCustomer),
      'route.calc.by.session.sec': Object.fromEntries(this.bySession),
    };
  }
}

/** Options of {@link startRoute}. */
export interface RouteOptions {
  host: string;
  port: number;
  telemetry: Telemetry;
  tuning: Readonly<ServiceTuning>;
}

/** The route service: `GET /route?pickup=&dropoff=` → N(50, 12.5) ms, ETA max(2, N(5, 3)) minutes. */
export function routeApp(options: Omit<RouteOptions, 'host' | 'port'>): express.Express {
  const stats = new RouteStats();
  const app = express();
  app.disable('x-powered-by');
  app.use(options.telemetry.middleware('route'));
  app.get('/route', async (req, res) => {
    const span = trace.getActiveSpan();
    if (span) spanLog(span, 'HTTP request received', { method: req.method, url: req.originalUrl });
    const pickup = typeof req.query.pickup === 'string' ? req.query.pickup : '';
    if (pickup === '') return textError(res, 400, "Missing required 'pickup' parameter");
    const dropoff = typeof req.query.dropoff === 'string' ? req.query.dropoff : '';
    if (dropoff === '') return textError(res, 400, "Missing required 'dropoff' parameter");
    const started = performance.now();
    await sleepNormal(options.tuning.routeCalcDelayMs, options.tuning.routeCalcDelayStdDevMs);
    // Go's time.Duration(float) truncates: whole minutes, at least 2
    const minutes = Math.trunc(Math.max(2, normal() * 3 + 5));
    stats.add(performance.now() - started);
    const route: Route = { Pickup: pickup, Dropoff: dropoff, ETA: minutes * NANOS_PER_MINUTE };
    res.json(route);
  });
  app.get('/debug/vars', (_req, res) => {
    res.json(stats);
  });
  return app;
}

/** Starts the route service. */
export function startRoute(options: RouteOptions): Promise<RunningServer> {
  return listen(routeApp(options), options.host, options.port);
}
