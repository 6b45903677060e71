import { readFileSync } from 'node:fs';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { CollectorErrorCode, createError } from '../errors.js';
import {
  CONFIG_FIELDS,
  type CollectorConfig,
  type ConfigField,
  ConfigSchema,
  createDefaultConfig,
} from './schema.js';

const SIZE = /^([0-9]+(?:\.[0-9]+)?)\s*(b|kb|kib|k|mb|mib|m|gb|gib|g|tb|tib|t)?$/i;
const UNITS: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

function configError(message: string): Error {
  return createError(CollectorErrorCode.Config, message, { statusCode: 400 });
}

/** Parses `64MiB`, `10GiB`, `1000000` into bytes; undefined when not a size. */
export function parseSize(value: string): number | undefined {
  const m = SIZE.exec(value.trim());
  if (m === null) return undefined;
  return Math.floor(Number(m[1]) * UNITS[(m[2] ?? 'b').toLowerCase()]);
}

function coerce(field: ConfigField, raw: unknown, source: string): unknown {
  const where = `${source} ${field.kind === 'bool' ? '' : ''}`.trim();
  if (typeof raw !== 'string') {
    if (field.kind === 'list' && Array.isArray(raw)) return raw.map(String);
    return raw;
  }
  switch (field.kind) {
    case 'int': {
      if (!/^-?[0-9]+$/.test(raw.trim())) throw configError(`${where}: '${raw}' is not an integer`);
      return Number(raw);
    }
    case 'size': {
      const n = parseSize(raw);
      if (n === undefined) throw configError(`${where}: '${raw}' is not a size (e.g. 64MiB)`);
      return n;
    }
    case 'bool': {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
      throw configError(`${where}: '${raw}' is not a boolean`);
    }
    case 'list':
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    default:
      return raw;
  }
}

const BY_KEY = new Map<string, ConfigField>(CONFIG_FIELDS.map((f) => [f.key, f]));
const BY_FLAG = new Map<string, ConfigField>(CONFIG_FIELDS.map((f) => [f.flag, f]));

function fromFile(path: string): Partial<CollectorConfig> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw configError(`--config: cannot read ${path}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw configError(`--config ${path}: invalid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw configError(`--config ${path}: expected a mapping`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    const field = BY_KEY.get(k) ?? BY_FLAG.get(k);
    if (field === undefined) throw configError(`--config ${path}: unknown option '${k}'`);
    out[field.key] = coerce(field, v, `--config ${path}: ${k}`);
  }
  return out as Partial<CollectorConfig>;
}

function fromEnv(env: NodeJS.ProcessEnv): Partial<CollectorConfig> {
  const out: Record<string, unknown> = {};
  for (const field of CONFIG_FIELDS) {
    const v = env[field.env];
    if (v !== undefined && v !== '') out[field.key] = coerce(field, v, field.env);
  }
  return out as Partial<CollectorConfig>;
}

/**
 * Validates a (partial) configuration over the defaults and freezes it. Throws a
 * `CT_COLLECTOR_CONFIG` error naming the option.
 */
export function resolveConfig(partial: Partial<CollectorConfig> = {}): Readonly<CollectorConfig> {
  const merged: Record<string, unknown> = { ...createDefaultConfig() };
  for (const [k, v] of Object.entries(partial)) {
    if (v === undefined) continue;
    const field = BY_KEY.get(k);
    merged[k] = field === undefined ? v : coerce(field, v, `--${field.flag}`);
  }
  if (!Value.Check(ConfigSchema, merged)) {
    const first = [...Value.Errors(ConfigSchema, merged)][0];
    const key = first?.path.replace(/^\//, '').split('/')[0] ?? '';
    const field = BY_KEY.get(key);
    const name = field ? `--${field.flag} (${field.env})` : key === '' ? 'config' : `'${key}'`;
    const value = key !== '' ? JSON.stringify(merged[key]) : '';
    throw configError(`${name}: ${first?.message ?? 'invalid'}${value ? ` (got ${value})` : ''}`);
  }
  const c = merged as CollectorConfig;
  if ((c.tlsCert === undefined) !== (c.tlsKey === undefined)) {
    throw configError('--tls-cert and --tls-key go together');
  }
  if (c.tlsClientAuth && (c.tlsCa === undefined || c.tlsCert === undefined)) {
    throw configError('--tls-client-auth needs --tls-ca, --tls-cert and --tls-key');
  }
  if (c.tlsAllowedSubjects.length > 0 && !c.tlsClientAuth) {
    throw configError('--tls-allowed-subjects needs --tls-client-auth');
  }
  if (c.mode === 'agent') {
    if (c.gateways.length === 0 && c.gatewayDns === undefined)
      throw configError('--mode agent needs --gateways or --gateway-dns');
    if (c.otlpExportEndpoint !== undefined)
      throw configError('--otlp-export-endpoint is for a collector that stores (the gateways), not an agent');
  } else if (c.gateways.length > 0 || c.gatewayDns !== undefined) {
    throw configError('--gateways and --gateway-dns need --mode agent');
  }
  if (c.gateways.length > 0 && c.gatewayDns !== undefined)
    throw configError('--gateways and --gateway-dns exclude each other');
  if ((c.exporterTlsCert === undefined) !== (c.exporterTlsKey === undefined))
    throw configError('--exporter-tls-cert and --exporter-tls-key go together');
  if (c.leaderElection && !c.k8sWatch) throw configError('--leader-election needs --k8s-watch');
  return Object.freeze({
    ...c,
    tlsAllowedSubjects: Object.freeze([...c.tlsAllowedSubjects]) as string[],
    gateways: Object.freeze([...c.gateways]) as string[],
    otlpExportHeaders: Object.freeze([...c.otlpExportHeaders]) as string[],
  });
}

export interface LoadConfigOptions {
  /** Options given on the command line, by config key (strings are coerced). */
  flags?: Partial<Record<keyof CollectorConfig, unknown>>;
  /** Environment (CROSSTRACE_*); defaults to none. */
  env?: NodeJS.ProcessEnv;
  /** YAML file path (--config). */
  file?: string;
}

/**
 * Defaults < YAML file < environment < flags; validated and frozen.
 *
 * @example
 * const config = loadConfig({ flags: { otlpHttpPort: '0' }, env: process.env });
 */
export function loadConfig(options: LoadConfigOptions = {}): Readonly<CollectorConfig> {
  const file = options.file === undefined ? {} : fromFile(options.file);
  const env = options.env === undefined ? {} : fromEnv(options.env);
  const flags: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options.flags ?? {})) {
    if (v === undefined) continue;
    const field = BY_KEY.get(k);
    if (field === undefined) throw configError(`unknown option '${k}'`);
    flags[k] = coerce(field, v, `--${field.flag}`);
  }
  return resolveConfig({ ...file, ...env, ...flags } as Partial<CollectorConfig>);
}
