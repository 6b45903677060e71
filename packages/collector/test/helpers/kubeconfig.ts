import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';

/** A kubeconfig (YAML) with one cluster at `server`, no credentials. */
export function kubeconfigFor(server: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    `clusters: [{name: c, cluster: {server: "${server}", insecure-skip-tls-verify: true}}]`,
    'users: [{name: u, user: {}}]',
    'contexts: [{name: c, context: {cluster: c, user: u}}]',
    'current-context: c',
    '',
  ].join('\n');
}

/** Writes `text` to a kubeconfig file of its own; returns its path. */
export function writeKubeconfig(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'ct-kubeconfig-')), 'config');
  writeFileSync(file, text);
  return file;
}

/** Points `$KUBECONFIG` at a file holding `text` until `t` ends; returns the file's path. */
export function useKubeconfig(t: Test, text: string): string {
  const file = writeKubeconfig(text);
  const before = process.env.KUBECONFIG;
  process.env.KUBECONFIG = file;
  t.teardown(() => {
    if (before === undefined) delete process.env.KUBECONFIG;
    else process.env.KUBECONFIG = before;
  });
  return file;
}
