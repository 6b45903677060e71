import type { AttributeValue } from '@opentelemetry/api';
import type { AttributeGroup } from '../spans/attribute-group.js';
import type { AttributeKey } from '../spans/attribute-key.js';
import type { AttributeSink } from '../spans/span-out.js';
import { entryOf, type KeyEntries } from './key-entry.js';
import { PACKED_TEXT_LIMIT, writeBytesKeyValue, writeKeyValue } from './key-value.js';
import type { Writer } from './protobuf-writer.js';

/** Span.attributes. */
const ATTRIBUTES_FIELD = 9;

/** Writes each attribute set on it as a span's KeyValue straight into the request. */
export class AttributeWriter implements AttributeSink {
  /** The bytes of the line being written (see LineText), or undefined, and their view. */
  lineBytes: Uint8Array | undefined = undefined;
  lineView: DataView | undefined = undefined;

  /**
   * @param w - the request being written
   * @param entries - the encoder's table of names given as text (for groups)
   */
  constructor(
    private readonly w: Writer,
    private readonly entries: KeyEntries,
  ) {}

  set(key: AttributeKey, value: AttributeValue): void {
    writeKeyValue(this.w, ATTRIBUTES_FIELD, entryOf(key), value);
  }

  /**
   * The same bytes as {@link set} writes for a short string, its characters copied from the line's
   * ASCII bytes (no pass over the string, no value cache: these values change line by line).
   */
  setText(key: AttributeKey, value: string, at: number): void {
    this.text(key, value, at, false);
  }

  /** {@link setText} of a header attribute (`[value]`), as {@link set} writes it. */
  setHeaderText(key: AttributeKey, value: string, at: number): void {
    this.text(key, value, at, true);
  }

  /** {@link setText} of `source.slice(from, to)`, without the substring when the bytes are there. */
  setSlice(key: AttributeKey, source: string, from: number, to: number, at: number): void {
    const n = to - from;
    if (at < 0 || this.lineBytes === undefined || n >= PACKED_TEXT_LIMIT)
      this.set(key, source.slice(from, to));
    else this.lineText(key, n, at, false);
  }

  private text(key: AttributeKey, value: string, at: number, header: boolean): void {
    const n = value.length;
    if (at < 0 || this.lineBytes === undefined || n >= PACKED_TEXT_LIMIT)
      this.set(key, header ? [value] : value);
    else this.lineText(key, n, at, header);
  }

  /** The attribute whose (short, ASCII) value is the `n` line bytes from `at`. */
  private lineText(key: AttributeKey, n: number, at: number, header: boolean): void {
    writeBytesKeyValue(
      this.w,
      ATTRIBUTES_FIELD,
      entryOf(key),
      this.lineBytes!,
      this.lineView!,
      at,
      n,
      header,
    );
  }

  /** A shared group: its bytes are copied, encoded the first time from its entries. */
  group(group: AttributeGroup): void {
    const w = this.w;
    const encoded = group.encoded;
    if (encoded !== undefined) {
      w.raw(encoded);
      return;
    }
    const from = w.pos;
    const e = group.entries;
    for (let i = 0; i < e.length; i += 2)
      writeKeyValue(w, ATTRIBUTES_FIELD, this.entries.of(e[i] as string), e[i + 1] as AttributeValue);
    group.encoded = Buffer.from(w.buf.subarray(from, w.pos));
  }
}
