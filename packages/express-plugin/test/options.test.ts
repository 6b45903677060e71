import t from 'tap';
import { CrosstraceExpressError, createTracedFetch, crosstrace, traceListener } from '../src/index.js';
import { createConfig, DEFAULT_IGNORE_PATHS } from '../src/options.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof CrosstraceExpressError) return `${err.code}: ${err.message}`;
    throw err;
  }
  return undefined;
}

t.test('defaults', async (t) => {
  const c = createConfig(undefined);
  t.ok(Object.isFrozen(c));
  t.same([...c.ignoreExact], DEFAULT_IGNORE_PATHS);
  t.equal(c.requestIdHeader, 'x-request-id');
  t.equal(c.joinRequestId, true);
  t.equal(c.traceResponse, false);
  t.equal(c.isTrustedProxy, undefined);
  t.ok(c.redactQueryParams.has('Signature'));
  t.type(crosstrace(), 'function');
});

t.test('bad options fail at construction with a code naming the option', async (t) => {
  t.match(
    code(() => crosstrace({ ignorePaths: '/healthz' as never })),
    /^CT_EXPRESS_INVALID_OPTION: .*"ignorePaths"/,
  );
  t.match(
    code(() => crosstrace({ ignorePaths: ['/ok', 3 as never] })),
    /"ignorePaths\[1\]"/,
  );
  t.match(
    code(() => crosstrace({ spanName: 'GET' as never })),
    /"spanName" must be a function/,
  );
  t.match(
    code(() => crosstrace({ captureRequestHeaders: ['bad header'] })),
    /"captureRequestHeaders\[0\]"/,
  );
  t.match(
    code(() => crosstrace({ joinRequestId: 'yes' as never })),
    /"joinRequestId" must be a boolean/,
  );
  t.match(
    code(() => crosstrace({ traceResponse: 1 as never })),
    /"traceResponse" must be a boolean/,
  );
  t.match(
    code(() => crosstrace({ requestIdHeader: '' })),
    /"requestIdHeader"/,
  );
  t.match(
    code(() => crosstrace({ tracer: 42 as never })),
    /^CT_EXPRESS_INVALID_TRACER: .*"tracer"/,
  );
  t.match(
    code(() => crosstrace({ tracer: { provider: {} } as never })),
    /^CT_EXPRESS_INVALID_TRACER/,
  );
  t.match(
    code(() => crosstrace({ tracer: { provider: { getTracer: () => ({}) }, propagator: {} } as never })),
    /propagator/,
  );
  t.match(
    code(() => crosstrace({ trustedProxies: ['10.0.0.0/33'] })),
    /^CT_EXPRESS_INVALID_PROXY/,
  );
  t.match(
    code(() => crosstrace({ trustedProxies: ['proxy.local'] })),
    /^CT_EXPRESS_INVALID_PROXY: .*trustedProxies\[0\]/,
  );
  t.match(
    code(() => crosstrace({ trustedProxies: 'loopback' as never })),
    /"trustedProxies"/,
  );
  t.match(
    code(() => crosstrace({ ignorPaths: [] } as never)),
    /unknown option "ignorPaths"/,
  );
  t.match(
    code(() => crosstrace([] as never)),
    /"options" must be an object/,
  );
  t.match(
    code(() => traceListener(() => {}, { redactQueryParams: [''] })),
    /"redactQueryParams\[0\]"/,
  );
  t.match(
    code(() => createTracedFetch({ forwardRequestId: 1 as never })),
    /"forwardRequestId"/,
  );
  t.equal(
    code(() => crosstrace({ trustedProxies: ['loopback', 'private', '198.51.100.0/24', '2001:db8::1'] })),
    undefined,
  );
});

t.test('an OTel TracerProvider is accepted as the tracer', async (t) => {
  let asked = '';
  const provider = {
    getTracer(name: string) {
      asked = name;
      return {} as never;
    },
  };
  createConfig({ tracer: provider as never });
  t.equal(asked, '@crosstrace/express-plugin');
});
