import { BlockList, isIP } from 'node:net';
import { CrosstraceExpressError, ErrorCode } from './errors.js';

/**
 * Proxies whose `X-Forwarded-For` is believed: IP addresses, CIDR ranges (`10.0.0.0/8`), the
 * keywords `loopback` and `private` (RFC 1918, RFC 4193), or a predicate on the peer address.
 */
export type TrustProxy = readonly string[] | ((address: string) => boolean);

const KEYWORDS: Record<string, readonly string[]> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

function addEntry(list: BlockList, entry: string, where: string): void {
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  const family = isIP(address);
  if (family === 0) {
    throw new CrosstraceExpressError(
      ErrorCode.InvalidProxy,
      `option "${where}": "${entry}" is not an IP address, a CIDR range, "loopback" or "private"`,
    );
  }
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (slash === -1) {
    list.addAddress(address, type);
    return;
  }
  const prefix = Number(entry.slice(slash + 1));
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
    throw new CrosstraceExpressError(
      ErrorCode.InvalidProxy,
      `option "${where}": "${entry}" has a bad prefix length`,
    );
  }
  list.addSubnet(address, prefix, type);
}

/** Strips the IPv4-mapped IPv6 prefix (`::ffff:10.0.0.1`) that dual-stack sockets report. */
export function unmapAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** Compiles the `trustedProxies` option into a predicate (undefined: trust nobody). */
export function compileTrustedProxies(option: unknown): ((address: string) => boolean) | undefined {
  if (option === undefined) return undefined;
  if (typeof option === 'function') return option as (address: string) => boolean;
  if (!Array.isArray(option)) {
    throw new CrosstraceExpressError(
      ErrorCode.InvalidOption,
      'option "trustedProxies" must be an array of addresses/CIDR ranges or a function',
    );
  }
  if (option.length === 0) return undefined;
  const list = new BlockList();
  option.forEach((entry: unknown, i: number) => {
    const where = `trustedProxies[${i}]`;
    if (typeof entry !== 'string') {
      throw new CrosstraceExpressError(ErrorCode.InvalidProxy, `option "${where}" must be a string`);
    }
    const keyword = KEYWORDS[entry.trim().toLowerCase()];
    if (keyword) for (const k of keyword) addEntry(list, k, where);
    else addEntry(list, entry.trim(), where);
  });
  return (address) => {
    const a = unmapAddress(address);
    const family = isIP(a);
    return family !== 0 && list.check(a, family === 4 ? 'ipv4' : 'ipv6');
  };
}

/**
 * The client address: the socket peer, or, when the peer is a trusted proxy, the right-most
 * `X-Forwarded-For` entry not itself a trusted proxy. Never throws.
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  isTrusted: ((address: string) => boolean) | undefined,
): string | undefined {
  const direct = peer === undefined ? undefined : unmapAddress(peer);
  if (isTrusted === undefined || direct === undefined || forwardedFor === undefined) return direct;
  let trusted: boolean;
  try {
    trusted = isTrusted(direct) === true;
  } catch {
    return direct;
  }
  if (!trusted) return direct;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
  let client = direct;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = unmapAddress(hops[i].trim());
    if (isIP(hop) === 0) break;
    client = hop;
    let hopTrusted: boolean;
    try {
      hopTrusted = isTrusted(hop) === true;
    } catch {
      hopTrusted = false;
    }
    if (!hopTrusted) break;
  }
  return client;
}
