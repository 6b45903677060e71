import { randomInt, randomUUID } from 'node:crypto';

/** The alphabet of Kubernetes generated names and pod-template hashes (no vowels, no 0/1/3). */
export const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** 32-bit FNV-1a of a string's UTF-8 bytes. */
export function fnv32a(text: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(text, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * The `pod-template-hash` of a pod template, as the deployment controller derives it: the
 * template's 32-bit FNV-1a hash printed in decimal, each digit's character code taken modulo the
 * safe alphabet's length (client-go's `rand.SafeEncodeString`: hashes read like `5d567cc74c`).
 */
export function podTemplateHash(template: unknown): string {
  return [...String(fnv32a(JSON.stringify(template)))]
    .map((d) => SAFE_ALPHABET[d.charCodeAt(0) % SAFE_ALPHABET.length])
    .join('');
}

/** A `generateName` suffix: five random characters of the safe alphabet. */
export function generatedSuffix(length = 5): string {
  let s = '';
  for (let i = 0; i < length; i++) s += SAFE_ALPHABET[randomInt(SAFE_ALPHABET.length)];
  return s;
}

/** A Kubernetes object uid. */
export function uid(): string {
  return randomUUID();
}

/** An Event's name: `<involved object name>.<event time in ns, hex>`, as client-go's recorder names them. */
export function eventName(involved: string, ns: bigint): string {
  return `${involved}.${ns.toString(16)}`;
}

/** A containerd container id. */
export function containerId(): string {
  return `containerd://${randomUUID().replaceAll('-', '')}${randomUUID().replaceAll('-', '')}`;
}
