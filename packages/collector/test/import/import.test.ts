import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { createControlPlaneState } from '../../src/controlplane/index.js';
import { CollectorErrorCode } from '../../src/errors.js';
import { importFiles } from '../../src/import/index.js';
import { createMemoryStore } from '../../src/storage/index.js';

const fixture = (f: string) => fileURLToPath(new URL(`../fixtures/kubernetes/${f}`, import.meta.url));

t.test('importFiles loads YAML events and audit logs; re-import is idempotent', async (t) => {
  const store = createMemoryStore();
  const controlPlane = createControlPlaneState();
  const pipeline = {
    consume: (b: { spans: Parameters<typeof store.writeSpans>[0] }) => store.writeSpans(b.spans),
  };
  const files = [fixture('events-deployment-rollout.yaml'), fixture('audit-events.jsonl')];
  const r = await importFiles(files, { pipeline, controlPlane });
  t.equal(r.files, 2);
  t.equal(r.objects, 5);
  t.equal(r.auditEvents, 4);
  t.same(r.bad, {});
  const count = (await store.findSpans({ limit: 10_000 })).length;
  t.ok(count >= 9, `${count} spans`);
  const again = await importFiles(files, { pipeline, controlPlane });
  t.equal(again.duplicates, 9);
  t.equal((await store.findSpans({ limit: 10_000 })).length, count, 'same spans, no duplicates');
  await t.rejects(importFiles(['/nonexistent/file.yaml'], { pipeline, controlPlane }), {
    code: CollectorErrorCode.ImportRead,
  });
});

t.test('a kubectl List in JSON with bad documents among good ones', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ct-import-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'pods.json');
  writeFileSync(
    path,
    `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'd', uid: 'ua' }, status: { podIP: '10.1.2.3', startTime: '2026-01-10T12:00:00Z' } }, { what: 1 }] })}\n`,
  );
  const controlPlane = createControlPlaneState();
  const r = await importFiles([path], { pipeline: { consume: async () => {} }, controlPlane });
  t.equal(r.objects, 1);
  t.same(r.bad, { 'not-a-kubernetes-object': 1 });
  t.equal(controlPlane.podAt('10.1.2.3', BigInt(Date.parse('2026-01-10T12:00:01Z')) * 1_000_000n)?.name, 'a');
});
