import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Collector } from '@crosstrace/collector';
import { Bridge, createOtlpSink, createParser } from '@crosstrace/nginx-log-bridge';
import { ErrorCode, HotrodError } from '../errors.js';
import type { AuditEvent } from './cluster/api-server.js';
import { CollectorSink } from './cluster/collector-sink.js';
import { nowNanos, parseRfc3339 } from './cluster/k8s-time.js';
import { startDemoCollector } from './demo-collector.js';
import { type RecordedWatchEvent, readRecording } from './recording.js';
import { buildReport, type DemoReport } from './report.js';
import { shiftAccessLogLine, shiftJsonTimes, shiftOtlpJson } from './time-shift.js';

/** The recording committed with the example (`examples/hotrod/recording/`). */
export const DEFAULT_RECORDING = fileURLToPath(new URL('../../recording/', import.meta.url));

/** Options of {@link runReplay}. */
export interface ReplayOptions {
  host: string;
  /** The collector's UI and query API (default 16686). */
  queryPort: number;
  /** Its OTLP/HTTP port (default 0: any free port; the replay sends to it itself). */
  otlpPort: number;
  recording: string;
  /** Working folder (default: a temporary one, removed at stop). */
  dir?: string;
}

/** A replay whose collector keeps running until `stop()`. */
export interface RunningReplay {
  report: DemoReport;
  urls: { ui: string; query: string; otlp: string };
  collector: Collector;
  /** How far the recording was moved in time (s), so it ends now. */
  shiftSeconds: number;
  /** What was loaded. */
  loaded: { accessLogLines: number; otlpRequests: number; watchEvents: number; auditEvents: number };
  stop(): Promise<void>;
}

async function postOtlp(base: string, body: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${base}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const text = await res.text();
    if (res.ok) {
      const r = JSON.parse(text) as { partialSuccess?: { rejectedSpans?: string | number } };
      if (Number(r.partialSuccess?.rejectedSpans ?? 0) > 0)
        throw new HotrodError(ErrorCode.CollectorRefused, `spans refused: ${text}`);
      return;
    }
    if ((res.status === 429 || res.status === 503) && attempt < 20) {
      await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get('retry-after') ?? 1)));
      continue;
    }
    throw new HotrodError(ErrorCode.CollectorRefused, `/v1/traces: ${res.status} ${text}`);
  }
}

/**
 * Loads a recording into a fresh collector — the Kubernetes records through `/k8s/objects` and
 * `/k8s/audit`, the app's OTLP/JSON through `/v1/traces`, nginx's access log through the bridge —
 * moved in time so that it ends now, and builds the same report as the live demo. No nginx and
 * no services run.
 *
 * @param options - the collector's ports and the recording (default: the example's)
 * @example
 * const replay = await runReplay({ queryPort: 16686 });
 * console.log(formatReport(replay.report));
 * await replay.stop();
 */
export async function runReplay(options: Partial<ReplayOptions> = {}): Promise<RunningReplay> {
  const o: ReplayOptions = {
    host: '127.0.0.1',
    queryPort: 16686,
    otlpPort: 0,
    recording: DEFAULT_RECORDING,
    ...options,
  };
  const rec = readRecording(o.recording);
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'hotrod-replay-'));
  const removeDir = () => {
    if (o.dir === undefined) rmSync(dir, { recursive: true, force: true });
  };
  let collector: Collector | undefined;
  try {
    const started = await startDemoCollector({
      dir,
      host: o.host,
      otlpPort: o.otlpPort,
      queryPort: o.queryPort,
    });
    collector = started.collector;
    const { otlp, query } = started;

    // whole seconds, so that second-precision Kubernetes times stay exact
    const shiftSeconds = Math.ceil(Number(nowNanos() / 1000n - BigInt(rec.manifest.endMicros)) / 1e6);
    const shiftNs = BigInt(shiftSeconds) * 1_000_000_000n;

    const sink = new CollectorSink({ baseUrl: otlp, noArrival: true });
    for (const line of rec.k8sObjects) {
      const { arrivedAt, ...event } = shiftJsonTimes(JSON.parse(line) as RecordedWatchEvent, shiftNs);
      sink.watch(event, arrivedAt === undefined ? undefined : parseRfc3339(arrivedAt));
    }
    for (const line of rec.k8sAudit) sink.audit(shiftJsonTimes(JSON.parse(line) as AuditEvent, shiftNs));
    await sink.flush();

    for (const body of rec.appSpans) await postOtlp(otlp, shiftOtlpJson(body, shiftNs));

    const logLines = rec.accessLog.split('\n').filter((l) => l !== '');
    const accessLog = join(dir, 'access.log');
    writeFileSync(accessLog, logLines.map((l) => `${shiftAccessLogLine(l, shiftSeconds)}\n`).join(''));
    const bridge = new Bridge({
      parser: createParser({ logFormat: rec.manifest.logFormat }),
      sink: createOtlpSink({ endpoint: otlp }),
      spans: { namespaces: [rec.manifest.namespace] },
    });
    await bridge.follow([accessLog], { fromBeginning: true, once: true });
    const bad = Object.values(bridge.metrics.counts.badLines).reduce((a, b) => a + (b ?? 0), 0);
    if (bad > 0) throw new HotrodError(ErrorCode.BadRecording, `${bad} access-log lines could not be read`);

    const report = await buildReport({
      queryBase: query,
      uiBase: query,
      startMicros: rec.manifest.startMicros + shiftSeconds * 1_000_000 - 1_000_000,
      endMicros: rec.manifest.endMicros + shiftSeconds * 1_000_000,
      deployment: rec.manifest.deployment,
    });
    const c = collector;
    return {
      report,
      urls: { ui: query, query, otlp },
      collector: c,
      shiftSeconds,
      loaded: {
        accessLogLines: logLines.length,
        otlpRequests: rec.appSpans.length,
        watchEvents: rec.k8sObjects.length,
        auditEvents: rec.k8sAudit.length,
      },
      stop: async () => {
        await c.close();
        removeDir();
      },
    };
  } catch (err) {
    await collector?.close();
    removeDir();
    throw err;
  }
}
