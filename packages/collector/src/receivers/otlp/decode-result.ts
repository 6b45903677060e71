import type { Span } from '../../model/span.js';

/** What an OTLP decoder returns; decoders never throw. */
export type DecodeResult =
  | {
      ok: true;
      /** The accepted spans, in request order. */
      spans: Span[];
      /** Spans refused one by one (e.g. a trace id of the wrong length): `partial_success`. */
      rejectedSpans: number;
      /** Why spans were refused ('' when none were). */
      rejectedReason: string;
    }
  | {
      ok: false;
      /** Why the whole request is malformed (answered 400 / INVALID_ARGUMENT). */
      reason: string;
    };
