// A container's crosstrace-collector arguments read the way the CLI reads them: every `--flag` must
// be one of the collector's options, values are coerced and validated by its own loadConfig.
import { CONFIG_FIELDS, type CollectorConfig, loadConfig } from '@crosstrace/collector';
import { type K8sObject, literalEnv } from './render.js';

const BY_FLAG = new Map(CONFIG_FIELDS.map((f) => [f.flag, f]));

/** Flags of the args (`--name=value`, or `--name` for booleans) by config key; throws on an unknown flag. */
export function flagsOf(args: readonly string[]): Record<string, string> {
  const flags: Record<string, string> = {};
  for (const a of args) {
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/s.exec(a);
    if (m === null) throw new Error(`not a --flag: ${a}`);
    const field = BY_FLAG.get(m[1]);
    if (field === undefined) throw new Error(`--${m[1]} is not a crosstrace-collector option`);
    if (m[2] === undefined && field.kind !== 'bool') throw new Error(`--${m[1]} needs a value (--${m[1]}=…)`);
    flags[field.key] = m[2] ?? 'true';
  }
  return flags;
}

/** The configuration a collector container starts with (env values from Secrets stand in as given). */
export function configOf(c: K8sObject, secretValues: Record<string, string> = {}): Readonly<CollectorConfig> {
  const env: NodeJS.ProcessEnv = { ...literalEnv(c) };
  for (const e of c.env ?? [])
    if (e.valueFrom?.secretKeyRef)
      env[e.name] = secretValues[`${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`];
    else if (e.valueFrom?.fieldRef) env[e.name] = `fieldRef:${e.valueFrom.fieldRef.fieldPath}`;
  for (const k of Object.keys(env)) if (!k.startsWith('CROSSTRACE_')) delete env[k];
  return loadConfig({ flags: flagsOf(c.args ?? []), env });
}
