import { contextWithValue, SPAN_KEY } from '@crosstrace/tracer/api';
import type { Context, Span } from '@opentelemetry/api';
import { REQUEST_SCOPE_KEY, type RequestScope } from './tracer-source.js';

// `trace.setSpan(parent, span).setValue(REQUEST_SCOPE_KEY, scope)` copies the parent's Map twice
// (two BaseContexts, two Maps per request). These immutable contexts are one small object each;
// a lookup walks the short chain. SPAN_KEY is the key `@opentelemetry/api` stores the active span
// under (`Symbol.for`, shared by every API copy).

/** The active context of a traced request: the parent (extracted) context plus the server span and the request scope. */
export class RequestContext implements Context {
  private readonly parent: Context;
  private readonly span: Span;
  private readonly scope: RequestScope;

  constructor(parent: Context, span: Span, scope: RequestScope) {
    this.parent = parent;
    this.span = span;
    this.scope = scope;
  }

  getValue(key: symbol): unknown {
    if (key === SPAN_KEY) return this.span;
    if (key === REQUEST_SCOPE_KEY) return this.scope;
    return this.parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return contextWithValue(this, key, value);
  }

  deleteValue(key: symbol): Context {
    return contextWithValue(this, key, undefined);
  }
}
