import type { InstrumentationScope } from '@opentelemetry/core';
import { VERSION } from '../version.js';

/** The instrumentation scope of the bridge's spans. */
export const SCOPE: InstrumentationScope = Object.freeze({
  name: '@crosstrace/nginx-log-bridge',
  version: VERSION,
});
