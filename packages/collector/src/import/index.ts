import { access } from 'node:fs/promises';
import type { TracesConsumer } from '../consumer.js';
import type { ControlPlaneState } from '../controlplane/state.js';
import { CollectorErrorCode, createError, isCollectorError } from '../errors.js';
import { ingestObservations } from '../receivers/k8s/ingest.js';
import { addDocument, type ParsedK8sText } from '../receivers/k8s-objects/parse.js';
import { readDocuments } from './read-documents.js';

export type { FileDocument, ReadDocumentsOptions } from './read-documents.js';
export { readDocuments } from './read-documents.js';

/** Totals of an import. */
export interface ImportResult {
  files: number;
  objects: number;
  auditEvents: number;
  duplicates: number;
  spans: number;
  bad: Record<string, number>;
}

export interface ImportOptions {
  pipeline: TracesConsumer;
  controlPlane: ControlPlaneState;
  /** Documents recorded and sent down the pipeline at a time (default 2 000). */
  batchDocuments?: number;
}

/**
 * Imports Kubernetes data files (`kubectl get … -o json|yaml`, watch-event streams, JSON lines,
 * audit logs) into the control-plane state and, as spans, through the pipeline. Files are read
 * as streams, a batch of documents at a time (a `List` item by item): memory holds one batch, not
 * the file. Files have no arrival time: every time comes from the objects themselves.
 * Re-importing is idempotent.
 *
 * @param paths - files to read
 * @example
 * const r = await importFiles(['events.yaml', 'audit.log'], { pipeline, controlPlane });
 */
export async function importFiles(paths: readonly string[], opts: ImportOptions): Promise<ImportResult> {
  const total: ImportResult = { files: 0, objects: 0, auditEvents: 0, duplicates: 0, spans: 0, bad: {} };
  const batchSize = opts.batchDocuments ?? 2000;
  const ingest = { pipeline: opts.pipeline, controlPlane: opts.controlPlane, receiver: 'import' };
  for (const path of paths) {
    try {
      await access(path);
    } catch (cause) {
      throw createError(CollectorErrorCode.ImportRead, `cannot read ${path}`, { statusCode: 400, cause });
    }
    let batch: ParsedK8sText = { observations: [], auditEvents: [], bad: {} };
    const flush = async () => {
      total.objects += batch.observations.length;
      total.auditEvents += batch.auditEvents.length;
      for (const [k, v] of Object.entries(batch.bad)) total.bad[k] = (total.bad[k] ?? 0) + v;
      if (batch.observations.length + batch.auditEvents.length > 0) {
        const r = await ingestObservations(batch.observations, batch.auditEvents, ingest);
        total.duplicates += r.duplicates;
        total.spans += r.spans;
        if (r.rejectedSpans > 0)
          total.bad['span-out-of-range'] = (total.bad['span-out-of-range'] ?? 0) + r.rejectedSpans;
      }
      batch = { observations: [], auditEvents: [], bad: {} };
    };
    try {
      for await (const doc of readDocuments(path)) {
        if ('bad' in doc) batch.bad[doc.bad] = (batch.bad[doc.bad] ?? 0) + 1;
        else addDocument(doc.value, batch, undefined);
        if (batch.observations.length + batch.auditEvents.length >= batchSize) await flush();
      }
    } catch (cause) {
      if (isCollectorError(cause)) throw cause;
      throw createError(CollectorErrorCode.ImportRead, `cannot read ${path}`, { statusCode: 400, cause });
    }
    await flush();
    total.files++;
  }
  return total;
}
