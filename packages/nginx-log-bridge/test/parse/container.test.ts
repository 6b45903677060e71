import t from 'tap';
import { createUnwrapper } from '../../src/parse/container.js';
import { parseLine } from '../../src/parse/parse-line.js';
import { fixtureLines } from '../helpers/fixtures.js';

const [access] = fixtureLines('ingress-nginx-upstreaminfo.log');

t.test('CRI lines: F passes through, P pieces are joined, stderr is set apart', async (t) => {
  const u = createUnwrapper('cri');
  const r = u.unwrap(`2024-05-01T10:00:00.123456789Z stdout F ${access}`);
  // `at`: where the text starts in the physical line (the direct encoder copies values from there)
  t.same(r, { kind: 'line', text: access, at: 40 });
  if (r.kind === 'line') t.ok(parseLine(r.text, { format: 'ingress-nginx' }).ok);
  const cut = 60;
  t.same(u.unwrap(`2024-05-01T10:00:00.1Z stdout P ${access.slice(0, cut)}`), { kind: 'partial' });
  t.equal(u.pending, true);
  t.same(u.unwrap('2024-05-01T10:00:00.2Z stderr F 2024/05/01 10:00:00 [error] upstream timed out'), {
    kind: 'stderr',
  });
  const joined = u.unwrap(`2024-05-01T10:00:00.3Z stdout F ${access.slice(cut)}`);
  t.same(joined, { kind: 'line', text: access });
  t.notOk('at' in joined, 'a joined line is no piece of one physical line');
  t.equal(u.pending, false);
  t.same(u.unwrap('not a cri line'), { kind: 'bad' });
});

t.test('Docker json-file lines, partial when the log has no newline', async (t) => {
  const u = createUnwrapper('docker');
  const wrap = (log: string, stream = 'stdout') =>
    JSON.stringify({ log, stream, time: '2024-05-01T10:00:00Z' });
  const whole = u.unwrap(wrap(`${access}\n`));
  t.same(whole, { kind: 'line', text: access });
  t.notOk('at' in whole, 'decoded JSON is no piece of the physical line');
  t.same(u.unwrap(wrap(access.slice(0, 10))), { kind: 'partial' });
  t.same(u.unwrap(wrap(`${access.slice(10)}\n`)), { kind: 'line', text: access });
  t.same(u.unwrap(wrap('oops\n', 'stderr')), { kind: 'stderr' });
  t.same(u.unwrap('{"log":'), { kind: 'bad' });
  t.same(u.unwrap('{"nolog":1}'), { kind: 'bad' });
});

t.test('auto detects each wrapper and passes plain lines through', async (t) => {
  const u = createUnwrapper();
  t.same(u.unwrap(access), { kind: 'line', text: access, at: 0 });
  t.same(u.unwrap(`2024-05-01T10:00:00.1Z stdout F ${access}`), { kind: 'line', text: access, at: 32 });
  t.same(u.unwrap(JSON.stringify({ log: `${access}\n`, stream: 'stdout' })), { kind: 'line', text: access });
  const json = '{"status":"200"}';
  t.same(u.unwrap(json), { kind: 'line', text: json, at: 0 }, 'JSON access logs are not mistaken for Docker');
  t.throws(() => createUnwrapper('podman' as 'cri'), { code: 'CT_BRIDGE_BAD_FORMAT' });
});
