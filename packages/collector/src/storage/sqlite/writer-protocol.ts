// Messages between SqliteSpanStore and its writer worker.
import type { EncodedBatch } from './encode.js';
import type { RetentionRequest, RetentionResult } from './writer.js';

export type ToWorker =
  | { type: 'write'; id: number; batches: EncodedBatch[] }
  | { type: 'retention'; id: number; request: RetentionRequest }
  | { type: 'delete'; id: number; traceId: string; spanIds?: string[] }
  | { type: 'close'; id: number };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'open-error'; message: string }
  | { type: 'done'; id: number; error?: string; result?: RetentionResult };
