import { ErrorCode, HotrodError } from './errors.js';

/**
 * The simulated costs and deliberate problems of the services, as the original's
 * `services/config`. Defaults are the original's; the three `fix` flags override three of them.
 */
export interface ServiceTuning {
  /** mysql: mean of one `SQL SELECT` (`--fix-db-query-delay`, default 300 ms). */
  mysqlGetDelayMs: number;
  /** mysql: standard deviation (the original fixes it at a tenth of the default mean: 30 ms). */
  mysqlGetDelayStdDevMs: number;
  /** mysql: no lock around the query (`--fix-disable-db-conn-mutex`). */
  mysqlMutexDisabled: boolean;
  /** redis-manual: `FindDriverIDs` N(20, 5) ms. */
  redisFindDelayMs: number;
  redisFindDelayStdDevMs: number;
  /** redis-manual: each `GetDriver` N(10, 2.5) ms; a simulated timeout waits 2 × this more. */
  redisGetDelayMs: number;
  redisGetDelayStdDevMs: number;
  /** route: one route computation N(50, 12.5) ms. */
  routeCalcDelayMs: number;
  routeCalcDelayStdDevMs: number;
  /** frontend: workers calling route (`--fix-route-worker-pool-size`, default 3). */
  routeWorkerPoolSize: number;
}

/** The original's defaults. */
export function defaultTuning(): ServiceTuning {
  return {
    mysqlGetDelayMs: 300,
    mysqlGetDelayStdDevMs: 30,
    mysqlMutexDisabled: false,
    redisFindDelayMs: 20,
    redisFindDelayStdDevMs: 5,
    redisGetDelayMs: 10,
    redisGetDelayStdDevMs: 2.5,
    routeCalcDelayMs: 50,
    routeCalcDelayStdDevMs: 12.5,
    routeWorkerPoolSize: 3,
  };
}

/** The tuning with every simulated latency at 0 (benchmarks measure the handlers' own cost). */
export function noDelayTuning(): ServiceTuning {
  return {
    ...defaultTuning(),
    mysqlGetDelayMs: 0,
    mysqlGetDelayStdDevMs: 0,
    mysqlMutexDisabled: true,
    redisFindDelayMs: 0,
    redisFindDelayStdDevMs: 0,
    redisGetDelayMs: 0,
    redisGetDelayStdDevMs: 0,
    routeCalcDelayMs: 0,
    routeCalcDelayStdDevMs: 0,
    routeWorkerPoolSize: 10,
  };
}

/** Checks a tuning: every number finite and ≥ 0, the pool size a positive integer. */
export function validateTuning(t: ServiceTuning): Readonly<ServiceTuning> {
  for (const [k, v] of Object.entries(t)) {
    if (k === 'mysqlMutexDisabled') {
      if (typeof v !== 'boolean') throw new HotrodError(ErrorCode.InvalidOption, `${k} must be a boolean`);
    } else if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new HotrodError(ErrorCode.InvalidOption, `${k} must be a number ≥ 0 (got ${String(v)})`);
    }
  }
  if (!Number.isInteger(t.routeWorkerPoolSize) || t.routeWorkerPoolSize < 1) {
    throw new HotrodError(
      ErrorCode.InvalidOption,
      `--fix-route-worker-pool-size must be a positive integer (got ${t.routeWorkerPoolSize})`,
    );
  }
  return Object.freeze({ ...t });
}
