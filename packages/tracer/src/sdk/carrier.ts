import type { TextMapGetter, TextMapSetter } from '@opentelemetry/api';

type Carrier = Record<string, unknown>;

/** Reads text-map carriers; header names are matched case-insensitively when the exact key is absent. */
export const carrierGetter: TextMapGetter<Carrier> = {
  keys(carrier) {
    return carrier !== null && typeof carrier === 'object' ? Object.keys(carrier) : [];
  },
  get(carrier, key) {
    if (carrier === null || typeof carrier !== 'object') return undefined;
    let v = carrier[key];
    if (v === undefined) {
      for (const k of Object.keys(carrier)) {
        if (k.length === key.length && k.toLowerCase() === key) {
          v = carrier[k];
          break;
        }
      }
    }
    if (typeof v === 'string') return v;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    return undefined;
  },
};

/** Writes text-map carriers (plain objects). */
export const carrierSetter: TextMapSetter<Carrier> = {
  set(carrier, key, value) {
    if (carrier !== null && typeof carrier === 'object') carrier[key] = value;
  },
};

/**
 * FORMAT_BINARY encoding: the text-map headers as UTF-8 `name: value` lines. Simple, readable and
 * version-proof: any propagator configured for text maps also works for binary carriers.
 */
export function encodeBinary(headers: Record<string, string>): Uint8Array {
  let text = '';
  for (const k of Object.keys(headers)) text += `${k}: ${headers[k]}\n`;
  return new TextEncoder().encode(text);
}

/** Decodes {@link encodeBinary}; returns an empty map for anything else. Never throws. */
export function decodeBinary(buffer: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (
    buffer === null ||
    typeof buffer !== 'object' ||
    typeof (buffer as ArrayLike<number>).length !== 'number'
  ) {
    return out;
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(buffer as ArrayLike<number>));
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    const i = line.indexOf(': ');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 2);
  }
  return out;
}
