import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { viewOf } from './export/bytes.js';
import { DirectTraceEncoder } from './export/direct-trace-encoder.js';
import type { ExportOutcome, SpanSink } from './export/span-sink.js';
import { BridgeMetrics } from './metrics.js';
import { type ContainerFormat, createUnwrapper, type Unwrapper } from './parse/container.js';
import type { BadLineReason, LineParser } from './parse/types.js';
import type { LineText } from './spans/line-text.js';
import type { ToSpansOptions } from './spans/options.js';
import { SpanBuilder } from './spans/span-builder.js';
import { Checkpoint } from './tail/checkpoint.js';
import { expandPatterns, findByInode } from './tail/expand.js';
import { type LineChunk, TailedFile } from './tail/tailed-file.js';

/** Options of a {@link Bridge}. */
export interface BridgeOptions {
  parser: LineParser;
  sink: SpanSink;
  /** Container log wrapper (default `auto`). */
  container?: ContainerFormat;
  /** Resource and naming options for the spans. */
  spans?: Omit<ToSpansOptions, 'source'>;
  checkpoint?: Checkpoint;
  metrics?: BridgeMetrics;
  /** Lines per export batch (default 1000). */
  batchLines?: number;
  /** How often followed files are looked at when idle (default 250 ms). */
  pollIntervalMs?: number;
  /** Back-off between failed exports (default 500 ms doubling up to 30 s). */
  backoff?: { initialMs: number; maxMs: number };
  /** Where warnings and bad-line samples go (default: nowhere). */
  log?: (message: string) => void;
  /** Samples of bad lines logged per reason (default 3). */
  samplesPerReason?: number;
}

/** Options of {@link Bridge.follow}. */
export interface FollowOptions {
  /** Files without a checkpoint start at byte 0 instead of their end. */
  fromBeginning?: boolean;
  /** Stop at the end of the files instead of following them (one-shot mode). */
  once?: boolean;
  /** Called after every pass with bytes read so far and the total size (for a progress bar). */
  onProgress?: (done: number, total: number) => void;
}

interface Followed {
  file: TailedFile;
  /** The checkpoint key: the path the user asked for (differs while draining a rotated file). */
  key: string;
  unwrapper: Unwrapper;
  /** Draining the pre-rotation file found at restart; switch to `key` at its end. */
  rotatedLeftover: boolean;
}

/**
 * Reads access-log lines, turns them into spans and exports them in batches; a file position is
 * checkpointed only after the sink acknowledged the spans of the lines before it. While the sink
 * fails, reading stops and the export is retried with back-off, so the log file is the buffer.
 */
export class Bridge {
  readonly metrics: BridgeMetrics;
  private readonly checkpoint: Checkpoint;
  private readonly batchLines: number;
  private readonly pollIntervalMs: number;
  private readonly backoff: { initialMs: number; maxMs: number };
  private readonly log: (message: string) => void;
  private readonly samples: number;
  private readonly samplesLogged = new Map<BadLineReason | 'invalid-wrapper', number>();
  private stopped = false;
  private wake: (() => void) | undefined;
  /**
   * The direct encoder whose memory batches reuse, when the sink allows it (see
   * SpanSink.releasesEncodedBody); taken out while a batch is written into it, so concurrent
   * readers (`follow` and `readStream` on one bridge) never share it.
   */
  private reusable: DirectTraceEncoder | undefined;
  /** Turns this bridge's lines into spans; owns every cache span building keeps. */
  private readonly spanBuilder = new SpanBuilder();
  /** The span options, one object for every line (the builder remembers the resource made for it). */
  private readonly spanOptions: Omit<ToSpansOptions, 'source'>;

  constructor(private readonly options: BridgeOptions) {
    this.metrics = options.metrics ?? new BridgeMetrics();
    this.checkpoint = options.checkpoint ?? Checkpoint.load(undefined);
    this.batchLines = options.batchLines ?? 1000;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    this.backoff = options.backoff ?? { initialMs: 500, maxMs: 30_000 };
    this.log = options.log ?? (() => undefined);
    this.samples = options.samplesPerReason ?? 3;
    this.spanOptions = options.spans ?? {};
  }

  /** Stops following (and any back-off wait) at the next safe point. */
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wake = undefined;
        resolve();
      }
      this.wake = done;
    });
  }

  private badLine(reason: BadLineReason, line: string): void {
    this.metrics.bad(reason);
    const logged = this.samplesLogged.get(reason) ?? 0;
    if (logged < this.samples) {
      this.samplesLogged.set(reason, logged + 1);
      this.log(`bad line (${reason}): ${line.length > 200 ? `${line.slice(0, 200)}…` : line}`);
    }
  }

  /**
   * Exports one batch (`send` is called again for each retry), retrying with back-off; false only
   * when stopped before an ack.
   */
  private async exportBatch(send: () => Promise<ExportOutcome>, count: number): Promise<boolean> {
    let wait = this.backoff.initialMs;
    let failures = 0;
    for (;;) {
      const outcome = await send();
      if (outcome.ok) {
        this.metrics.exported(count);
        if (failures > 0) this.log(`export recovered after ${failures} failed attempt(s)`);
        return true;
      }
      if (outcome.permanent) {
        this.metrics.rejected(count);
        this.log(`collector rejected ${count} spans permanently: ${outcome.error.message}`);
        return true;
      }
      this.metrics.failure();
      if (failures === 0) this.log(`export failed, retrying with back-off: ${outcome.error.message}`);
      failures++;
      if (this.stopped) return false;
      await this.sleep(wait);
      if (this.stopped) return false;
      wait = Math.min(wait * 2, this.backoff.maxMs);
    }
  }

  /**
   * Turns lines into spans and exports them batch by batch; `ack(offset)` is called after each
   * acknowledged batch with the offset after its last complete (non-partial) line. False when
   * stopped before everything was acknowledged. With a sink that takes encoded requests
   * (`exportEncoded`), lines are written straight into the request bytes ({@link DirectTraceEncoder},
   * the same bytes as span objects through `encodeTraceRequest`); otherwise span objects are built.
   */
  async processLines(
    chunk: LineChunk,
    sourceId: string,
    unwrapper: Unwrapper,
    ack: (offset: number) => void,
  ): Promise<boolean> {
    const { parser, sink } = this.options;
    const spanOptions = this.spanOptions;
    const direct = typeof sink.exportEncoded === 'function';
    let spans: ReadableSpan[] = [];
    let encoder = direct ? this.encoder() : undefined;
    let inBatch = 0;
    let safe: number | undefined;
    for (let i = 0; i < chunk.tooLong; i++) this.metrics.bad('too-long');
    const { lines, ends, ascii } = chunk;
    // Where each line came from (one object, refilled per line: span building only reads it).
    const source = { id: sourceId, offset: 0 };
    // The line's bytes for the direct encoder to copy values from (one object, refilled per line).
    let text: LineText | undefined;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      const u = unwrapper.unwrap(line);
      if (u.kind === 'line') {
        const parsed = parser.parse(u.text);
        if (parsed.ok) {
          source.offset = ends[i];
          if (encoder !== undefined) {
            let lineText: LineText | undefined;
            const positions = parsed.positions;
            if (ascii !== undefined && positions !== undefined && u.at !== undefined) {
              lineText = text ??= { bytes: ascii.bytes, view: viewOf(ascii.bytes), start: 0, positions };
              lineText.start = ascii.starts[i] + u.at;
              lineText.positions = positions;
            }
            if (encoder.line(parsed.record, spanOptions, source, lineText) === 0)
              this.badLine('no-timestamp', u.text);
          } else {
            const made = this.spanBuilder.spans(parsed.record, spanOptions, source);
            if (made.length === 0) this.badLine('no-timestamp', u.text);
            else for (const s of made) spans.push(s);
          }
        } else this.badLine(parsed.reason, u.text);
      } else if (u.kind === 'stderr') this.metrics.stderr();
      else if (u.kind === 'bad') this.badLine('invalid-wrapper', line);
      if (!unwrapper.pending) safe = ends[i];
      if (++inBatch >= this.batchLines) {
        this.metrics.line(inBatch);
        if (!(await this.flush(spans, encoder, safe, ack))) return false;
        spans = [];
        if (encoder !== undefined) {
          this.release(encoder);
          encoder = this.encoder();
        }
        inBatch = 0;
        safe = undefined;
      }
    }
    if (inBatch > 0) this.metrics.line(inBatch);
    const done = await this.flush(spans, encoder, safe, ack);
    if (done && encoder !== undefined) this.release(encoder);
    return done;
  }

  /** An empty direct encoder for the next batch: the released one reset, else a new one. */
  private encoder(): DirectTraceEncoder {
    const reusable = this.reusable;
    if (reusable === undefined)
      return new DirectTraceEncoder({ builder: this.spanBuilder, expectedSpans: this.batchLines * 2 });
    this.reusable = undefined;
    reusable.reset();
    return reusable;
  }

  /** Hands back an encoder whose batch was acknowledged, for reuse when the sink releases bodies. */
  private release(encoder: DirectTraceEncoder): void {
    if (this.options.sink.releasesEncodedBody === true) this.reusable = encoder;
  }

  private async flush(
    spans: ReadableSpan[],
    encoder: DirectTraceEncoder | undefined,
    safe: number | undefined,
    ack: (offset: number) => void,
  ): Promise<boolean> {
    const sink = this.options.sink;
    const exportEncoded = sink.exportEncoded?.bind(sink);
    if (encoder !== undefined && exportEncoded !== undefined) {
      const count = encoder.count;
      if (count > 0) {
        const body = encoder.finish();
        if (!(await this.exportBatch(() => exportEncoded(body, count), count))) return false;
      }
    } else if (spans.length > 0 && !(await this.exportBatch(() => sink.export(spans), spans.length)))
      return false;
    if (safe !== undefined) ack(safe);
    return true;
  }

  private ackFor(f: Followed): (offset: number) => void {
    return (offset) =>
      this.checkpoint.set(f.key, {
        dev: f.file.dev,
        ino: f.file.ino,
        fingerprint: f.file.fingerprint,
        offset,
      });
  }

  /** Reads everything available in one file; false when stopped mid-way. */
  private async pump(f: Followed, final: boolean): Promise<{ ok: boolean; progressed: boolean }> {
    let progressed = false;
    for (;;) {
      if (this.stopped) return { ok: false, progressed };
      const chunk = await f.file.readChunk(final);
      if (chunk === undefined) return { ok: true, progressed };
      progressed = true;
      if (!(await this.processLines(chunk, f.file.id, f.unwrapper, this.ackFor(f))))
        return { ok: false, progressed };
    }
  }

  /** Opens a path asked for, resuming from the checkpoint when it names this file. */
  private async openTracked(path: string, startAtEnd: boolean, useCheckpoint: boolean): Promise<Followed[]> {
    const unwrapper = () => createUnwrapper(this.options.container);
    const pos = useCheckpoint ? this.checkpoint.get(path) : undefined;
    if (pos !== undefined) {
      const file = await TailedFile.open(path, 0);
      if (file && file.ino === pos.ino && file.dev === pos.dev && file.fingerprint === pos.fingerprint) {
        if ((await file.size()) >= pos.offset) {
          file.offset = pos.offset;
          return [{ file, key: path, unwrapper: unwrapper(), rotatedLeftover: false }];
        }
      }
      // Rotated while we were down: finish the old file (found by inode) first, then the new one.
      const out: Followed[] = [];
      const old = findByInode(dirname(path), pos.dev, pos.ino);
      if (old !== undefined && old !== path) {
        const oldFile = await TailedFile.open(old, pos.offset);
        if (oldFile && oldFile.fingerprint === pos.fingerprint) {
          out.push({ file: oldFile, key: path, unwrapper: unwrapper(), rotatedLeftover: true });
        } else await oldFile?.close();
      }
      if (file) {
        file.offset = 0;
        out.push({ file, key: path, unwrapper: unwrapper(), rotatedLeftover: false });
      }
      return out;
    }
    const file = await TailedFile.open(path, startAtEnd ? 'end' : 0);
    return file ? [{ file, key: path, unwrapper: unwrapper(), rotatedLeftover: false }] : [];
  }

  /**
   * Follows files and globs until {@link stop} (or, with `once`, until their end). Survives
   * rotation by rename and by copytruncate; resumes from the checkpoint.
   */
  async follow(patterns: readonly string[], options: FollowOptions = {}): Promise<void> {
    const tracked = new Map<string, Followed[]>();
    const seen = new Set<string>();
    let first = true;
    while (!this.stopped) {
      for (const path of expandPatterns(patterns)) {
        if (tracked.has(path)) continue;
        const startAtEnd = first && !options.fromBeginning;
        const opened = await this.openTracked(path, startAtEnd, !seen.has(path));
        if (opened.length > 0) {
          tracked.set(path, opened);
          seen.add(path);
        }
      }
      first = false;
      this.metrics.files(tracked.size);
      let progressed = false;
      for (const [path, list] of tracked) {
        while (list.length > 0) {
          const f = list[0];
          const r = await this.pump(f, options.once === true);
          progressed ||= r.progressed;
          if (!r.ok) return this.closeAll(tracked);
          if (f.rotatedLeftover) {
            await f.file.close();
            list.shift();
            continue;
          }
          break;
        }
        const f = list[0];
        if (f === undefined) {
          tracked.delete(path); // only a rotated leftover was open: pick the path up again from byte 0
          continue;
        }
        if (options.once) continue;
        const change = await f.file.change();
        if (change === 'truncated') {
          this.metrics.truncation();
          this.log(`${path}: truncated (copytruncate), reading from the start`);
          await f.file.restart();
          f.unwrapper = createUnwrapper(this.options.container);
          progressed = true;
        } else if (change === 'renamed') {
          // Lines written to the old file before the switch are drained first.
          const r = await this.pump(f, false);
          if (!r.ok) return this.closeAll(tracked);
          this.metrics.rotation();
          this.log(`${path}: rotated, following the new file`);
          await f.file.close();
          tracked.delete(path);
          progressed = true;
        }
        // 'gone': keep draining the open file until a new one appears under the path.
      }
      if (options.onProgress) {
        let done = 0;
        let total = 0;
        for (const list of tracked.values()) {
          for (const f of list) {
            done += f.file.offset;
            total += await f.file.size();
          }
        }
        options.onProgress(done, total);
      }
      if (options.once && !progressed) break;
      if (!progressed) await this.sleep(this.pollIntervalMs);
    }
    await this.closeAll(tracked);
  }

  private async closeAll(tracked: Map<string, Followed[]>): Promise<void> {
    for (const list of tracked.values()) for (const f of list) await f.file.close();
    tracked.clear();
  }

  /** Reads lines from a stream (stdin) to its end; no checkpoint (a stream cannot be resumed). */
  async readStream(stream: Readable, sourceId = 'stdin'): Promise<void> {
    const unwrapper = createUnwrapper(this.options.container);
    let rest: Buffer = Buffer.alloc(0);
    let base = 0;
    const ack = () => undefined;
    const take = async (buf: Buffer, final: boolean): Promise<boolean> => {
      const lines: string[] = [];
      const ends: number[] = [];
      let start = 0;
      for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10, start)) {
        lines.push(buf.toString('utf8', start, nl > start && buf[nl - 1] === 13 ? nl - 1 : nl));
        ends.push(base + nl + 1);
        start = nl + 1;
      }
      if (final && start < buf.length) {
        lines.push(buf.toString('utf8', start));
        ends.push(base + buf.length);
        start = buf.length;
      }
      base += start;
      rest = buf.subarray(start);
      return lines.length === 0 || this.processLines({ lines, ends, tooLong: 0 }, sourceId, unwrapper, ack);
    };
    for await (const data of stream) {
      const chunk = typeof data === 'string' ? Buffer.from(data) : (data as Buffer);
      if (!(await take(rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk, false))) return;
      if (this.stopped) return;
    }
    await take(rest, true);
  }
}
