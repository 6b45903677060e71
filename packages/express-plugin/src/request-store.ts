import { IncomingMessage } from 'node:http';
import type { Span } from '@opentelemetry/api';

// Where a request's trace lives, with as few own properties on `req` as possible.
//
// Express (4 and 5) moves every request onto its own prototype (`Object.setPrototypeOf(req,
// app.request)`). On Node 20's V8 an object whose prototype was changed that way gets a fresh
// hidden class (map + descriptor array copy, in old space) for every property added afterwards,
// per request: each of `req[kTrace] = …` and `req.span = …` cost about 2.5 µs. A WeakMap instead
// costs more (its ephemeron table slows every scavenge: ~8 µs/request in A/B runs). So the private
// state is one symbol property (Fastify's habit), and `req.span` is an accessor on Express's shared
// request prototype (`express.request`, its documented extension point) that reads it.
// Requests whose prototype is still `IncomingMessage.prototype` (Connect, `node:http`) keep
// stable hidden classes and get a plain own `span` property, as before.

/** What is kept per request (the plugin's RequestTrace). */
export interface RequestState {
  readonly span: Span;
}

/** The request's {@link RequestState}. */
export const kState: unique symbol = Symbol('crosstrace.request-state');

interface StatefulRequest {
  [kState]?: RequestState;
}

const incomingPrototype: object = IncomingMessage.prototype;
/** Prototypes that carry this module's `span` accessor. */
const withAccessor = new WeakSet<object>();
/** The request prototype seen last and whether its chain has the accessor (one app: always a hit). */
let lastPrototype: object | null = null;
let lastHasAccessor = false;

function spanAccessor(this: StatefulRequest): Span | undefined {
  return this[kState]?.span;
}

function setOwnSpan(this: object, value: unknown): void {
  // `req.span = x` by the app: an own property, as on a plain object
  Object.defineProperty(this, 'span', { value, writable: true, enumerable: true, configurable: true });
}

/**
 * Installs the accessor on the object just below `IncomingMessage.prototype` in the chain
 * (Express's shared `request`). False when the chain is not an Express-like one or `span` is
 * already taken there by someone else.
 */
function accessorHost(proto: object): boolean {
  let host: object | null = proto;
  for (let depth = 0; host !== null && depth < 8; depth++) {
    const next: object | null = Object.getPrototypeOf(host);
    if (next === incomingPrototype) {
      if (withAccessor.has(host)) return true;
      if (Object.hasOwn(host, 'span')) return false;
      Object.defineProperty(host, 'span', {
        get: spanAccessor,
        set: setOwnSpan,
        enumerable: false,
        configurable: true,
      });
      withAccessor.add(host);
      return true;
    }
    host = next;
  }
  return false;
}

/** Remembers the request's state and exposes its span as `req.span`. Never throws. */
export function storeRequestState(req: IncomingMessage, state: RequestState): void {
  try {
    (req as StatefulRequest)[kState] = state;
  } catch {
    return; // a frozen or exotic request: not traced further
  }
  const proto: object | null = Object.getPrototypeOf(req);
  if (proto !== lastPrototype) {
    lastPrototype = proto;
    lastHasAccessor = proto !== null && proto !== incomingPrototype && accessorHost(proto);
  }
  if (lastHasAccessor && !Object.hasOwn(req, 'span')) return;
  try {
    (req as { span?: Span }).span = state.span;
  } catch {
    // a frozen or exotic request: the span stays reachable through getRequestSpan()
  }
}

/** The state stored for `req` by {@link storeRequestState}, or undefined. */
export function requestState(req: object): RequestState | undefined {
  return (req as StatefulRequest)[kState];
}
