import { CrosstraceTracerError, type ErrorCode } from './errors.js';

/** Receives the tracer's diagnostics (bad arguments, dropped spans, failed exports). */
export type DiagnosticHandler = (error: CrosstraceTracerError) => void;

const seen = new Set<string>();

function defaultHandler(error: CrosstraceTracerError): void {
  process.emitWarning(error.message, { code: error.code, type: 'CrosstraceTracerWarning' });
}

let handler: DiagnosticHandler = defaultHandler;

/**
 * Sets where diagnostics go (default: one `process.emitWarning` per code and message).
 * Returns the previous handler.
 */
export function setDiagnosticHandler(next: DiagnosticHandler | undefined): DiagnosticHandler {
  const prev = handler;
  handler = next ?? defaultHandler;
  return prev;
}

/**
 * Reports a problem once per `code` + `key`: the first occurrence goes to the diagnostic handler,
 * repeats are dropped so a hot loop with a bad argument cannot flood the log. Never throws.
 */
export function reportOnce(code: ErrorCode, message: string, key = '', cause?: unknown): void {
  const id = `${code}\u0000${key}`;
  if (seen.has(id)) return;
  if (seen.size > 1000) seen.clear();
  seen.add(id);
  try {
    handler(new CrosstraceTracerError(code, message, cause === undefined ? undefined : { cause }));
  } catch {
    // a diagnostic handler must not break the traced code
  }
}

/** Forgets which diagnostics were already reported (for tests). */
export function resetDiagnostics(): void {
  seen.clear();
}
