import { context, trace } from '@opentelemetry/api';
import { withBaggageItem } from '../common/baggage.js';
import { spanLog } from '../common/telemetry.js';
import type { WorkerPool } from '../common/worker-pool.js';
import type { Customer } from '../customer/customers.js';
import type { DriverClient } from '../driver/client.js';
import type { DriverLocation } from '../driver/proto.js';
import type { Route } from '../route/server.js';
import type { CustomerClient, RouteClient } from './clients.js';
import { goDuration } from './go-duration.js';

/** `/dispatch`'s answer, with the original's JSON (ETA in nanoseconds). */
export interface DispatchResponse {
  Driver: string;
  ETA: number;
}

/** The dispatch decision: the customer, then the nearest drivers, then a route per driver; the fastest wins. */
export class BestEta {
  constructor(
    private readonly customers: CustomerClient,
    private readonly drivers: DriverClient,
    private readonly routes: RouteClient,
    private readonly pool: WorkerPool,
  ) {}

  async get(customerId: number): Promise<{ response: DispatchResponse; customer: Customer }> {
    const span = trace.getActiveSpan();
    const customer = await this.customers.get(customerId);
    if (span) spanLog(span, 'Found customer', { customer: JSON.stringify(customer) });
    // the customer's name travels as baggage to every service called from here on
    const ctx = withBaggageItem('customer', customer.Name);
    const drivers = await context.with(ctx, () => this.drivers.findNearest(customer.Location));
    if (span) spanLog(span, 'Found drivers', { drivers: JSON.stringify(drivers) });
    const results = await this.getRoutes(ctx, customer, drivers);
    if (span)
      spanLog(span, 'Found routes', {
        routes: JSON.stringify(results.map((r) => ({ driver: r.driver, eta: r.route.ETA }))),
      });
    let best: DispatchResponse | undefined;
    for (const r of results)
      if (best === undefined || r.route.ETA < best.ETA) best = { Driver: r.driver, ETA: r.route.ETA };
    if (best === undefined) throw new Error('no routes found');
    if (span) spanLog(span, 'Dispatch successful', { driver: best.Driver, eta: goDuration(best.ETA) });
    return { response: best, customer };
  }

  /** One route per driver through the shared worker pool, each in the request's context. */
  private getRoutes(
    ctx: ReturnType<typeof context.active>,
    customer: Customer,
    drivers: readonly DriverLocation[],
  ): Promise<{ driver: string; route: Route }[]> {
    return Promise.all(
      drivers.map((d) =>
        this.pool.execute(
          // the job may start from another request's callback: bind it to this request's context
          context.bind(ctx, async () => ({
            driver: d.driverID,
            route: await this.routes.findRoute(d.location, customer.Location),
          })),
        ),
      ),
    );
  }
}
