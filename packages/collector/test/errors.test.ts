import t from 'tap';
import { CollectorError, CollectorErrorCode, createError, isCollectorError } from '../src/index.js';

t.test('the error codes are a stable contract', async (t) => {
  // Clients and dashboards match on these strings: a rename here is a breaking change.
  t.same(Object.values(CollectorErrorCode).sort(), [
    'CT_COLLECTOR_BAD_REQUEST',
    'CT_COLLECTOR_CONFIG',
    'CT_COLLECTOR_CONTROLPLANE_OPEN',
    'CT_COLLECTOR_CONTROLPLANE_WRITE',
    'CT_COLLECTOR_IMPORT_READ',
    'CT_COLLECTOR_K8S_BAD_BODY',
    'CT_COLLECTOR_K8S_INTERNAL',
    'CT_COLLECTOR_NO_GATEWAY',
    'CT_COLLECTOR_PAYLOAD_TOO_LARGE',
    'CT_COLLECTOR_QUEUE_FULL',
    'CT_COLLECTOR_QUEUE_OPEN',
    'CT_COLLECTOR_SHUTTING_DOWN',
    'CT_COLLECTOR_STITCH_FAILED',
    'CT_COLLECTOR_STORAGE_UNAVAILABLE',
    'CT_COLLECTOR_STORE_CLOSED',
    'CT_COLLECTOR_STORE_OPEN',
    'CT_COLLECTOR_STORE_WRITE',
    'CT_COLLECTOR_UNAVAILABLE',
    'CT_COLLECTOR_UNSUPPORTED_ENCODING',
  ]);
});

t.test('createError carries the code, the status, Retry-After and the cause', async (t) => {
  const cause = new Error('disk full');
  const err = createError(CollectorErrorCode.QueueFull, 'queue is full', {
    statusCode: 503,
    retryAfterSeconds: 2,
    cause,
  });
  t.ok(err instanceof CollectorError);
  t.ok(isCollectorError(err));
  t.equal(err.code, 'CT_COLLECTOR_QUEUE_FULL');
  t.equal(err.statusCode, 503);
  t.equal(err.retryAfterSeconds, 2);
  t.equal(err.cause, cause);
  t.ok(err.retryable, '503 is retryable');
  const permanent = createError(CollectorErrorCode.BadRequest, 'bad body', { statusCode: 400 });
  t.notOk(permanent.retryable, '400 is the sender to fix');
  t.equal(createError(CollectorErrorCode.Unavailable, 'x').statusCode, 500, 'defaults to 500');
  t.notOk(isCollectorError(new Error('plain')));
});
