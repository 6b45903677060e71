import type { TracesConsumer } from '../../consumer.js';
import type { ControlPlaneState } from '../../controlplane/state.js';
import type { SpanBatch } from '../../model/span.js';

export interface ControlPlaneSyncOptions {
  next: TracesConsumer;
  controlPlane: ControlPlaneState;
  /** Told when the backend cannot be read (the batch goes on with the view as it is). */
  onError?: (err: unknown) => void;
}

/**
 * Before a batch goes on to stitching, brings the control-plane view up to what every collector on
 * its shared backend has written (one read of what came after the view's cursor; batches that
 * arrive together share it), so that a span is diagnosed with the Kubernetes changes another
 * gateway recorded before the span arrived. A backend that cannot be read delays nothing: the
 * batch goes on with the view as it is. Without a shared backend it is `next` itself.
 *
 * @example
 * const head = createControlPlaneSync({ next: stitching, controlPlane });
 */
export function createControlPlaneSync(options: ControlPlaneSyncOptions): TracesConsumer {
  const { next, controlPlane } = options;
  if (!controlPlane.shared) return next;
  const onError = options.onError ?? (() => {});
  return {
    async consume(batch: SpanBatch): Promise<void> {
      try {
        await controlPlane.refresh();
      } catch (err) {
        onError(err);
      }
      return next.consume(batch);
    },
  };
}
