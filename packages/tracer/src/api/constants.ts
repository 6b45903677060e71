import { VERSION } from '../version.js';

/** The link attribute that keeps an OpenTracing reference's type (`child_of` | `follows_from`). */
export const REF_TYPE_ATTRIBUTE = 'opentracing.ref_type';

/** The values of {@link REF_TYPE_ATTRIBUTE}, as in OpenTracing. */
export const RefType = {
  ChildOf: 'child_of',
  FollowsFrom: 'follows_from',
} as const;

export type RefType = (typeof RefType)[keyof typeof RefType];

/** The instrumentation scope name of spans started through the OpenTracing API. */
export const TRACER_NAME = '@crosstrace/tracer';
/** The version of `@crosstrace/tracer` (its instrumentation scope and `telemetry.sdk.version`). */
export const TRACER_VERSION: string = VERSION;
