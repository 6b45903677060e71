import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { type FileHandle, open, stat } from 'node:fs/promises';

const CHUNK_BYTES = 1 << 20;
const FINGERPRINT_BYTES = 1024;

/** Complete lines read from a file, with the byte offset just after each line's newline. */
export interface LineChunk {
  lines: string[];
  ends: number[];
  /**
   * When every byte of the lines is ASCII: the bytes they were decoded from (valid until the next
   * read) and where each line starts in them, so values can be copied from the bytes.
   */
  ascii?: { readonly bytes: Uint8Array; readonly starts: number[] };
  /** Lines longer than the read buffer that were skipped. */
  tooLong: number;
}

/** What changed about a followed path since the last look. */
export type FileChange = 'same' | 'renamed' | 'truncated' | 'gone';

/**
 * One open log file: reads complete lines from a byte offset and notices rotation by rename
 * (the path now names another inode), copytruncate (smaller than our offset, or another first
 * line) and deletion. The caller decides what to do about each.
 */
export class TailedFile {
  /** Next byte to read. */
  offset: number;
  fingerprint: string | undefined;
  private skipping = false;
  private readonly buffer = Buffer.allocUnsafe(CHUNK_BYTES);

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    readonly dev: number,
    readonly ino: number,
    offset: number,
  ) {
    this.offset = offset;
  }

  /**
   * Opens `path`; `at` is a byte offset, or `end` for the current size. Undefined when the file
   * does not exist (or cannot be opened).
   */
  static async open(path: string, at: number | 'end'): Promise<TailedFile | undefined> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch {
      return undefined;
    }
    const st = await handle.stat();
    const file = new TailedFile(path, handle, st.dev, st.ino, at === 'end' ? st.size : Math.min(at, st.size));
    file.fingerprint = await file.readFingerprint();
    return file;
  }

  /** `dev:ino:fingerprint`: stable for one file's life, different after copytruncate. */
  get id(): string {
    return `${this.dev}:${this.ino}:${this.fingerprint ?? ''}`;
  }

  /** sha256 of the first line (or first 1 KiB); undefined until the first line is complete. */
  async readFingerprint(): Promise<string | undefined> {
    const buf = Buffer.allocUnsafe(FINGERPRINT_BYTES);
    const { bytesRead } = await this.handle.read(buf, 0, FINGERPRINT_BYTES, 0);
    const nl = buf.subarray(0, bytesRead).indexOf(10);
    if (nl < 0 && bytesRead < FINGERPRINT_BYTES) return undefined;
    return createHash('sha256')
      .update(buf.subarray(0, nl < 0 ? bytesRead : nl))
      .digest('hex')
      .slice(0, 16);
  }

  /**
   * Reads the next complete lines from {@link offset} (at most 1 MiB); with `final`, an
   * unterminated last line counts too (one-shot reads at EOF). Undefined at EOF.
   */
  async readChunk(final = false): Promise<LineChunk | undefined> {
    if (this.fingerprint === undefined) this.fingerprint = await this.readFingerprint();
    for (;;) {
      const { bytesRead } = await this.handle.read(this.buffer, 0, CHUNK_BYTES, this.offset);
      if (bytesRead === 0) return undefined;
      const buf = this.buffer;
      const lines: string[] = [];
      const ends: number[] = [];
      const starts: number[] = [];
      let tooLong = 0;
      let start = 0;
      if (this.skipping) {
        const nl = buf.indexOf(10);
        if (nl < 0 || nl >= bytesRead) {
          this.offset += bytesRead;
          continue;
        }
        this.skipping = false;
        start = nl + 1;
        tooLong++;
      }
      // One vectorised check of what was read (the usual access log is ASCII): ASCII lines are
      // decoded as latin1 (a copy, the same string as UTF-8 gives) and their bytes offered to copy.
      const ascii = isAscii(buf.subarray(start, bytesRead));
      const encoding = ascii ? 'latin1' : 'utf8';
      for (let nl = buf.indexOf(10, start); nl >= 0 && nl < bytesRead; nl = buf.indexOf(10, start)) {
        const end = nl > start && buf[nl - 1] === 13 ? nl - 1 : nl;
        starts.push(start);
        lines.push(buf.toString(encoding, start, end));
        ends.push(this.offset + nl + 1);
        start = nl + 1;
      }
      if (final && start < bytesRead && bytesRead < CHUNK_BYTES) {
        starts.push(start);
        lines.push(buf.toString(encoding, start, bytesRead));
        ends.push(this.offset + bytesRead);
        start = bytesRead;
      }
      if (lines.length === 0 && tooLong === 0) {
        if (bytesRead < CHUNK_BYTES) return undefined; // an incomplete line: wait for the rest
        this.skipping = true; // a line longer than the buffer: skip to its end
        this.offset += bytesRead;
        continue;
      }
      this.offset += start;
      return ascii ? { lines, ends, tooLong, ascii: { bytes: buf, starts } } : { lines, ends, tooLong };
    }
  }

  /** Compares the path with the open file. */
  async change(): Promise<FileChange> {
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(this.path);
    } catch {
      return 'gone';
    }
    if (st.ino !== this.ino || st.dev !== this.dev) return 'renamed';
    if (st.size < this.offset) return 'truncated';
    if (this.fingerprint !== undefined && (await this.readFingerprint()) !== this.fingerprint)
      return 'truncated';
    return 'same';
  }

  /** Starts over at byte 0 after a truncation. */
  async restart(): Promise<void> {
    this.offset = 0;
    this.skipping = false;
    this.fingerprint = await this.readFingerprint();
  }

  /** The open file's current size. */
  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}
