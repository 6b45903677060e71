// The one way the UI talks to the collector: same origin, JSON, and the query token (when the
// collector asks for one) sent as `Authorization: Bearer` on every call. The token is asked once
// and kept in sessionStorage, so it lives as long as the tab.

const TOKEN_KEY = 'crosstrace.queryToken';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The error text of a Jaeger legacy, v3 or Fastify error body. */
function errorText(status: number, body: unknown): string {
  const b = body as {
    errors?: { msg?: string }[];
    error?: { message?: string } | string;
    message?: string;
  } | null;
  const msg =
    b?.errors?.[0]?.msg ??
    (typeof b?.error === 'object' ? b.error?.message : b?.error) ??
    b?.message ??
    undefined;
  return msg ? `${msg} (HTTP ${status})` : `HTTP ${status}`;
}

export interface ApiClientOptions {
  /** Asks the user for the token; resolves undefined when they cancel. */
  askToken: (reason: string) => Promise<string | undefined>;
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
  fetch?: typeof fetch;
}

export class ApiClient {
  readonly #askToken: ApiClientOptions['askToken'];
  readonly #storage: ApiClientOptions['storage'];
  readonly #fetch: typeof fetch;
  #asking: Promise<string | undefined> | undefined;

  constructor(opts: ApiClientOptions) {
    this.#askToken = opts.askToken;
    this.#storage = opts.storage;
    this.#fetch = opts.fetch ?? fetch.bind(globalThis);
  }

  get token(): string | undefined {
    return this.#storage?.getItem(TOKEN_KEY) ?? undefined;
  }

  set token(value: string | undefined) {
    if (value === undefined || value === '') this.#storage?.removeItem(TOKEN_KEY);
    else this.#storage?.setItem(TOKEN_KEY, value);
  }

  /** GETs `path` (with `params`, empty values dropped) as JSON. */
  async get<T>(path: string, params?: Record<string, string | number | undefined>): Promise<T> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(params ?? {})) if (v !== undefined && v !== '') qs.set(k, String(v));
    const url = qs.size > 0 ? `${path}?${qs}` : path;
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { accept: 'application/json' };
      const token = this.token;
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      const res = await this.#fetch(url, { headers });
      if (res.status === 401 && attempt < 3) {
        const next = await this.#ask(
          token === undefined ? 'This collector asks for a query token.' : 'The token was refused.',
        );
        if (next === undefined) throw new ApiError(401, 'a query token is required');
        this.token = next;
        continue;
      }
      const text = await res.text();
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = undefined;
      }
      if (!res.ok) throw new ApiError(res.status, errorText(res.status, body));
      return body as T;
    }
  }

  /** One prompt at a time: concurrent 401s share it. */
  #ask(reason: string): Promise<string | undefined> {
    this.#asking ??= this.#askToken(reason).finally(() => {
      this.#asking = undefined;
    });
    return this.#asking;
  }
}
