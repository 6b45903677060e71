#!/usr/bin/env node
// crosstrace-collector: flags > CROSSTRACE_* env > --config YAML > defaults.
import { Command, Option } from 'commander';
import { build } from './build.js';
import { CONFIG_FIELDS, type CollectorConfig, createDefaultConfig, loadConfig } from './config/index.js';
import { isCollectorError } from './errors.js';
import { importFiles } from './import/index.js';
import { VERSION } from './version.js';

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

function addConfigOptions(cmd: Command): Command {
  const defaults = createDefaultConfig() as unknown as Record<string, unknown>;
  for (const f of CONFIG_FIELDS) {
    const d = defaults[f.key];
    const shown = d === undefined || (Array.isArray(d) && d.length === 0) ? '' : ` (default: ${String(d)})`;
    const desc = `${f.description}${shown} [env ${f.env}]`;
    const opt = f.kind === 'bool' ? new Option(`--${f.flag}`, desc) : new Option(`--${f.flag} <value>`, desc);
    cmd.addOption(opt);
    // a switch that is on by default can be turned off; with both forms commander sets no default
    if (f.kind === 'bool' && d === true) cmd.addOption(new Option(`--no-${f.flag}`, `turn off --${f.flag}`));
  }
  cmd.option(
    '--config <file>',
    'YAML file with any of these options (camelCase or flag names) [env CROSSTRACE_CONFIG]',
  );
  return cmd;
}

function configFrom(opts: Record<string, unknown>): Readonly<CollectorConfig> {
  const flags: Record<string, unknown> = {};
  for (const f of CONFIG_FIELDS) {
    const v = opts[camel(f.flag)];
    if (v !== undefined) flags[f.key] = f.kind === 'bool' ? String(v) : v;
  }
  const file = (opts.config as string | undefined) ?? process.env.CROSSTRACE_CONFIG;
  return loadConfig({ flags, env: process.env, file: file === '' ? undefined : file });
}

/** The storage setting without a password (a PostgreSQL URL may carry one). */
function redactStorage(storage: string): string {
  if (!/^postgres(ql)?:\/\//.test(storage)) return storage;
  try {
    const u = new URL(storage);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

function fail(err: unknown): never {
  const msg = isCollectorError(err)
    ? `${err.code}: ${err.message}`
    : err instanceof Error
      ? err.message
      : String(err);
  process.stderr.write(`crosstrace-collector: ${msg}\n`);
  process.exit(1);
}

async function run(opts: Record<string, unknown>): Promise<void> {
  let config: Readonly<CollectorConfig>;
  try {
    config = configFrom(opts);
  } catch (err) {
    fail(err);
  }
  const collector = await build(config).catch(fail);
  const ports = await collector.listen().catch(async (err) => {
    await collector.close().catch(() => {});
    fail(err);
  });
  const scheme = config.tlsCert === undefined ? 'http' : 'https';
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  process.stdout.write(`otlp-http listening on ${scheme}://${host}:${ports.otlpHttpPort}\n`);
  if (ports.otlpGrpcPort !== undefined) {
    process.stdout.write(
      `otlp-grpc listening on ${config.tlsCert === undefined ? 'grpc' : 'grpcs'}://${host}:${ports.otlpGrpcPort}\n`,
    );
  }
  process.stdout.write(`query listening on ${scheme}://${host}:${ports.queryPort}\n`);
  if (config.mode === 'agent')
    process.stdout.write(
      `agent: forwarding to ${config.gatewayDns ?? config.gateways.join(',')} (queue ${config.queuePath})\n`,
    );
  else {
    process.stdout.write(`storage ${redactStorage(config.storage)}\n`);
    if (config.controlPlaneStorage !== undefined)
      process.stdout.write(`control-plane state ${redactStorage(config.controlPlaneStorage)}\n`);
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      process.stderr.write(`crosstrace-collector: ${signal} again, exiting now\n`);
      process.exit(1);
    }
    stopping = true;
    collector.close().then(
      () => process.exit(0),
      (err) => {
        process.stderr.write(`crosstrace-collector: shutdown failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function runImport(files: string[], opts: Record<string, unknown>): Promise<void> {
  let config: Readonly<CollectorConfig>;
  try {
    config = configFrom(opts);
  } catch (err) {
    fail(err);
  }
  const collector = await build(config).catch(fail);
  try {
    const result = await importFiles(files, {
      pipeline: collector.pipeline,
      controlPlane: collector.controlPlane,
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } catch (err) {
    await collector.close().catch(() => {});
    fail(err);
  }
  await collector.close();
}

const program = addConfigOptions(
  new Command('crosstrace-collector')
    .description(
      'Receives OTLP traces (HTTP 4318, gRPC 4317), stores them in SQLite or PostgreSQL, serves a Jaeger-compatible API (16686); --mode agent forwards to gateways.',
    )
    .version(VERSION)
    .showHelpAfterError(),
).action((opts: Record<string, unknown>) => run(opts));

addConfigOptions(
  program
    .command('import')
    .description('import Kubernetes files (kubectl -o json|yaml, watch streams, audit logs) into the store')
    .argument('<files...>', 'files to import'),
).action((files: string[], _opts: Record<string, unknown>, cmd: Command) =>
  // Options given after `import` are parsed by the program too (commander's global options).
  runImport(files, cmd.optsWithGlobals()),
);

program.parseAsync(process.argv).catch(fail);
