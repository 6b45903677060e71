// Renders the kustomizations with the kubectl on this machine (kustomize 5) and gives typed views
// of what they hold.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const REPO = fileURLToPath(new URL('../../../..', import.meta.url));
export const OVERLAYS = ['single', 'agent-gateway', 'postgres'] as const;
export type Overlay = (typeof OVERLAYS)[number];

// biome-ignore lint/suspicious/noExplicitAny: rendered Kubernetes objects are plain JSON
export type K8sObject = Record<string, any>;

/** `kubectl kustomize <dir>` parsed into objects. */
export function render(dir: string): K8sObject[] {
  const text = execFileSync('kubectl', ['kustomize', `${ROOT}/${dir}`], { encoding: 'utf8' });
  return parseAllDocuments(text).map((d) => d.toJS() as K8sObject);
}

/** One YAML file of this folder. */
export function readYaml(path: string): K8sObject {
  return parseAllDocuments(readFileSync(`${ROOT}/${path}`, 'utf8'))[0].toJS() as K8sObject;
}

export function find(objects: K8sObject[], kind: string, name?: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
}

/** The pod template of a workload. */
export function podSpec(o: K8sObject): K8sObject {
  return o.spec.template.spec;
}

export const WORKLOAD_KINDS = ['DaemonSet', 'Deployment', 'StatefulSet'];

export function workloads(objects: K8sObject[]): K8sObject[] {
  return objects.filter((o) => WORKLOAD_KINDS.includes(o.kind));
}

/** Containers of a workload running `command` (crosstrace-collector, crosstrace-nginx-bridge). */
export function containersRunning(o: K8sObject, command: string): K8sObject[] {
  return (podSpec(o).containers as K8sObject[]).filter((c) => c.command?.[0] === command);
}

/** A container's environment as the kubelet would give it (literal values only; references by name). */
export function literalEnv(c: K8sObject): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of c.env ?? []) if (typeof e.value === 'string') out[e.name] = e.value;
  return out;
}
