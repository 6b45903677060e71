import { once } from 'node:events';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ErrorCode, HotrodError } from '../errors.js';
import type { AuditEvent, ControlPlaneSink, WatchEvent } from './cluster/api-server.js';
import { nowNanos, rfc3339Nano } from './cluster/k8s-time.js';

/** The files of a recording, in its folder. */
export const RECORDING_FILES = {
  manifest: 'manifest.json',
  /** nginx's access log, as written (the ingress-nginx upstreaminfo format + $msec and TLS). */
  accessLog: 'access.log',
  /** The app's OTLP/JSON export requests, one per line, as the services sent them (gzip). */
  appSpans: 'app-spans.otlp.jsonl.gz',
  /**
   * Watch events, one per line, as sent to /k8s/objects, each with `arrivedAt` (RFC 3339, ns):
   * when it reached the collector, so a replay tells a deleted pod's end as the live run did.
   */
  k8sObjects: 'k8s-objects.jsonl',
  /** audit.k8s.io/v1 Events, one per line, as sent to /k8s/audit. */
  k8sAudit: 'k8s-audit.jsonl',
} as const;

/** A line of `k8s-objects.jsonl`: the watch event and when it reached the collector. */
export type RecordedWatchEvent = WatchEvent & { arrivedAt?: string };

/** What a recording says about itself. */
export interface RecordingManifest {
  format: 1;
  /** When the recorded run's load started and stopped (µs since the epoch). */
  startMicros: number;
  endMicros: number;
  /** The log_format of access.log. */
  logFormat: string;
  namespace: string;
  deployment: string;
  /** The profile of the run. */
  profile: Record<string, number | string>;
}

/** Collects a live run's inputs to the collector, then writes them as a recording. */
export class RecordingWriter implements ControlPlaneSink {
  private readonly objects: string[] = [];
  private readonly audits: string[] = [];
  private readonly spans: string[] = [];

  watch(event: WatchEvent): void {
    const line: RecordedWatchEvent = { ...event, arrivedAt: rfc3339Nano(nowNanos()) };
    this.objects.push(JSON.stringify(line));
  }

  audit(event: AuditEvent): void {
    this.audits.push(JSON.stringify(event));
  }

  /** One OTLP/JSON export request body. */
  appSpans(body: string): void {
    this.spans.push(body.replace(/\n/g, ''));
  }

  /** Writes the recording into `dir` (created when missing). */
  write(dir: string, accessLog: string, manifest: RecordingManifest): void {
    mkdirSync(dir, { recursive: true });
    copyFileSync(accessLog, join(dir, RECORDING_FILES.accessLog));
    const lines = (l: string[]) => (l.length === 0 ? '' : `${l.join('\n')}\n`);
    writeFileSync(join(dir, RECORDING_FILES.k8sObjects), lines(this.objects));
    writeFileSync(join(dir, RECORDING_FILES.k8sAudit), lines(this.audits));
    writeFileSync(join(dir, RECORDING_FILES.appSpans), gzipSync(lines(this.spans), { level: 9 }));
    writeFileSync(join(dir, RECORDING_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
  }
}

/** A recording read back. */
export interface Recording {
  manifest: RecordingManifest;
  accessLog: string;
  /** OTLP/JSON export requests. */
  appSpans: string[];
  k8sObjects: string[];
  k8sAudit: string[];
}

function nonEmptyLines(text: string): string[] {
  return text.split('\n').filter((l) => l.trim() !== '');
}

/** Reads the recording in `dir`; a missing or unreadable file is a CT_HOTROD_BAD_RECORDING error. */
export function readRecording(dir: string): Recording {
  const read = (name: string): Buffer => {
    try {
      return readFileSync(join(dir, name));
    } catch (cause) {
      throw new HotrodError(ErrorCode.BadRecording, `recording ${dir}: cannot read ${name}`, { cause });
    }
  };
  try {
    return {
      manifest: JSON.parse(read(RECORDING_FILES.manifest).toString('utf8')) as RecordingManifest,
      accessLog: read(RECORDING_FILES.accessLog).toString('utf8'),
      appSpans: nonEmptyLines(gunzipSync(read(RECORDING_FILES.appSpans)).toString('utf8')),
      k8sObjects: nonEmptyLines(read(RECORDING_FILES.k8sObjects).toString('utf8')),
      k8sAudit: nonEmptyLines(read(RECORDING_FILES.k8sAudit).toString('utf8')),
    };
  } catch (err) {
    if (err instanceof HotrodError) throw err;
    throw new HotrodError(ErrorCode.BadRecording, `recording ${dir}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * An OTLP/HTTP relay for recording: the services export OTLP/JSON to it, it keeps each request
 * body and forwards it to the collector, answering what the collector answered.
 */
export class OtlpRelay {
  private server: Server | undefined;

  constructor(
    private readonly target: string,
    private readonly onBody: (body: string) => void,
  ) {}

  /** Listens on host:0; resolves with its base URL. */
  async listen(host: string): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const body = Buffer.concat(chunks);
        try {
          const answer = await fetch(new URL(req.url ?? '/v1/traces', this.target), {
            method: 'POST',
            headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
            body,
          });
          if (answer.ok) this.onBody(body.toString('utf8'));
          res.writeHead(answer.status, {
            'content-type': answer.headers.get('content-type') ?? 'application/json',
          });
          res.end(Buffer.from(await answer.arrayBuffer()));
        } catch {
          res.writeHead(503, { 'retry-after': '1' });
          res.end();
        }
      });
    });
    this.server.listen(0, host);
    await once(this.server, 'listening');
    const a = this.server.address();
    return `http://${host}:${typeof a === 'object' && a ? a.port : 0}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server) return resolve();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
