import { readFile } from 'node:fs/promises';
import type { TracesConsumer } from '../consumer.js';
import type { ControlPlaneState } from '../controlplane/state.js';
import { CollectorErrorCode, createError } from '../errors.js';
import { ingestK8sText } from '../receivers/k8s/ingest.js';

/** Totals of an import. */
export interface ImportResult {
  files: number;
  objects: number;
  auditEvents: number;
  duplicates: number;
  spans: number;
  bad: Record<string, number>;
}

/**
 * Imports Kubernetes data files (`kubectl get … -o json|yaml`, watch-event streams, JSON lines,
 * audit logs) into the control-plane state and, as spans, through the pipeline. Files have no
 * arrival time: every time comes from the objects themselves. Re-importing is idempotent.
 *
 * @param paths - files to read
 * @example
 * const r = await importFiles(['events.yaml', 'audit.log'], { pipeline, controlPlane });
 */
export async function importFiles(
  paths: readonly string[],
  opts: { pipeline: TracesConsumer; controlPlane: ControlPlaneState },
): Promise<ImportResult> {
  const total: ImportResult = { files: 0, objects: 0, auditEvents: 0, duplicates: 0, spans: 0, bad: {} };
  for (const path of paths) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (cause) {
      throw createError(CollectorErrorCode.ImportRead, `cannot read ${path}`, { statusCode: 400, cause });
    }
    const r = await ingestK8sText(text, { ...opts, receiver: 'import' });
    total.files++;
    total.objects += r.objects;
    total.auditEvents += r.auditEvents;
    total.duplicates += r.duplicates;
    total.spans += r.spans;
    for (const [k, v] of Object.entries(r.bad)) total.bad[k] = (total.bad[k] ?? 0) + v;
  }
  return total;
}
