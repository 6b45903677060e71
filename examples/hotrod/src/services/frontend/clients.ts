import type { Customer } from '../customer/customers.js';
import type { Route } from '../route/server.js';

/** A 4xx/5xx answer of a downstream service; the frontend passes the status on. */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    body: string,
  ) {
    super(body.trim() || `HTTP ${status}`);
    this.name = 'HttpStatusError';
  }
}

/** The original's `GetJSON`: GET, ≥ 400 → HttpStatusError with the body, else the JSON. */
export async function getJson<T>(fetchFn: typeof fetch, url: string): Promise<T> {
  const res = await fetchFn(url);
  if (res.status >= 400) throw new HttpStatusError(res.status, await res.text());
  return (await res.json()) as T;
}

/** HTTP client of the customer service. */
export class CustomerClient {
  constructor(
    private readonly fetchFn: typeof fetch,
    private readonly base: string,
  ) {}

  get(customerId: number): Promise<Customer> {
    return getJson<Customer>(this.fetchFn, `${this.base}/customer?customer=${customerId}`);
  }
}

/** HTTP client of the route service. */
export class RouteClient {
  constructor(
    private readonly fetchFn: typeof fetch,
    private readonly base: string,
  ) {}

  findRoute(pickup: string, dropoff: string): Promise<Route> {
    const q = new URLSearchParams({ dropoff, pickup });
    return getJson<Route>(this.fetchFn, `${this.base}/route?${q}`);
  }
}
