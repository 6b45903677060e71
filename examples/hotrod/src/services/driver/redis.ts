import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Span as OtelSpan } from '@opentelemetry/api';
import { type Span, Tags, type Tracer } from 'opentracing';
import type { ServiceTuning } from '../../config.js';
import { sleepNormal } from '../common/delay.js';

/** A driver record. */
export interface Driver {
  driverID: string;
  location: string;
}

/** The simulated timeout of `GetDriver`. */
export class RedisTimeoutError extends Error {
  constructor() {
    super('redis timeout');
    this.name = 'RedisTimeoutError';
  }
}

/**
 * The original's error simulator, one per process: the first call fails, then every fifth.
 */
export class ErrorSimulator {
  private countTillError = 0;

  /** True when this call fails. */
  next(): boolean {
    this.countTillError--;
    if (this.countTillError > 0) return false;
    this.countTillError = 5;
    return true;
  }
}

/**
 * The simulated Redis (service `redis-manual`), instrumented with the OpenTracing API: CLIENT
 * spans `FindDriverIDs` and `GetDriver`, children of the caller's span (`childOf`), errors as
 * the `error` tag plus a log.
 */
export class Redis {
  private readonly errors = new ErrorSimulator();

  constructor(
    private readonly tracer: Tracer,
    private readonly tuning: Readonly<ServiceTuning>,
  ) {}

  private start(name: string, parent: OtelSpan | undefined, tags: Record<string, string>): Span {
    return this.tracer.startSpan(name, {
      // our tracer's spans are both OpenTracing and OpenTelemetry spans
      childOf: parent as unknown as Span | undefined,
      tags: {
        [Tags.SPAN_KIND]: Tags.SPAN_KIND_RPC_CLIENT,
        'db.system.name': 'redis',
        'db.operation.name': 'GET',
        'peer.service': 'redis',
        ...tags,
      },
    });
  }

  /** Ten driver ids near `location` (`T7` + five digits + `C`), N(20, 5) ms. */
  async findDriverIds(parent: OtelSpan | undefined, location: string): Promise<string[]> {
    const span = this.start('FindDriverIDs', parent, { 'param.driver.location': location });
    try {
      await sleepNormal(this.tuning.redisFindDelayMs, this.tuning.redisFindDelayStdDevMs);
      const ids = Array.from({ length: 10 }, () => `T7${String(randomInt(100_000)).padStart(5, '0')}C`);
      span.log({ event: 'Found drivers', drivers: `[${ids.join(' ')}]`, level: 'info' });
      return ids;
    } finally {
      span.finish();
    }
  }

  /** One driver's record, N(10, 2.5) ms; some calls time out 2 × 10 ms later. */
  async getDriver(parent: OtelSpan | undefined, driverId: string): Promise<Driver> {
    const span = this.start('GetDriver', parent, { 'param.driverID': driverId });
    try {
      await sleepNormal(this.tuning.redisGetDelayMs, this.tuning.redisGetDelayStdDevMs);
      if (this.errors.next()) {
        if (this.tuning.redisGetDelayMs > 0) await sleep(2 * this.tuning.redisGetDelayMs);
        const err = new RedisTimeoutError();
        span.setTag(Tags.ERROR, true);
        span.log({
          event: 'redis timeout',
          driver_id: driverId,
          error: err.message,
          'error.kind': err.name,
          level: 'error',
        });
        throw err;
      }
      span.log({ event: "Got driver's ID", driverID: driverId, level: 'info' });
      return { driverID: driverId, location: `${randomInt(1000)},${randomInt(1000)}` };
    } finally {
      span.finish();
    }
  }
}
