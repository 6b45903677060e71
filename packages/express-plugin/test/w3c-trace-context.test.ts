import { createServer, type IncomingMessage, request } from 'node:http';
import express from 'express';
import t from 'tap';
import { crosstrace, tracedFetch } from '../src/index.js';
import { close, createTestTracer, listen } from './helpers/tracing.js';

// W3C Trace Context levels 1 and 2 through a real Express server, as the W3C test suite drives it:
// a request with trace headers reaches an app traced by crosstrace(), which calls the next service
// with tracedFetch; what that call carries is checked against the specification's rules. Requests
// are written with raw header lists, so repeated fields and header-name casing reach the server
// exactly as a client sent them.

const TRACE = '12345678901234567890123456789012';
const SPAN = '1234567890123456';
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

const tt = createTestTracer({ propagators: ['tracecontext'] });

// The next service: records the trace headers of each call it receives, as raw fields.
let received: string[][] = [];
const callee = createServer((req: IncomingMessage, res) => {
  const fields: string[][] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i].toLowerCase();
    if (name === 'traceparent' || name === 'tracestate') fields.push([name, req.rawHeaders[i + 1]]);
  }
  received = fields;
  res.end();
});
const calleeUrl = await listen(callee);

const app = express();
app.use(crosstrace({ tracer: tt.tracer }));
app.post('/test', async (_req, res) => {
  const r = await tracedFetch(calleeUrl, { method: 'POST', body: '[]' });
  await r.arrayBuffer();
  res.json({});
});
const server = app.listen(0, '127.0.0.1');
await new Promise((r) => server.once('listening', r));
const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
t.teardown(async () => {
  await close(server);
  await close(callee);
  await tt.shutdown();
});

interface Outgoing {
  traceId: string;
  parentId: string;
  flags: string;
  tracestate: string | undefined;
}

/** Sends `fields` (name, value pairs, in order) to the app; returns what its outgoing call carried. */
async function through(fields: [string, string][]): Promise<Outgoing> {
  received = [];
  await new Promise<void>((resolve, reject) => {
    // A raw header list replaces Node's defaults: Host is written by hand.
    const headers = ['host', new URL(base).host, ...fields.flat()];
    const req = request(`${base}/test`, { method: 'POST', headers }, (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
  const parents = received.filter(([n]) => n === 'traceparent');
  if (parents.length !== 1) throw new Error(`expected one traceparent, got ${parents.length}`);
  const m = TRACEPARENT.exec(parents[0][1]);
  if (m === null) throw new Error(`invalid outgoing traceparent ${parents[0][1]}`);
  const states = received.filter(([n]) => n === 'tracestate');
  return {
    traceId: m[1],
    parentId: m[2],
    flags: m[3],
    tracestate: states.length === 0 ? undefined : states.map(([, v]) => v).join(','),
  };
}

const tp = (flags = '01') => ['traceparent', `00-${TRACE}-${SPAN}-${flags}`] as [string, string];

t.test('no traceparent: a new trace, sampled and random-trace-id', async (t) => {
  const out = await through([]);
  t.not(out.traceId, TRACE);
  t.equal(out.flags, '03');
  t.equal(out.tracestate, undefined);
});

t.test('a valid traceparent: same trace, a new parent-id, flags as received', async (t) => {
  const out = await through([tp()]);
  t.equal(out.traceId, TRACE);
  t.not(out.parentId, SPAN);
  t.equal(out.flags, '01', 'random-trace-id stays unset');
});

t.test('Level 2: the random-trace-id flag is propagated; reserved flags are not', async (t) => {
  t.equal((await through([tp('02')])).flags, '03', 'random kept (sampled by always_on)');
  t.equal((await through([tp('03')])).flags, '03');
  t.equal((await through([tp('fc')])).flags, '01', 'reserved bits cleared, random unset as received');
});

t.test('header names are case-insensitive', async (t) => {
  for (const name of ['TraceParent', 'TrAcEpArEnT', 'TRACEPARENT']) {
    const out = await through([
      [name, `00-${TRACE}-${SPAN}-01`],
      ['TraceState', 'foo=1'],
    ]);
    t.equal(out.traceId, TRACE, name);
    t.equal(out.tracestate, 'foo=1');
  }
  for (const name of ['trace-parent', 'trace.parent']) {
    t.not((await through([[name, `00-${TRACE}-${SPAN}-01`]])).traceId, TRACE, `${name} is not traceparent`);
  }
});

t.test('invalid traceparents restart the trace and drop the tracestate', async (t) => {
  for (const header of [
    `00-${TRACE}-${SPAN}-01.`,
    `00-${TRACE}-${SPAN}-01-what-the-future-will-be-like`,
    `ff-${TRACE}-${SPAN}-01`,
    `.0-${TRACE}-${SPAN}-01`,
    `000-${TRACE}-${SPAN}-01`,
    `00-${'0'.repeat(32)}-${SPAN}-01`,
    `00-${TRACE}-${'0'.repeat(16)}-01`,
    `00-${TRACE}3-${SPAN}-01`,
    `00-${TRACE}-${SPAN}-.0`,
    `00-${TRACE}-${SPAN}-001`,
    `cc-${TRACE}-${SPAN}-01.what-the-future-will-be-like`,
  ]) {
    const out = await through([
      ['traceparent', header],
      ['tracestate', 'foo=1'],
    ]);
    t.not(out.traceId, TRACE, header);
    t.not(out.traceId, '0'.repeat(32));
    t.equal(out.flags, '03', 'the new trace id is ours: random');
    t.equal(out.tracestate, undefined, 'tracestate of a discarded traceparent is not sent');
  }
});

t.test('two traceparent fields restart the trace', async (t) => {
  const out = await through([
    ['traceparent', `00-${TRACE.replace(/2$/, '1')}-${SPAN}-01`],
    ['traceparent', `00-${TRACE}-${SPAN}-01`],
  ]);
  t.not(out.traceId, TRACE);
  t.not(out.traceId, TRACE.replace(/2$/, '1'));
});

t.test('a future version is parsed as 00 and sent on as 00', async (t) => {
  const out = await through([['traceparent', `cc-${TRACE}-${SPAN}-01-what-the-future-will-be-like`]]);
  t.equal(out.traceId, TRACE);
});

t.test('traceparent with optional whitespace around it', async (t) => {
  for (const header of [
    ` 00-${TRACE}-${SPAN}-01`,
    `00-${TRACE}-${SPAN}-01\t`,
    `\t 00-${TRACE}-${SPAN}-01 \t`,
  ]) {
    t.equal((await through([['traceparent', header]])).traceId, TRACE, JSON.stringify(header));
  }
});

t.test('tracestate without traceparent is discarded', async (t) => {
  const out = await through([['tracestate', 'foo=1,bar=2']]);
  t.equal(out.tracestate, undefined);
});

t.test('tracestate: repeated fields combined in order, OWS and empty members handled', async (t) => {
  const combined = await through([
    tp(),
    ['tracestate', 'foo=1,bar=2'],
    ['tracestate', 'rojo=1,congo=2'],
    ['tracestate', 'baz=3'],
  ]);
  t.equal(combined.tracestate, 'foo=1,bar=2,rojo=1,congo=2,baz=3');
  const ows = await through([tp(), ['tracestate', 'foo=1 \t , \t bar=2, \t baz=3']]);
  t.equal(ows.tracestate, 'foo=1,bar=2,baz=3');
  const empty = await through([tp(), ['tracestate', ''], ['tracestate', 'foo=1']]);
  t.equal(empty.tracestate, 'foo=1');
  const onlyEmpty = await through([tp(), ['tracestate', '']]);
  t.equal(onlyEmpty.traceId, TRACE);
  t.equal(onlyEmpty.tracestate, undefined, 'an empty tracestate is accepted and not sent');
});

t.test('tracestate keys: the vendor "@" form, 256 characters, illegal keys', async (t) => {
  t.equal((await through([tp(), ['tracestate', 'foo@=1,bar=2']])).tracestate, 'foo@=1,bar=2');
  t.equal((await through([tp(), ['tracestate', 'foo@bar@baz=1,bar=2']])).tracestate, 'foo@bar@baz=1,bar=2');
  t.equal((await through([tp(), ['tracestate', '@foo=1,bar=2']])).tracestate, undefined, 'starts with @');
  const longest = 'z'.repeat(256);
  t.equal(
    (await through([tp(), ['tracestate', 'foo=1'], ['tracestate', `${longest}=1`]])).tracestate,
    `foo=1,${longest}=1`,
  );
  const vendor = `${'t'.repeat(241)}@${'v'.repeat(14)}`;
  t.equal((await through([tp(), ['tracestate', `${vendor}=1`]])).tracestate, `${vendor}=1`);
  const over = await through([tp(), ['tracestate', 'foo=1'], ['tracestate', `${'z'.repeat(257)}=1`]]);
  t.equal(over.traceId, TRACE, 'traceparent survives');
  t.equal(over.tracestate, undefined, '257 characters: the whole tracestate goes');
  for (const bad of ['foo =1', 'FOO=1', 'foo.bar=1']) {
    t.equal((await through([tp(), ['tracestate', bad]])).tracestate, undefined, bad);
  }
});

t.test('tracestate values: illegal characters and empty values discard the header', async (t) => {
  t.equal((await through([tp(), ['tracestate', 'foo=bar=baz']])).tracestate, undefined);
  t.equal((await through([tp(), ['tracestate', 'foo=,bar=3']])).tracestate, undefined);
  const all = Array.from({ length: 0x7e - 0x20 + 1 }, (_, i) => String.fromCharCode(0x20 + i))
    .filter((c) => c !== ',' && c !== '=')
    .join('');
  t.equal(
    (await through([tp(), ['tracestate', `k=${all}`]])).tracestate,
    `k=${all}`,
    'every allowed character',
  );
});

t.test('tracestate: 32 members pass, 33 discard the header', async (t) => {
  const members = Array.from({ length: 33 }, (_, i) => `bar${String(i + 1).padStart(2, '0')}=${i}`);
  const fields = (list: string[]): [string, string][] => [
    tp(),
    ['tracestate', list.slice(0, 10).join(',')],
    ['tracestate', list.slice(10, 20).join(',')],
    ['tracestate', list.slice(20).join(',')],
  ];
  t.equal((await through(fields(members.slice(0, 32)))).tracestate?.split(',').length, 32);
  t.equal((await through(fields(members))).tracestate, undefined);
});

t.test('tracestate: duplicated keys keep the left-most member', async (t) => {
  t.equal((await through([tp(), ['tracestate', 'foo=1,foo=2']])).tracestate, 'foo=1');
  t.equal((await through([tp(), ['tracestate', 'foo=1'], ['tracestate', 'foo=2']])).tracestate, 'foo=1');
});

t.test('several outgoing calls of one request: one trace, a parent-id each', async (t) => {
  const a = await through([tp('02')]);
  const b = await through([tp('02')]);
  t.equal(a.traceId, b.traceId);
  t.not(a.parentId, b.parentId);
});
