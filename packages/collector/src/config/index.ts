export type { LoadConfigOptions } from './load-config.js';
export { loadConfig, parseSize, resolveConfig } from './load-config.js';
export type { CollectorConfig, ConfigField, FieldKind } from './schema.js';
export { CONFIG_FIELDS, ConfigSchema, createDefaultConfig } from './schema.js';
