// The test service the W3C Trace Context test suite (github.com/w3c/trace-context, folder test/)
// drives: an Express app traced by crosstrace() whose outgoing calls go through tracedFetch.
//
//   pnpm w3c                          starts the service on 127.0.0.1:5000 (POST /test)
//   pnpm w3c --suite <trace-context/test> [--levels 2:2,2:1]
//                                     also runs the suite's test.py once per STRICT_LEVEL:SPEC_LEVEL
//                                     and prints its summary line per level; exits non-zero when
//                                     any run failed
//   pnpm w3c --propagator otel …      the same app with OpenTelemetry JS's W3CTraceContextPropagator
//                                     (for comparison)
//
// The suite is public code and is never committed here: fetch the repository and point --suite at
// its test/ folder. It needs Python 3 with aiohttp (Debian: python3-aiohttp).

import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { createTracer } from '@crosstrace/tracer';
import { W3CTraceContextPropagator as OtelW3CPropagator } from '@opentelemetry/core';
import express from 'express';
import { crosstrace, tracedFetch } from '../src/index.js';

interface Action {
  url: string;
  arguments?: Action[];
}

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '5000' },
    suite: { type: 'string' },
    levels: { type: 'string', default: '2:2,2:1' },
    python: { type: 'string', default: process.env.PYTHON ?? 'python3' },
    propagator: { type: 'string', default: 'crosstrace' },
  },
});
if (values.propagator !== 'crosstrace' && values.propagator !== 'otel') {
  throw new Error('--propagator: crosstrace or otel');
}

const tracer = createTracer({
  serviceName: 'w3c-trace-context-service',
  propagators: values.propagator === 'otel' ? new OtelW3CPropagator() : ['tracecontext'],
  env: { OTEL_TRACES_EXPORTER: 'none' },
});

const app = express();
app.use(crosstrace({ tracer, traceResponse: true }));
app.use(express.json());
app.post('/test', async (req, res) => {
  const actions: Action[] = Array.isArray(req.body) ? req.body : [];
  for (const action of actions) {
    // The suite's callbacks only answer once every one of them arrived: one at a time, in order.
    const r = await tracedFetch(action.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(action.arguments ?? []),
    });
    await r.arrayBuffer();
  }
  res.json({});
});

const server = app.listen(Number(values.port), '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/test`;
process.stdout.write(`W3C Trace Context test service on ${endpoint} (${values.propagator} propagator)\n`);

/** Runs test.py at one level; resolves with its exit code and its summary line. */
function runSuite(suite: string, strict: string, spec: string): Promise<{ code: number; summary: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(values.python, ['test.py', endpoint], {
      cwd: suite,
      env: { ...process.env, STRICT_LEVEL: strict, SPEC_LEVEL: spec },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      process.stdout.write(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d;
      process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const lines = out.split('\n').map((l) => l.trim());
      const ran = lines.find((l) => /^Ran \d+ tests? in /.test(l)) ?? 'Ran ? tests';
      const verdict = [...lines].reverse().find((l) => /^(OK|FAILED)\b/.test(l)) ?? '(no verdict)';
      resolve({ code: code ?? 1, summary: `${ran}: ${verdict}` });
    });
  });
}

if (values.suite !== undefined) {
  const results: string[] = [];
  let failed = false;
  for (const level of values.levels.split(',')) {
    const [strict, spec] = level.split(':');
    const { code, summary } = await runSuite(values.suite, strict, spec);
    if (code !== 0) failed = true;
    results.push(`STRICT_LEVEL=${strict} SPEC_LEVEL=${spec}: ${summary}`);
  }
  process.stdout.write(`\n${results.join('\n')}\n`);
  server.close();
  await tracer.shutdown();
  process.exitCode = failed ? 1 : 0;
}
