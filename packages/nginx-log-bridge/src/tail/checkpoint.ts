import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { BridgeError, BridgeErrorCode } from '../errors.js';

/** Position of one followed file: which file (device, inode, first-line fingerprint) and where. */
export interface FilePosition {
  dev: number;
  ino: number;
  /** sha256 of the file's first line (prefix), to tell a truncated-and-rewritten file apart. */
  fingerprint?: string;
  /** Byte offset after the last line whose spans the collector acknowledged. */
  offset: number;
}

/**
 * The checkpoint file: path → {@link FilePosition}, written atomically (temp file + rename) after
 * every acknowledged batch, never before.
 */
export class Checkpoint {
  private readonly positions = new Map<string, FilePosition>();

  private constructor(private readonly file: string | undefined) {}

  /**
   * Loads `file` (missing is fine: empty). Throws `CT_BRIDGE_BAD_CHECKPOINT` when it exists but is
   * unreadable, at start-up. Without a file, positions live in memory only.
   */
  static load(file: string | undefined): Checkpoint {
    const cp = new Checkpoint(file);
    if (file === undefined) return cp;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return cp;
      throw new BridgeError(BridgeErrorCode.BadCheckpoint, `--checkpoint: cannot read ${file}`, {
        cause: err,
      });
    }
    try {
      const data = JSON.parse(text) as { version?: number; files?: Record<string, FilePosition> };
      for (const [path, pos] of Object.entries(data.files ?? {})) {
        if (typeof pos?.offset === 'number' && typeof pos.ino === 'number')
          cp.positions.set(path, { ...pos });
      }
    } catch (err) {
      throw new BridgeError(BridgeErrorCode.BadCheckpoint, `--checkpoint: ${file} is not a checkpoint`, {
        cause: err,
      });
    }
    return cp;
  }

  get(path: string): FilePosition | undefined {
    return this.positions.get(path);
  }

  /** Every stored path. */
  paths(): string[] {
    return [...this.positions.keys()];
  }

  /** Records a position and persists the whole checkpoint. Throws `CT_BRIDGE_CHECKPOINT_WRITE`. */
  set(path: string, position: FilePosition): void {
    this.positions.set(path, { ...position });
    this.save();
  }

  private save(): void {
    if (this.file === undefined) return;
    const data = { version: 1, files: Object.fromEntries(this.positions) };
    const tmp = `${this.file}.tmp-${process.pid}`;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      writeFileSync(tmp, `${JSON.stringify(data)}\n`);
      renameSync(tmp, this.file);
    } catch (err) {
      throw new BridgeError(BridgeErrorCode.CheckpointWrite, `--checkpoint: cannot write ${this.file}`, {
        cause: err,
      });
    }
  }
}
