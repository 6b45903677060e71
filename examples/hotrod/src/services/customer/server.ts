import { trace } from '@opentelemetry/api';
import express from 'express';
import type { ServiceTuning } from '../../config.js';
import { listen, type RunningServer, textError } from '../common/http-server.js';
import { spanLog, type Telemetry } from '../common/telemetry.js';
import { parseCustomerId } from './customers.js';
import { CustomerDatabase, CustomerNotFoundError } from './database.js';

/** Options of {@link startCustomer}. */
export interface CustomerOptions {
  host: string;
  port: number;
  telemetry: Telemetry;
  tuning: Readonly<ServiceTuning>;
}

/** The customer service: `GET /customer?customer=ID` → the customer as JSON (mysql behind it). */
export function customerApp(options: Omit<CustomerOptions, 'host' | 'port'>): express.Express {
  const db = new CustomerDatabase(options.telemetry.otel('mysql'), options.tuning);
  const app = express();
  app.disable('x-powered-by');
  app.use(options.telemetry.middleware('customer'));
  app.get('/customer', async (req, res) => {
    const span = trace.getActiveSpan();
    if (span) spanLog(span, 'HTTP request received', { method: req.method, url: req.originalUrl });
    const parsed = parseCustomerId(req.query.customer);
    if ('error' in parsed) return textError(res, 400, parsed.error);
    try {
      res.json(await db.get(parsed.id));
    } catch (err) {
      if (span) spanLog(span, 'request failed', { error: String((err as Error).message) }, 'error');
      textError(res, err instanceof CustomerNotFoundError ? 404 : 500, (err as Error).message);
    }
  });
  return app;
}

/** Starts the customer service. */
export function startCustomer(options: CustomerOptions): Promise<RunningServer> {
  return listen(customerApp(options), options.host, options.port);
}
