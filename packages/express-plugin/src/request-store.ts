import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import type { Span } from '@opentelemetry/api';

// Where a request's trace lives, without adding a property to `req`.
//
// Express (4 and 5) moves every request onto its own prototype (`Object.setPrototypeOf(req,
// app.request)`). On Node 20's V8, a property added to such an object afterwards copies its
// property backing store, per request: about 2–3 µs for one symbol property in profiles. A
// WeakMap costs more (its ephemeron table slows every scavenge). So the state hangs off the
// request's socket, which is never re-prototyped and serves many requests over keep-alive: a
// short list (one entry, more only for pipelined requests) whose head is added once per
// connection. `req.span` is an accessor on Express's shared request prototype
// (`express.request`, its documented extension point) that looks the state up. Requests without
// a `net.Socket` (hand-made or exotic ones) keep one own symbol property instead.

/** What is kept per request (the plugin's RequestTrace). */
export interface RequestState {
  readonly span: Span;
  readonly req: IncomingMessage;
  /** True once the request's span ended; ended states are pruned when the socket gets a new request. */
  readonly ended: boolean;
  /** The older state on the same socket (pipelined requests), or undefined. */
  nextOnSocket: RequestState | undefined;
  /** The socket closed: end as aborted unless the response had finished. */
  socketClosed(): void;
  /** node:http finished the response (see response-finish.ts). */
  responseFinished(): void;
}

/** The request's {@link RequestState} when it has no socket to hang it on. */
export const kState: unique symbol = Symbol('crosstrace.request-state');
/** The newest state of the requests on a socket (undefined before the first), linked to the older ones. */
const kSocketStates: unique symbol = Symbol('crosstrace.socket-states');

interface StatefulRequest {
  [kState]?: RequestState;
}

interface StatefulSocket {
  [kSocketStates]?: RequestState;
}

const incomingPrototype: object = IncomingMessage.prototype;
/** Prototypes that carry this module's `span` accessor. */
const withAccessor = new WeakSet<object>();
/** The request prototype seen last and whether its chain has the accessor (one app: always a hit). */
let lastPrototype: object | null = null;
let lastHasAccessor = false;

function spanAccessor(this: IncomingMessage): Span | undefined {
  return requestState(this)?.span;
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

function onSocketClose(this: StatefulSocket): void {
  // the list stays: getRequestSpan() still answers for these requests
  for (let s = this[kSocketStates]; s !== undefined; s = s.nextOnSocket) s.socketClosed();
}

/** Links `state` in front of the socket's live states, dropping the ended ones. */
function pushOnSocket(socket: Socket & StatefulSocket, state: RequestState): void {
  const head = socket[kSocketStates];
  if (head === undefined) socket.once('close', onSocketClose);
  let live: RequestState | undefined;
  let tail: RequestState | undefined;
  for (let s = head; s !== undefined; s = s.nextOnSocket) {
    if (s.ended) continue;
    if (tail === undefined) live = s;
    else tail.nextOnSocket = s;
    tail = s;
  }
  if (tail !== undefined) tail.nextOnSocket = undefined;
  state.nextOnSocket = live;
  socket[kSocketStates] = state;
}

/**
 * Remembers the request's state and exposes its span as `req.span`. Returns true when the state
 * hangs off the request's socket, whose `close` then reaches {@link RequestState.socketClosed}.
 * Never throws. `socket` is `req.socket`, when the caller has read it already.
 */
export function storeRequestState(
  req: IncomingMessage,
  state: RequestState,
  socket: unknown = (req as { socket?: unknown }).socket,
): boolean {
  let onSocket = false;
  try {
    if (socket instanceof Socket) {
      pushOnSocket(socket, state);
      onSocket = true;
    } else {
      (req as StatefulRequest)[kState] = state;
    }
  } catch {
    return false; // a frozen or exotic request: not traced further
  }
  const proto: object | null = Object.getPrototypeOf(req);
  if (proto !== lastPrototype) {
    lastPrototype = proto;
    lastHasAccessor = proto !== null && proto !== incomingPrototype && accessorHost(proto);
  }
  if (lastHasAccessor && !Object.hasOwn(req, 'span')) return onSocket;
  try {
    (req as { span?: Span }).span = state.span;
  } catch {
    // a frozen or exotic request: the span stays reachable through getRequestSpan()
  }
  return onSocket;
}

/**
 * The state stored for `req` by {@link storeRequestState}, or undefined. `socket` is `req.socket`,
 * when the caller has it: on Node 22 each Express request has a hidden class of its own, so every
 * property read from `req` misses the inline caches and is looked up at run time.
 */
export function requestState(
  req: object,
  socket: unknown = (req as { socket?: unknown }).socket,
): RequestState | undefined {
  if (socket !== undefined && socket !== null) {
    for (let s = (socket as StatefulSocket)[kSocketStates]; s !== undefined; s = s.nextOnSocket) {
      if (s.req === req) return s;
    }
    // A request on a net.Socket has its state there or none (see storeRequestState): its own
    // symbol property is not looked up, a read that misses the inline caches on every Express
    // request (each has a hidden class of its own on Node 20).
    if (socket instanceof Socket) return undefined;
  }
  return (req as StatefulRequest)[kState];
}
