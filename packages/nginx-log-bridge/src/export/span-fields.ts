// Span fields both encoders write the same way: the name, the status, the flags.
import type { SpanStatus } from '@opentelemetry/api';
import { tagByte, WIRE_LENGTH, WIRE_VARINT, type Writer } from './protobuf-writer.js';
import { ONE_BYTE_VARINT } from './varint.js';

/** Span.name. */
const NAME_FIELD = 5;
/** Span.status (Status). */
const STATUS_FIELD = 15;
const TAG_STATUS = tagByte(STATUS_FIELD, WIRE_LENGTH);
/** Status.code. */
const TAG_STATUS_CODE = tagByte(3, WIRE_VARINT);
/** A name whose field is longer than this is not remembered (writing it again costs as much). */
const MAX_REMEMBERED_NAME = 256;

// Span.flags: the W3C trace flags in the low byte, then whether the parent is remote.
const HAS_IS_REMOTE = 0x100;
const IS_REMOTE = 0x200;

/** Span.flags of a span or link: its trace flags and whether its parent (or the linked span) is remote. */
export function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 0xff) | HAS_IS_REMOTE | (isRemote ? IS_REMOTE : 0);
}

/** The span name field, the encoding of the name written last kept: a line's spans share their name. */
export class SpanNameField {
  private lastName: string | undefined;
  private lastBytes: Uint8Array = new Uint8Array(0);

  write(w: Writer, name: string): void {
    if (name === this.lastName) {
      w.tagged(NAME_FIELD, this.lastBytes);
      return;
    }
    const from = w.pos + 1;
    w.string(NAME_FIELD, name);
    if (w.pos - from <= MAX_REMEMBERED_NAME) {
      this.lastName = name;
      this.lastBytes = Buffer.from(w.buf.subarray(from, w.pos));
    }
  }
}

/** The status field; the usual one (no message, a small code) with its length known up front. */
export function writeStatus(w: Writer, status: SpanStatus): void {
  const code = status.code;
  if (status.message || !(code >= 0 && code < ONE_BYTE_VARINT)) {
    const mark = w.begin2(STATUS_FIELD);
    if (status.message) w.string(2, status.message);
    if (code) {
      w.tag(3, WIRE_VARINT);
      w.varint(code);
    }
    w.end2(mark);
    return;
  }
  w.ensure(4);
  const buf = w.buf;
  buf[w.pos++] = TAG_STATUS;
  if (code !== 0) {
    buf[w.pos++] = 2; // the code's tag and its one byte
    buf[w.pos++] = TAG_STATUS_CODE;
    buf[w.pos++] = code;
  } else buf[w.pos++] = 0;
}
