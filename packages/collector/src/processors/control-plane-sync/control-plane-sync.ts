import type { TracesConsumer } from '../../consumer.js';
import type { ControlPlaneState } from '../../controlplane/state.js';
import { CollectorErrorCode, createError } from '../../errors.js';
import type { SpanBatch } from '../../model/span.js';

/** Rows the state may hold unwritten before batches are refused (default of `maxBacklog`). */
export const DEFAULT_MAX_CONTROL_PLANE_BACKLOG = 100_000;

export interface ControlPlaneSyncOptions {
  next: TracesConsumer;
  controlPlane: ControlPlaneState;
  /** Told when the backend cannot be read (the batch goes on with the view as it is). */
  onError?: (err: unknown) => void;
  /**
   * Rows (observations, diagnosis sets, remaps) the state may hold that its backend has not
   * taken yet; past it, batches are refused with 503 until the backend catches up.
   */
  maxBacklog?: number;
  /** Seconds a refused sender is told to wait (default 1). */
  retryAfterSeconds?: number;
}

/**
 * In front of stitching. Before a batch goes on:
 * - the backend's backlog is checked: while the backend cannot take the state's writes (the
 *   diagnoses and remaps stitching makes), more than `maxBacklog` rows waiting refuses the batch
 *   (`CT_COLLECTOR_CONTROLPLANE_WRITE`, 503 with Retry-After: nothing of it is stored, the sender
 *   retries), so memory stays bounded;
 * - a shared backend is read: the view is brought up to what every collector on it has written (one
 *   read of what came after the view's cursor; batches that arrive together share it), so that a
 *   span is diagnosed with the Kubernetes changes another gateway recorded before the span
 *   arrived. A backend that cannot be read delays nothing: the batch goes on with the view as it is.
 *
 *
 * @example
 * const head = createControlPlaneSync({ next: stitching, controlPlane });
 */
export function createControlPlaneSync(options: ControlPlaneSyncOptions): TracesConsumer {
  const { next, controlPlane } = options;
  const onError = options.onError ?? (() => {});
  const maxBacklog = options.maxBacklog ?? DEFAULT_MAX_CONTROL_PLANE_BACKLOG;
  const retryAfterSeconds = options.retryAfterSeconds ?? 1;
  return {
    async consume(batch: SpanBatch): Promise<void> {
      const backlog = controlPlane.backlog();
      if (backlog > maxBacklog) {
        throw createError(
          CollectorErrorCode.ControlPlaneWrite,
          `the control-plane backend is behind (${backlog} rows not written, limit ${maxBacklog}); retry later`,
          { statusCode: 503, retryAfterSeconds },
        );
      }
      if (controlPlane.shared) {
        try {
          await controlPlane.refresh();
        } catch (err) {
          onError(err);
        }
      }
      return next.consume(batch);
    },
  };
}
