#!/usr/bin/env node
import { readFileSync, realpathSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createOtlpExporter } from '@crosstrace/tracer';
import { Command, InvalidArgumentError, Option } from 'commander';
import { Bridge } from './bridge.js';
import { BridgeError, BridgeErrorCode } from './errors.js';
import {
  createExporterSink,
  createJsonLinesSink,
  createOtlpSink,
  type SpanSink,
} from './export/span-sink.js';
import { BridgeMetrics, serveMetrics } from './metrics.js';
import type { ContainerFormat } from './parse/container.js';
import type { JsonMapping } from './parse/json-format.js';
import { createParser } from './parse/parse-line.js';
import type { FormatName } from './parse/presets.js';
import { formatSummary } from './summary.js';
import { Checkpoint } from './tail/checkpoint.js';
import { VERSION } from './version.js';

/** Streams and hooks the CLI uses; tests pass their own. */
export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable & { isTTY?: boolean };
  /** Called with the running bridge (tests stop it). */
  onStart?: (bridge: Bridge, info: { metricsPort?: number }) => void;
  /** Whether to install SIGINT/SIGTERM handlers (default true). */
  signals?: boolean;
}

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0)
      throw new InvalidArgumentError(`${name} must be a non-negative integer`);
    return n;
  };
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function readOption(name: string, file: string | undefined): Buffer | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file);
  } catch (cause) {
    throw new BridgeError(BridgeErrorCode.BadOption, `${name}: cannot read ${file}`, { cause });
  }
}

function jsonMapping(text: string | undefined): JsonMapping | undefined {
  if (text === undefined) return undefined;
  const source = text.startsWith('@') ? readFileSync(text.slice(1), 'utf8') : text;
  try {
    return JSON.parse(source) as JsonMapping;
  } catch (cause) {
    throw new BridgeError(BridgeErrorCode.BadJsonMapping, '--json-mapping: not a JSON object', { cause });
  }
}

function program(): Command {
  return new Command('crosstrace-nginx-bridge')
    .description('nginx / ingress-nginx access logs → OTLP ingress spans, tailed without loss')
    .version(VERSION)
    .argument('[files...]', 'log files or globs (`*` in the file name); `-` or none reads stdin')
    .addOption(
      new Option('--format <name>', 'log format preset')
        .choices(['combined', 'ingress-nginx', 'json'])
        .default('combined'),
    )
    .option('--log-format <text>', 'an nginx log_format text (wins over --format)')
    .option('--json-mapping <json>', 'for --format json: {"nginx_variable":"json.path"} or @file')
    .addOption(
      new Option('--container <wrapper>', 'container log wrapper')
        .choices(['auto', 'cri', 'docker', 'none'])
        .default('auto'),
    )
    .option('--endpoint <url>', 'OTLP/HTTP endpoint (protobuf)')
    .addOption(
      new Option(
        '--exporter <name>',
        "bridge: the bridge's own protobuf encoder; tracer: @crosstrace/tracer's createOtlpExporter",
      )
        .choices(['bridge', 'tracer'])
        .default('bridge'),
    )
    .option('--header <key=value>', 'extra export header (repeatable)', collect)
    .option('--ca <file>', 'CA certificate (PEM) to trust for the endpoint')
    .option('--cert <file>', 'client certificate (PEM) for mTLS')
    .option('--key <file>', 'client key (PEM) for mTLS')
    .option('--service-name <name>', 'resource service.name', 'ingress-nginx')
    .option(
      '--namespace <name>',
      'a namespace containing "-", to split $proxy_upstream_name (repeatable)',
      collect,
    )
    .option('--from-beginning', 'read files from their start and exit at their end (one-shot)')
    .option('--follow', 'with --from-beginning: keep following after the end')
    .option('--checkpoint <file>', 'checkpoint file: resume exactly after a restart')
    .option('--dry-run', 'write each batch as one OTLP/JSON ExportTraceServiceRequest line to stdout')
    .option('--batch-lines <n>', 'lines per export batch', positiveInt('--batch-lines'), 1000)
    .option('--poll-interval <ms>', 'file poll interval', positiveInt('--poll-interval'), 250)
    .option('--retry-max <ms>', 'longest back-off between export retries', positiveInt('--retry-max'), 30_000)
    .option('--metrics-port <port>', 'serve Prometheus /metrics on this port', positiveInt('--metrics-port'))
    .option('--metrics-host <host>', 'address for /metrics', '127.0.0.1')
    .option('--quiet', 'no progress bar, no bad-line samples');
}

interface CliOptions {
  format: FormatName;
  logFormat?: string;
  jsonMapping?: string;
  container: ContainerFormat;
  endpoint?: string;
  exporter: 'bridge' | 'tracer';
  header?: string[];
  ca?: string;
  cert?: string;
  key?: string;
  serviceName: string;
  namespace?: string[];
  fromBeginning?: boolean;
  follow?: boolean;
  checkpoint?: string;
  dryRun?: boolean;
  batchLines: number;
  pollInterval: number;
  retryMax: number;
  metricsPort?: number;
  metricsHost: string;
  quiet?: boolean;
}

function defaultEndpoint(): string {
  return (
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT ??
    'http://127.0.0.1:4318'
  );
}

function headers(list: string[] | undefined): Record<string, string> | undefined {
  if (!list) return undefined;
  const out: Record<string, string> = {};
  for (const h of list) {
    const eq = h.indexOf('=');
    if (eq <= 0) throw new BridgeError(BridgeErrorCode.BadOption, `--header: expected key=value, got "${h}"`);
    out[h.slice(0, eq).trim()] = h.slice(eq + 1).trim();
  }
  return out;
}

function progressBar(stream: Writable): (done: number, total: number) => void {
  let last = 0;
  return (done, total) => {
    const now = Date.now();
    if (now - last < 200 && done < total) return;
    last = now;
    const ratio = total > 0 ? Math.min(1, done / total) : 1;
    const width = 30;
    const filled = Math.round(ratio * width);
    stream.write(
      `\r[${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}%`,
    );
  };
}

/**
 * Runs the CLI; resolves with the exit code (0 ok, 2 bad configuration, 1 a reading or
 * checkpoint error after start-up).
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2));
 */
export async function main(argv: string[], io: Partial<CliIo> = {}): Promise<number> {
  const stdin = io.stdin ?? process.stdin;
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const cmd = program()
    .exitOverride()
    .configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s) });
  try {
    cmd.parse(argv, { from: 'user' });
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    return code === 0 ? 0 : 2;
  }
  const opts = cmd.opts<CliOptions>();
  const files: string[] = cmd.args;
  let bridge: Bridge;
  let sink: SpanSink;
  let metricsServer: Awaited<ReturnType<typeof serveMetrics>> | undefined;
  const metrics = new BridgeMetrics();
  try {
    const parser = createParser({
      format: opts.format,
      logFormat: opts.logFormat,
      jsonMapping: jsonMapping(opts.jsonMapping),
    });
    const tls =
      opts.ca || opts.cert || opts.key
        ? {
            ca: readOption('--ca', opts.ca),
            cert: readOption('--cert', opts.cert),
            key: readOption('--key', opts.key),
          }
        : undefined;
    let endpoint = opts.endpoint ?? defaultEndpoint();
    try {
      endpoint = new URL(endpoint).toString();
    } catch (cause) {
      throw new BridgeError(BridgeErrorCode.BadOption, `--endpoint: not a URL: ${endpoint}`, { cause });
    }
    if (opts.dryRun) sink = createJsonLinesSink(stdout);
    else if (opts.exporter === 'tracer') {
      sink = createExporterSink(
        createOtlpExporter({
          endpoint,
          headers: headers(opts.header),
          ca: tls?.ca,
          cert: tls?.cert,
          key: tls?.key,
        }),
      );
    } else sink = createOtlpSink({ endpoint, headers: headers(opts.header), tls });
    bridge = new Bridge({
      parser,
      sink,
      metrics,
      container: opts.container,
      spans: { serviceName: opts.serviceName, namespaces: opts.namespace },
      checkpoint: Checkpoint.load(opts.checkpoint),
      batchLines: Math.max(1, opts.batchLines),
      pollIntervalMs: Math.max(10, opts.pollInterval),
      backoff: { initialMs: Math.min(500, opts.retryMax), maxMs: opts.retryMax },
      log: opts.quiet ? undefined : (m) => stderr.write(`crosstrace-nginx-bridge: ${m}\n`),
    });
    if (opts.metricsPort !== undefined) {
      metricsServer = await serveMetrics(metrics, { port: opts.metricsPort, host: opts.metricsHost });
    }
  } catch (err) {
    const e = err as { code?: string; message?: string };
    stderr.write(
      `crosstrace-nginx-bridge: error ${e.code ?? BridgeErrorCode.BadOption}: ${e.message ?? String(err)}\n`,
    );
    return 2;
  }
  const onSignal = () => bridge.stop();
  if (io.signals !== false) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  const started = Date.now();
  let exitCode = 0;
  io.onStart?.(bridge, { metricsPort: metricsServer?.port });
  const progress = !opts.quiet && stderr.isTTY && opts.fromBeginning ? progressBar(stderr) : undefined;
  try {
    const useStdin = files.length === 0 || (files.length === 1 && files[0] === '-');
    if (useStdin) await bridge.readStream(stdin);
    else {
      await bridge.follow(files, {
        fromBeginning: opts.fromBeginning === true,
        once: opts.fromBeginning === true && opts.follow !== true,
        onProgress: progress,
      });
    }
  } catch (err) {
    // Reading or checkpointing failed after start-up: stop cleanly, the checkpoint stays valid.
    exitCode = 1;
    stderr.write(
      `crosstrace-nginx-bridge: error ${(err as BridgeError).code ?? BridgeErrorCode.ReadFailed}: ${(err as Error).message ?? String(err)}\n`,
    );
  } finally {
    if (progress) stderr.write('\n');
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await sink.shutdown().catch(() => undefined);
    await new Promise<void>((resolve) =>
      metricsServer ? metricsServer.server.close(() => resolve()) : resolve(),
    );
  }
  stderr.write(`${formatSummary(metrics.counts, Date.now() - started)}\n`);
  return exitCode;
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`crosstrace-nginx-bridge: ${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
