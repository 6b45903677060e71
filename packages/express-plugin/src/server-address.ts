/** `server.address` and `server.port` from a `Host` header. */
export interface ServerAddress {
  readonly address: string;
  readonly port: number | undefined;
}

/** Splits `[v6]:port`, `host:port` or `host`; a port that is not a positive integer is left out. */
export function splitHost(host: string): ServerAddress {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end !== -1) {
      const port = host.length > end + 2 && host[end + 1] === ':' ? Number(host.slice(end + 2)) : undefined;
      return {
        address: host.slice(1, end),
        port: port !== undefined && Number.isInteger(port) ? port : undefined,
      };
    }
  }
  const colon = host.lastIndexOf(':');
  if (colon === -1 || host.indexOf(':') !== colon) return { address: host, port: undefined };
  const port = Number(host.slice(colon + 1));
  return { address: host.slice(0, colon), port: Number.isInteger(port) && port > 0 ? port : undefined };
}

/**
 * Remembers the last `Host` header split: a server mostly sees one or two, and the span then holds
 * the same address string as the previous one instead of a fresh slice per request.
 */
export class ServerAddressCache {
  private lastHost = '';
  private last: ServerAddress = { address: '', port: undefined };

  of(host: string): ServerAddress {
    if (host !== this.lastHost) {
      this.last = splitHost(host);
      this.lastHost = host;
    }
    return this.last;
  }
}
