import type { ValuePositions } from '../parse/types.js';

/**
 * The bytes a parsed line came from, when they are ASCII and its values are the logged text as it
 * is: `bytes` from `start` are the line's characters, `positions` where each value starts in it.
 * Reused line after line by the bridge.
 */
export interface LineText {
  bytes: Uint8Array;
  /** A DataView of all of {@link bytes}. */
  view: DataView;
  start: number;
  positions: ValuePositions;
}

/** The index in a format's variables of each value span building may copy from the line's bytes (-1: not logged). */
export interface TextSlots {
  readonly request: number;
  readonly userAgent: number;
  readonly remoteAddr: number;
  readonly realIp: number;
  readonly reqId: number;
  readonly requestId: number;
  readonly xRequestId: number;
}

/** The {@link TextSlots} of a format's variables, remembered for the variables seen last (one format per parser). */
export class TextSlotsCache {
  private lastVariables: readonly string[] | undefined;
  private lastSlots: TextSlots | undefined;

  of(variables: readonly string[]): TextSlots {
    if (variables === this.lastVariables && this.lastSlots !== undefined) return this.lastSlots;
    // A variable logged twice keeps its last value (as the record does).
    const slot = (name: string) => variables.lastIndexOf(name);
    this.lastSlots = {
      request: slot('request'),
      userAgent: slot('http_user_agent'),
      remoteAddr: slot('remote_addr'),
      realIp: slot('the_real_ip'),
      reqId: slot('req_id'),
      requestId: slot('request_id'),
      xRequestId: slot('http_x_request_id'),
    };
    this.lastVariables = variables;
    return this.lastSlots;
  }
}

/** Where the value in `slot` starts in the line's bytes, or -1. */
export function textAt(text: LineText | undefined, slots: TextSlots | undefined, slot: number): number {
  return text === undefined || slots === undefined || slot < 0
    ? -1
    : text.start + text.positions.offsets[slot];
}
