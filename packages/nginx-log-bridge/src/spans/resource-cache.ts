import { type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import type { ToSpansOptions } from './options.js';

/** Distinct resources kept before the table starts over. */
const MAX_RESOURCES = 100;

/**
 * The resource of a set of span options, made once per distinct service name and attributes, and
 * remembered for the options object seen last (a bridge passes one per file).
 */
export class ResourceCache {
  private readonly byKey = new Map<string, Resource>();
  private lastOptions: ToSpansOptions | undefined;
  private lastResource: Resource | undefined;

  resourceFor(options: ToSpansOptions): Resource {
    if (options === this.lastOptions && this.lastResource !== undefined) return this.lastResource;
    const r = this.lookUp(options);
    this.lastOptions = options;
    this.lastResource = r;
    return r;
  }

  private lookUp(options: ToSpansOptions): Resource {
    const serviceName = options.serviceName ?? 'ingress-nginx';
    const key = options.resourceAttributes
      ? `${serviceName}\u0000${JSON.stringify(options.resourceAttributes)}`
      : serviceName;
    let r = this.byKey.get(key);
    if (r === undefined) {
      r = resourceFromAttributes({ ...options.resourceAttributes, 'service.name': serviceName });
      if (this.byKey.size > MAX_RESOURCES) this.byKey.clear();
      this.byKey.set(key, r);
    }
    return r;
  }
}
