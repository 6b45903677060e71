// Child process for flush-on-exit.test.ts: starts a tracer with flushOnExit, ends a span, then
// either receives SIGTERM or simply runs out of work (beforeExit).
import { createOtlpExporter, createTracer } from '../../src/index.js';

const [endpoint, mode] = process.argv.slice(2);
// tsx (used to run this TypeScript file) installs its own SIGTERM relay; a plain node app has none
process.removeAllListeners('SIGTERM');
const tracer = createTracer({
  serviceName: 'exiting',
  exporter: createOtlpExporter({ endpoint }, {}),
  batch: { scheduledDelayMillis: 60_000 },
  flushOnExit: true,
  env: {},
});
tracer.startSpan(`span-${mode}`).finish();
if (mode === 'sigterm') {
  setInterval(() => {}, 1000); // a server-like process that only stops on a signal
  process.kill(process.pid, 'SIGTERM');
}
