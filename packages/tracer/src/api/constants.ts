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
export const TRACER_VERSION = '0.1.0';
