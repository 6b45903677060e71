// The Dockerfile cannot be built here (no registry for base images); what the manifests rely on is
// checked in its text: a multi-stage build on Node 24 slim, the two programs on PATH, the non-root
// user the pods run as, the ports they expose.
import { readFileSync } from 'node:fs';
import { createDefaultConfig } from '@crosstrace/collector';
import t from 'tap';
import { find, type K8sObject, OVERLAYS, podSpec, REPO, render, workloads } from './helpers/render.js';

const dockerfile = readFileSync(`${REPO}/Dockerfile`, 'utf8');
const lines = dockerfile.split('\n').filter((l) => !l.trimStart().startsWith('#'));
const froms = lines.filter((l) => /^FROM /.test(l));

t.test('multi-stage, Node 24 slim at run time, non-root', async (t) => {
  t.ok(froms.length >= 2, 'a build stage and a runtime stage');
  t.match(froms.at(-1)!, /^FROM node:24(\.\d+)*-[a-z]+-slim(\s|$)/, 'runtime on a Node 24 slim image');
  const user = /^USER (\d+):(\d+)/m.exec(lines.join('\n'));
  t.ok(user, 'a numeric USER (runAsNonRoot can verify it)');
  for (const overlay of OVERLAYS)
    for (const w of workloads(render(`overlays/${overlay}`)))
      t.equal(podSpec(w).securityContext.runAsUser, Number(user![1]));
});

t.test('the commands the manifests run are on the image’s PATH', async (t) => {
  const commands = new Set<string>();
  for (const overlay of OVERLAYS)
    for (const w of workloads(render(`overlays/${overlay}`)))
      for (const c of [...(podSpec(w).initContainers ?? []), ...podSpec(w).containers] as K8sObject[])
        commands.add(c.command[0]);
  for (const cmd of commands) {
    if (cmd === 'chown') continue; // coreutils in the Debian base
    t.match(dockerfile, new RegExp(`/usr/local/bin/${cmd}\\b`), `${cmd} linked into /usr/local/bin`);
  }
  t.match(dockerfile, /ENTRYPOINT \["crosstrace-collector"\]/);
});

t.test('it exposes the collector’s default ports and the bridge’s metrics port', async (t) => {
  const exposed = (/^EXPOSE (.+)$/m.exec(lines.join('\n'))?.[1] ?? '').split(/\s+/).map(Number);
  const d = createDefaultConfig();
  for (const p of [d.otlpGrpcPort, d.otlpHttpPort, d.queryPort]) t.ok(exposed.includes(p), `EXPOSE ${p}`);
  const [ds] = find(render('overlays/single'), 'DaemonSet');
  const bridgePorts = podSpec(ds).containers.find((c: K8sObject) => c.name === 'nginx-log-bridge').ports;
  t.ok(exposed.includes(bridgePorts[0].containerPort));
});

t.test('.dockerignore keeps dependencies and build output out of the context', async (t) => {
  const ignore = readFileSync(`${REPO}/.dockerignore`, 'utf8');
  for (const p of ['**/node_modules', '**/dist', '.git']) t.match(ignore, p);
});
