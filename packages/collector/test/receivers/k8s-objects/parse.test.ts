import { readFileSync } from 'node:fs';
import t from 'tap';
import { parseK8sText, splitJsonValues } from '../../../src/receivers/k8s-objects/parse.js';

const pod = (name: string, rv: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'd', uid: name, resourceVersion: rv },
});

t.test('kubectl -w -o json --output-watch-events: concatenated pretty objects', async (t) => {
  const text = [
    JSON.stringify({ type: 'ADDED', object: pod('a', '1') }, null, 4),
    JSON.stringify({ type: 'MODIFIED', object: pod('a', '2') }, null, 4),
    JSON.stringify({ type: 'DELETED', object: pod('a', '3') }, null, 4),
  ].join('\n');
  const r = parseK8sText(text, 42n);
  t.same(
    r.observations.map((o) => o.type),
    ['ADDED', 'MODIFIED', 'DELETED'],
  );
  t.equal(r.observations[0].arrivalNanos, 42n, 'watch events carry the arrival time');
  t.same(r.bad, {});
});

t.test('JSON lines, a List, a single object; strings with braces do not confuse the splitter', async (t) => {
  const lines = `${JSON.stringify({ type: 'ADDED', object: { ...pod('b', '1'), metadata: { name: 'b}{"', uid: 'x' } } })}\n${JSON.stringify({ type: 'BOOKMARK', object: {} })}\n`;
  t.equal(parseK8sText(lines).observations.length, 1, 'bookmarks are skipped');
  t.equal(parseK8sText(lines).observations[0].object.metadata?.name, 'b}{"');
  const list = { apiVersion: 'v1', kind: 'List', items: [pod('c', '1'), pod('d', '1')] };
  const r = parseK8sText(JSON.stringify(list), 7n);
  t.equal(r.observations.length, 2);
  t.equal(r.observations[0].type, 'SNAPSHOT');
  t.equal(r.observations[0].arrivalNanos, undefined, 'listed objects have no arrival time');
  t.equal(parseK8sText(JSON.stringify(pod('e', '1'))).observations.length, 1);
  t.same(splitJsonValues('{"a":1} {"b":[1,2]}'), ['{"a":1}', '{"b":[1,2]}']);
  t.equal(splitJsonValues('kind: Pod'), undefined);
});

t.test('YAML with ---: the kspan rollout fixture', async (t) => {
  const text = readFileSync(
    new URL('../../fixtures/kubernetes/events-deployment-rollout.yaml', import.meta.url),
    'utf8',
  );
  const r = parseK8sText(text);
  t.equal(r.observations.length, 5);
  t.ok(r.observations.every((o) => o.object.kind === 'Event'));
  t.same(r.bad, {});
});

t.test('audit events: EventList and JSON lines go to auditEvents', async (t) => {
  const text = readFileSync(new URL('../../fixtures/kubernetes/audit-events.jsonl', import.meta.url), 'utf8');
  const r = parseK8sText(text);
  t.equal(r.auditEvents.length, 4);
  t.equal(r.observations.length, 0);
  const list = {
    kind: 'EventList',
    apiVersion: 'audit.k8s.io/v1',
    items: [{ auditID: 'x', kind: 'Event', apiVersion: 'audit.k8s.io/v1' }],
  };
  t.equal(parseK8sText(JSON.stringify(list)).auditEvents.length, 1);
});

t.test('bad input is counted, never thrown', async (t) => {
  t.same(parseK8sText('{"type":"ADDED","object":{"kind":"Pod"').bad, { 'invalid-json': 1 });
  t.same(parseK8sText('[1, "x"]').bad, { 'not-an-object': 2 });
  t.same(parseK8sText('{"hello":"world"}').bad, { 'not-a-kubernetes-object': 1 });
  t.same(parseK8sText('{"type":"WHAT","object":{}}').bad, { 'unknown-watch-type': 1 });
  t.same(parseK8sText('a: [unclosed').bad, { 'invalid-yaml': 1 });
  t.same(parseK8sText('').observations, []);
  for (const junk of ['}}}', '\u0000\u0001', '---\n---\n', 'null', '"str"'])
    t.doesNotThrow(() => parseK8sText(junk), JSON.stringify(junk));
});
