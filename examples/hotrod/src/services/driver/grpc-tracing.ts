// gRPC spans as OpenTelemetry's gRPC instrumentation makes them (name `package.Service/Method`,
// `rpc.*` attributes, W3C context in the metadata), with the tracer of the service.
import * as grpc from '@grpc/grpc-js';
import {
  type Context,
  context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  type Tracer,
  trace,
} from '@opentelemetry/api';

const metadataSetter: TextMapSetter<grpc.Metadata> = {
  set(carrier, key, value) {
    carrier.set(key, value);
  },
};

const metadataGetter: TextMapGetter<grpc.Metadata> = {
  keys(carrier) {
    return Object.keys(carrier.getMap());
  },
  get(carrier, key) {
    const v = carrier.get(key);
    if (v.length === 0) return undefined;
    return v.map((x) => (typeof x === 'string' ? x : x.toString('utf8')));
  },
};

function rpcAttributes(path: string): { name: string; service: string; method: string } {
  const name = path.startsWith('/') ? path.slice(1) : path;
  const slash = name.lastIndexOf('/');
  return { name, service: name.slice(0, slash), method: name.slice(slash + 1) };
}

function endWithStatus(span: Span, code: grpc.status, details: string): void {
  span.setAttribute('rpc.grpc.status_code', code);
  if (code !== grpc.status.OK) span.setStatus({ code: SpanStatusCode.ERROR, message: details });
  span.end();
}

/**
 * A client interceptor: one CLIENT span per call, child of the context active when the call was
 * made, its context injected into the call's metadata.
 */
export function clientTracingInterceptor(
  tracer: Tracer,
  propagator: TextMapPropagator,
  target: { host: string; port: number },
): grpc.Interceptor {
  return (options, nextCall) => {
    const parent = context.active();
    const rpc = rpcAttributes(options.method_definition.path);
    const span = tracer.startSpan(
      rpc.name,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'rpc.system': 'grpc',
          'rpc.service': rpc.service,
          'rpc.method': rpc.method,
          'server.address': target.host,
          'server.port': target.port,
        },
      },
      parent,
    );
    return new grpc.InterceptingCall(nextCall(options), {
      start(metadata, _listener, next) {
        propagator.inject(trace.setSpan(parent, span), metadata, metadataSetter);
        next(
          metadata,
          new grpc.ListenerBuilder()
            .withOnReceiveStatus((status, nextStatus) => {
              endWithStatus(span, status.code, status.details);
              nextStatus(status);
            })
            .build(),
        );
      },
    });
  };
}

type UnaryHandler<Req, Res> = (
  call: grpc.ServerUnaryCall<Req, Res>,
  callback: grpc.sendUnaryData<Res>,
) => void;

/**
 * Wraps a unary handler: a SERVER span per call from the context in the call's metadata, active
 * while the handler runs (so its spans nest under it).
 */
export function traceUnary<Req, Res>(
  tracer: Tracer,
  propagator: TextMapPropagator,
  path: string,
  handler: UnaryHandler<Req, Res>,
): UnaryHandler<Req, Res> {
  const rpc = rpcAttributes(path);
  return (call, callback) => {
    const parent: Context = propagator.extract(ROOT_CONTEXT, call.metadata, metadataGetter);
    const span = tracer.startSpan(
      rpc.name,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'rpc.system': 'grpc',
          'rpc.service': rpc.service,
          'rpc.method': rpc.method,
          'network.peer.address': call.getPeer(),
        },
      },
      parent,
    );
    const done: grpc.sendUnaryData<Res> = (err, value) => {
      if (err) {
        const e = err as Partial<grpc.ServiceError>;
        const details = e.details ?? e.message ?? '';
        span.recordException(err instanceof Error ? err : details);
        endWithStatus(span, e.code ?? grpc.status.UNKNOWN, details);
      } else endWithStatus(span, grpc.status.OK, '');
      callback(err, value);
    };
    context.with(trace.setSpan(parent, span), () => handler(call, done));
  };
}
