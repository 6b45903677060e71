import { readFileSync } from 'node:fs';
import type { Attributes } from '@opentelemetry/api';
import { type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import { TRACER_NAME, TRACER_VERSION } from '../api/constants.js';

/** The Downward-API variables read by {@link createResource} and the attribute each one becomes. */
export const K8S_ENV_ATTRIBUTES: Readonly<Record<string, string>> = Object.freeze({
  K8S_POD_NAME: 'k8s.pod.name',
  K8S_NAMESPACE_NAME: 'k8s.namespace.name',
  K8S_NODE_NAME: 'k8s.node.name',
  K8S_POD_IP: 'k8s.pod.ip',
  K8S_POD_UID: 'k8s.pod.uid',
});

/** Where Kubernetes mounts the pod's namespace (service-account token volume). */
export const SERVICE_ACCOUNT_NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** Options of {@link createResource}. */
export interface CreateResourceOptions {
  /** Wins over `OTEL_SERVICE_NAME` and `service.name` in `OTEL_RESOURCE_ATTRIBUTES`. */
  serviceName?: string;
  /** Extra attributes, win over the environment. */
  attributes?: Attributes;
  env?: NodeJS.ProcessEnv;
  /** For tests: where the service-account namespace file is. */
  namespaceFile?: string;
}

/** Parses `OTEL_RESOURCE_ATTRIBUTES` (`k=v,k2=v2`, values percent-decoded); bad pairs are skipped. */
export function parseResourceAttributes(text: string | undefined): Attributes {
  const out: Attributes = {};
  if (text === undefined) return out;
  for (const pair of text.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const key = pair.slice(0, eq).trim();
    let value = pair.slice(eq + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      continue;
    }
    if (key !== '') out[key] = value;
  }
  return out;
}

function readNamespace(file: string): string | undefined {
  try {
    const ns = readFileSync(file, 'utf8').trim();
    return ns === '' ? undefined : ns;
  } catch {
    return undefined;
  }
}

/**
 * The resource of this process: SDK attributes, `OTEL_RESOURCE_ATTRIBUTES`, the Kubernetes
 * Downward-API variables (`K8S_POD_NAME` → `k8s.pod.name`, …; the namespace also from the
 * service-account file), `OTEL_SERVICE_NAME`, then code options, later ones winning.
 *
 * @example
 * const resource = createResource({ serviceName: 'checkout', attributes: { 'deployment.environment.name': 'prod' } });
 */
export function createResource(options: CreateResourceOptions = {}): Resource {
  const env = options.env ?? process.env;
  const attrs: Attributes = {
    'service.name': `unknown_service:${process.argv0 || 'node'}`,
    'telemetry.sdk.name': TRACER_NAME,
    'telemetry.sdk.language': 'nodejs',
    'telemetry.sdk.version': TRACER_VERSION,
    'process.pid': process.pid,
    ...parseResourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES),
  };
  for (const [variable, key] of Object.entries(K8S_ENV_ATTRIBUTES)) {
    const v = env[variable]?.trim();
    if (v) attrs[key] = v;
  }
  if (
    attrs['k8s.namespace.name'] === undefined &&
    (attrs['k8s.pod.name'] !== undefined || env.KUBERNETES_SERVICE_HOST)
  ) {
    const ns = readNamespace(options.namespaceFile ?? SERVICE_ACCOUNT_NAMESPACE_FILE);
    if (ns !== undefined) attrs['k8s.namespace.name'] = ns;
  }
  const envName = env.OTEL_SERVICE_NAME?.trim();
  if (envName) attrs['service.name'] = envName;
  Object.assign(attrs, options.attributes);
  if (typeof options.serviceName === 'string' && options.serviceName.trim() !== '') {
    attrs['service.name'] = options.serviceName.trim();
  }
  return resourceFromAttributes(attrs);
}
