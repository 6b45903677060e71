import { parseAllDocuments } from 'yaml';
import type { K8sObject, Observation, ObservationType } from '../../controlplane/k8s-types.js';
import { isRecord } from '../../controlplane/k8s-types.js';

/** What came out of one text: objects, audit events, and the documents that were neither. */
export interface ParsedK8sText {
  observations: Observation[];
  /** audit.k8s.io Events (from an EventList or one per document/line). */
  auditEvents: Record<string, unknown>[];
  /** Documents that were not understood, counted by reason. */
  bad: Record<string, number>;
}

const WATCH_TYPES = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

/**
 * Splits concatenated JSON values (`kubectl get -w -o json` prints pretty objects one after
 * another, JSON lines put one per line) into their texts, tracking strings and nesting.
 * Returns undefined when the text does not look like JSON at all.
 */
export function splitJsonValues(text: string): string[] | undefined {
  const out: string[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (escaped) escaped = false;
      else if (c === 92 /* \ */) escaped = true;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) {
      if (depth === 0) return undefined;
      inString = true;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (depth === 0) start = i;
      depth++;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      depth--;
      if (depth < 0) return undefined;
      if (depth === 0) {
        out.push(text.slice(start, i + 1));
        start = -1;
      }
    } else if (depth === 0 && c !== 32 && c !== 10 && c !== 13 && c !== 9 && c !== 44 /* , */) {
      return undefined;
    }
  }
  if (depth !== 0 && start >= 0) out.push(text.slice(start)); // truncated tail: reported as bad
  return out;
}

function count(bad: Record<string, number>, reason: string): void {
  bad[reason] = (bad[reason] ?? 0) + 1;
}

function isAudit(o: Record<string, unknown>): boolean {
  return typeof o.apiVersion === 'string' && o.apiVersion.startsWith('audit.k8s.io/');
}

/**
 * When watch events arrived: one time for the whole text, or `event`: each watch event's own
 * `arrivalNanos` (a decimal string), as a crosstrace agent forwards the events it received.
 */
export type Arrival = bigint | 'event' | undefined;

function arrivalOf(doc: Record<string, unknown>, arrival: Arrival): bigint | undefined {
  if (arrival !== 'event') return arrival;
  const v = doc.arrivalNanos;
  return typeof v === 'string' && /^[0-9]{1,19}$/.test(v) ? BigInt(v) : undefined;
}

/** Files one parsed document (object, watch event, List, audit event) into `out`, or counts it bad. */
export function addDocument(doc: unknown, out: ParsedK8sText, arrivalNanos: Arrival): void {
  if (doc === null || doc === undefined) return; // empty YAML document
  if (Array.isArray(doc)) {
    for (const d of doc) addDocument(d, out, arrivalNanos);
    return;
  }
  if (!isRecord(doc)) {
    count(out.bad, 'not-an-object');
    return;
  }
  if (typeof doc.type === 'string' && 'object' in doc && !('kind' in doc && 'apiVersion' in doc)) {
    const type = doc.type.toUpperCase();
    if (!WATCH_TYPES.has(type)) {
      count(out.bad, 'unknown-watch-type');
      return;
    }
    if (type === 'BOOKMARK' || type === 'ERROR') return;
    if (!isRecord(doc.object)) {
      count(out.bad, 'watch-event-without-object');
      return;
    }
    // only a watch stream's arrival time means something; listed objects carry their own times
    out.observations.push(
      observation(type as ObservationType, doc.object as K8sObject, arrivalOf(doc, arrivalNanos)),
    );
    return;
  }
  if (Array.isArray(doc.items) && typeof doc.kind === 'string' && doc.kind.endsWith('List')) {
    if (isAudit(doc)) {
      for (const it of doc.items) if (isRecord(it)) out.auditEvents.push(it);
      return;
    }
    for (const it of doc.items) addDocument(it, out, arrivalNanos);
    return;
  }
  if (isAudit(doc)) {
    out.auditEvents.push(doc);
    return;
  }
  if (typeof doc.kind !== 'string' || !isRecord(doc.metadata)) {
    count(out.bad, 'not-a-kubernetes-object');
    return;
  }
  out.observations.push(observation('SNAPSHOT', doc as K8sObject, undefined));
}

function observation(
  type: ObservationType,
  object: K8sObject,
  arrivalNanos: bigint | undefined,
): Observation {
  return arrivalNanos === undefined ? { type, object } : { type, object, arrivalNanos };
}

/**
 * Parses Kubernetes data in any of the formats kubectl prints: one JSON object or `List`,
 * concatenated or line-separated JSON (watch events `{"type","object"}` included), YAML with
 * `---`. Never throws; bad documents are counted by reason.
 *
 * @param text - the body or file content
 * @param arrivalNanos - when a live watch delivered it (applies to watch events only); undefined for
 *   imports; `event` to read each watch event's own `arrivalNanos`
 * @example
 * const { observations } = parseK8sText('{"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"a"}}}');
 */
export function parseK8sText(text: string, arrivalNanos?: Arrival): ParsedK8sText {
  const out: ParsedK8sText = { observations: [], auditEvents: [], bad: {} };
  const pieces = splitJsonValues(text);
  if (pieces !== undefined) {
    for (const piece of pieces) {
      let doc: unknown;
      try {
        doc = JSON.parse(piece);
      } catch {
        count(out.bad, 'invalid-json');
        continue;
      }
      addDocument(doc, out, arrivalNanos);
    }
    return out;
  }
  try {
    for (const d of parseAllDocuments(text)) {
      if (d.errors.length > 0) {
        count(out.bad, 'invalid-yaml');
        continue;
      }
      addDocument(d.toJS(), out, arrivalNanos);
    }
  } catch {
    count(out.bad, 'invalid-yaml');
  }
  return out;
}
