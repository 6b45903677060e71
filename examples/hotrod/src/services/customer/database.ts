import { context, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import type { ServiceTuning } from '../../config.js';
import { baggageItem } from '../common/baggage.js';
import { sleepNormal } from '../common/delay.js';
import { spanLog } from '../common/telemetry.js';
import { TracedMutex } from '../common/traced-mutex.js';
import { CUSTOMERS, type Customer } from './customers.js';

/** The customer id is not in the table (the frontend answers 404). */
export class CustomerNotFoundError extends Error {
  readonly status = 404;
  constructor() {
    super('invalid customer ID');
    this.name = 'CustomerNotFoundError';
  }
}

/**
 * The simulated MySQL: one `SQL SELECT` CLIENT span per query (service `mysql`), N(300, 30) ms,
 * behind one lock keyed by the `request` baggage item — a misconfigured pool of one connection.
 */
export class CustomerDatabase {
  readonly lock = new TracedMutex('request');

  constructor(
    private readonly tracer: Tracer,
    private readonly tuning: Readonly<ServiceTuning>,
  ) {}

  async get(customerId: number): Promise<Customer> {
    const parent = trace.getActiveSpan();
    if (parent) spanLog(parent, 'Loading customer', { customer_id: customerId });
    return this.tracer.startActiveSpan(
      'SQL SELECT',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'db.system.name': 'mysql',
          'db.operation.name': 'SELECT',
          'db.collection.name': 'customer',
          'peer.service': 'mysql',
          'db.query.text': `SELECT * FROM customer WHERE customer_id=${customerId}`,
        },
      },
      context.active(),
      async (span) => {
        let release: (() => void) | undefined;
        try {
          if (!this.tuning.mysqlMutexDisabled) release = await this.lock.lock(span, baggageItem('request'));
          await sleepNormal(this.tuning.mysqlGetDelayMs, this.tuning.mysqlGetDelayStdDevMs);
          const customer = CUSTOMERS.get(customerId);
          if (customer === undefined) {
            const err = new CustomerNotFoundError();
            span.recordException(err);
            span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
            throw err;
          }
          return customer;
        } finally {
          release?.();
          span.end();
        }
      },
    );
  }
}
