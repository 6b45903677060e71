import type { AttributeValue } from '@opentelemetry/api';
import type { AttributeKey } from '../spans/attribute-key.js';
import { viewOf } from './bytes.js';
import { tagByte, WIRE_LENGTH, type Writer } from './protobuf-writer.js';
import { varintBytes } from './varint.js';

/** Hits minus misses below which the value cache is no longer tried for a name. */
const SCORE_FLOOR = -16;
/** The highest score: a name whose values stop repeating gives up the cache after a few misses. */
const SCORE_CAP = 64;
/** Skipped attributes after which a name that gave up the value cache tries it again. */
const RETRY_AFTER_SKIPS = 1024;
/** Names kept by {@link KeyEntries} before the table starts over. */
const MAX_ENTRIES = 4096;

/**
 * An attribute name as the encoder writes it: its encoded `key` field (tag + length + bytes), and
 * where the whole encoded KeyValue (after its own tag) of the last value written under that name
 * sits in the request being written. Names repeat in every span, and many values too (user agent,
 * status 200, a CLIENT span's url.path after its SERVER span's): a repeated value is one copy
 * within the buffer, no allocation.
 */
export interface KeyEntry {
  readonly key: Buffer;
  /** A view of {@link key}. */
  readonly keyView: DataView;
  /** Whether {@link key} is all ASCII (then copied eight bytes at a time). */
  readonly keyAscii: boolean;
  last: AttributeValue | undefined;
  /** The writer and its generation the last value was written in; `lastAt`/`lastLength` locate it. */
  lastWriter: Writer | undefined;
  lastGeneration: number;
  lastAt: number;
  lastLength: number;
  /** Hits minus misses, clamped: the value cache is skipped for names whose values keep changing. */
  score: number;
  skipped: number;
}

function newKeyEntry(name: string): KeyEntry {
  const bytes = Buffer.from(name, 'utf8');
  const encoded = Buffer.concat([Buffer.from([tagByte(1, WIRE_LENGTH)]), varintBytes(bytes.length), bytes]);
  return {
    key: encoded,
    keyView: viewOf(encoded),
    keyAscii: encoded.every((b) => b < 0x80),
    last: undefined,
    lastWriter: undefined,
    lastGeneration: 0,
    lastAt: 0,
    lastLength: 0,
    score: 0,
    skipped: 0,
  };
}

/** The entry of an attribute key, kept on the key (which belongs to one span builder), made on first use. */
export function entryOf(key: AttributeKey): KeyEntry {
  let entry = key.encoderEntry as KeyEntry | undefined;
  if (entry === undefined) {
    entry = newKeyEntry(key.name);
    key.encoderEntry = entry;
  }
  return entry;
}

/** Entries of attribute names given as text (span objects, resources, groups), one table per encoder. */
export class KeyEntries {
  private readonly byName = new Map<string, KeyEntry>();

  of(name: string): KeyEntry {
    let e = this.byName.get(name);
    if (e === undefined) {
      e = newKeyEntry(name);
      if (this.byName.size >= MAX_ENTRIES) this.byName.clear();
      this.byName.set(name, e);
    }
    return e;
  }
}

/** True when the value cache is worth a try for this name (retried now and then after giving up). */
export function tryCache(e: KeyEntry): boolean {
  if (e.score > SCORE_FLOOR) return true;
  if (++e.skipped < RETRY_AFTER_SKIPS) return false;
  e.skipped = 0;
  e.score = 0;
  return true;
}

/** True when `value` was written last under `e` in `w`, still where it was: then copied with {@link Writer.repeat}. */
export function cachedHit(e: KeyEntry, value: AttributeValue, w: Writer): boolean {
  if (e.last !== value || e.lastWriter !== w || e.lastGeneration !== w.generation) return false;
  if (e.score < SCORE_CAP) e.score++;
  return true;
}

/** Remembers the KeyValue of `value` just written in `w` from `from` (after its tag). */
export function remember(e: KeyEntry, value: AttributeValue, w: Writer, from: number): void {
  e.score = e.score > SCORE_FLOOR ? e.score - 1 : SCORE_FLOOR;
  e.last = value;
  e.lastWriter = w;
  e.lastGeneration = w.generation;
  e.lastAt = from;
  e.lastLength = w.pos - from;
}
