import { CrosstraceTracerError, ErrorCode } from '../errors.js';

/** Reads a trimmed, non-empty env variable. */
export function envString(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/** Reads a positive integer env variable; throws `CT_TRACER_INVALID_CONFIG` naming it when bad. */
export function envPositiveInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = envString(env, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) {
    throw new CrosstraceTracerError(
      ErrorCode.InvalidConfig,
      `${name}: expected a positive integer, got "${v}"`,
    );
  }
  return n;
}

/** Reads a comma-separated env list (lowercased). */
export function envList(env: NodeJS.ProcessEnv, name: string): string[] | undefined {
  const v = envString(env, name);
  return v === undefined
    ? undefined
    : v
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .filter((s) => s !== '');
}
