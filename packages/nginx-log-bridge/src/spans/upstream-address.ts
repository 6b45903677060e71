/** An upstream attempt's address split into its parts. */
export interface UpstreamAddress {
  address: string;
  port?: number;
  /** `unix` for a unix socket. */
  transport?: string;
}

/** One `$upstream_addr` item (`10.0.0.1:8080`, `[::1]:80`, `unix:/tmp/s`) → its parts. */
export function splitAddress(addr: string): UpstreamAddress {
  if (addr.startsWith('unix:')) return { address: addr.slice(5), transport: 'unix' };
  if (addr.startsWith('[')) {
    const end = addr.indexOf(']');
    if (end > 0) {
      const port = Number(addr.slice(end + 2));
      return {
        address: addr.slice(1, end),
        port: Number.isInteger(port) && end + 2 < addr.length ? port : undefined,
      };
    }
  }
  const colon = addr.lastIndexOf(':');
  if (colon > 0 && addr.indexOf(':') === colon) {
    const port = Number(addr.slice(colon + 1));
    if (Number.isInteger(port)) return { address: addr.slice(0, colon), port };
  }
  return { address: addr };
}
