/** The Kubernetes names in an ingress-nginx upstream name. */
export interface UpstreamService {
  namespace: string;
  service: string;
  port: string;
}

/**
 * `namespace-service-port` (ingress-nginx's `$proxy_upstream_name`) → its parts; undefined for
 * ingress-nginx's own upstreams and names of another shape. A namespace that contains `-` is found
 * only when listed in `namespaces`.
 *
 * @param name - a `$proxy_upstream_name`
 * @param namespaces - namespaces known to contain `-`
 * @example
 * splitUpstreamName('default-web-8080'); // { namespace: 'default', service: 'web', port: '8080' }
 */
export function splitUpstreamName(
  name: string,
  namespaces: readonly string[] = [],
): UpstreamService | undefined {
  if (name === 'upstream-default-backend' || name.startsWith('custom-default-backend')) return undefined;
  const last = name.lastIndexOf('-');
  if (last <= 0 || last === name.length - 1) return undefined;
  const rest = name.slice(0, last);
  const port = name.slice(last + 1);
  let namespace = namespaces.filter((ns) => rest.startsWith(`${ns}-`)).sort((a, b) => b.length - a.length)[0];
  if (namespace === undefined) {
    const dash = rest.indexOf('-');
    if (dash <= 0) return undefined;
    namespace = rest.slice(0, dash);
  }
  const service = rest.slice(namespace.length + 1);
  if (service === '') return undefined;
  return { namespace, service, port };
}
