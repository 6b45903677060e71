import t from 'tap';
import { ApiClient, ApiError } from '../src/api/client.js';

function memoryStorage() {
  const m = new Map<string, string>();
  return {
    getItem: (k: string) => m.get(k) ?? null,
    setItem: (k: string, v: string) => void m.set(k, v),
    removeItem: (k: string) => void m.delete(k),
  };
}

t.test('asks for the token once on 401, then sends it on every call', async (t) => {
  const seen: (string | undefined)[] = [];
  const fakeFetch = (async (_url: string, init?: RequestInit) => {
    const auth = (init?.headers as Record<string, string> | undefined)?.authorization;
    seen.push(auth);
    if (auth !== 'Bearer s3cret')
      return new Response(JSON.stringify({ error: 'missing bearer token' }), { status: 401 });
    return new Response(JSON.stringify({ services: ['a'] }), { status: 200 });
  }) as typeof fetch;
  let asked = 0;
  const api = new ApiClient({
    storage: memoryStorage(),
    fetch: fakeFetch,
    askToken: async () => {
      asked++;
      await new Promise((r) => setTimeout(r, 10));
      return 's3cret';
    },
  });
  const [a, b] = await Promise.all([api.get('/api/v3/services'), api.get('/api/v3/services')]);
  t.same(a, { services: ['a'] });
  t.same(b, { services: ['a'] });
  t.equal(asked, 1, 'concurrent refusals share one prompt');
  await api.get('/api/v3/services');
  t.equal(seen.at(-1), 'Bearer s3cret');
  t.equal(api.token, 's3cret');
});

t.test('errors carry the API message; a cancelled prompt is a 401 error', async (t) => {
  const api = new ApiClient({
    storage: memoryStorage(),
    fetch: (async () =>
      new Response(
        JSON.stringify({ data: null, errors: [{ code: 400, msg: "parameter 'service' is required" }] }),
        {
          status: 400,
        },
      )) as typeof fetch,
    askToken: async () => undefined,
  });
  await t.rejects(api.get('/api/traces'), {
    status: 400,
    message: "parameter 'service' is required (HTTP 400)",
  });
  const refused = new ApiClient({
    storage: memoryStorage(),
    fetch: (async () => new Response('', { status: 401 })) as typeof fetch,
    askToken: async () => undefined,
  });
  const e = await refused.get('/api/services').catch((err: unknown) => err);
  t.ok(e instanceof ApiError && e.status === 401, 'a refused prompt is an ApiError 401');
  const v3 = new ApiClient({
    storage: memoryStorage(),
    fetch: (async () =>
      new Response(JSON.stringify({ error: { httpCode: 404, message: 'trace not found' } }), {
        status: 404,
      })) as typeof fetch,
    askToken: async () => undefined,
  });
  await t.rejects(v3.get('/api/v3/traces/1'), { message: 'trace not found (HTTP 404)' });
});
