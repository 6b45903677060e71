import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { CUSTOMERS } from '../services/customer/customers.js';
import type { DemoCerts } from './certs.js';

/** One request the load generator made, as a browser would see it. */
export interface LoadResult {
  path: string;
  /** 0 when the connection failed */
  status: number;
  latencyMs: number;
  /** The trace id of the W3C `traceresponse` header, when present. */
  traceId?: string;
  /** `/dispatch`'s answer. */
  driver?: string;
  scheme: 'http' | 'https';
  /** Whether a client certificate was presented (mTLS). */
  clientCertificate: boolean;
  endedAt: number;
}

/** Options of {@link LoadGenerator}. */
export interface LoadOptions {
  host: string;
  httpPort: number;
  httpsPort: number;
  certs: DemoCerts;
  /** Concurrent browser sessions (default 4). */
  users?: number;
  /** Mean pause between a user's clicks (default 250 ms). */
  thinkMs?: number;
  onResult?: (r: LoadResult) => void;
}

const CUSTOMER_IDS = [...CUSTOMERS.keys()];
const TRACE_RESPONSE =
  /^\s?(?!ff)[\da-f]{2}-((?![0]{32})[\da-f]{32})-(?![0]{16})[\da-f]{16}-[\da-f]{2}(-.*)?\s?$/;

/**
 * Browser sessions clicking the page's buttons through the ingress: each loads the page and its
 * `/config`, then dispatches cars for random customers with the page's `baggage` header
 * (`session`, `request`). A quarter of the sessions use HTTPS with a client certificate (mTLS), a
 * quarter HTTPS without one, the rest plain HTTP; all keep their connections alive.
 */
export class LoadGenerator {
  readonly results: LoadResult[] = [];
  private running = false;
  private users: Promise<void>[] = [];
  private readonly agents: { http: HttpAgent; https: HttpsAgent; mtls: HttpsAgent };

  constructor(private readonly options: LoadOptions) {
    const ca = readFileSync(options.certs.caCert);
    this.agents = {
      http: new HttpAgent({ keepAlive: true }),
      https: new HttpsAgent({ keepAlive: true, ca, servername: 'hotrod.local' }),
      mtls: new HttpsAgent({
        keepAlive: true,
        ca,
        servername: 'hotrod.local',
        cert: readFileSync(options.certs.clientCert),
        key: readFileSync(options.certs.clientKey),
      }),
    };
  }

  /** Starts the sessions. */
  start(): void {
    if (this.running) return;
    this.running = true;
    const n = this.options.users ?? 4;
    for (let i = 0; i < n; i++) this.users.push(this.user(i));
  }

  /** Stops clicking; resolves when every request in flight has its answer. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.users);
    this.users = [];
    for (const a of Object.values(this.agents)) a.destroy();
  }

  private async user(index: number): Promise<void> {
    const kind = index % 4 === 0 ? 'mtls' : index % 4 === 1 ? 'https' : 'http';
    const clientId = randomInt(10_000);
    let clicks = 0;
    await this.get(kind, '/', {});
    await this.get(kind, `/config?nonse=${Math.random()}`, {});
    while (this.running) {
      const customer = CUSTOMER_IDS[randomInt(CUSTOMER_IDS.length)];
      const requestId = `${clientId}-${++clicks}`;
      const status = await this.get(kind, `/dispatch?customer=${customer}&nonse=${Math.random()}`, {
        baggage: `session=${clientId}, request=${requestId}`,
      });
      // after an error page a person looks a little longer before clicking again
      const think = (this.options.thinkMs ?? 250) * (status >= 500 || status === 0 ? 4 : 1);
      await sleep(think / 2 + Math.random() * think);
    }
  }

  /** One request; resolves with its status (0: no answer). */
  private get(
    kind: 'http' | 'https' | 'mtls',
    path: string,
    headers: Record<string, string>,
  ): Promise<number> {
    const o = this.options;
    const https = kind !== 'http';
    const started = performance.now();
    return new Promise((resolve) => {
      const done = (status: number, body: string, traceresponse: string | undefined) => {
        const result: LoadResult = {
          path: path.replace(/\?.*$/, ''),
          status,
          latencyMs: performance.now() - started,
          scheme: https ? 'https' : 'http',
          clientCertificate: kind === 'mtls',
          endedAt: Date.now(),
        };
        const m = TRACE_RESPONSE.exec(traceresponse ?? '');
        if (m) result.traceId = m[1];
        if (status === 200 && result.path === '/dispatch') {
          try {
            result.driver = (JSON.parse(body) as { Driver?: string }).Driver;
          } catch {
            // an answer that is not JSON: counted by its status only
          }
        }
        this.results.push(result);
        o.onResult?.(result);
        resolve(status);
      };
      const send = (firstTry: boolean) => {
        const req = (https ? httpsRequest : httpRequest)(
          {
            host: o.host,
            port: https ? o.httpsPort : o.httpPort,
            path,
            agent: this.agents[kind],
            headers: {
              ...headers,
              'user-agent': `Mozilla/5.0 (X11; Linux x86_64) hotrod-load-generator/0.1 (${kind})`,
              accept: path === '/' ? 'text/html' : 'application/json',
            },
          },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => {
              body += c;
            });
            res.on('end', () => {
              const tr = res.headers.traceresponse;
              done(res.statusCode ?? 0, body, Array.isArray(tr) ? tr[0] : tr);
            });
            res.on('error', () => done(0, '', undefined));
          },
        );
        req.on('error', (err: NodeJS.ErrnoException) => {
          // a kept-alive connection the server closed as the request went out (nginx's old
          // workers close idle connections on a reload): nothing reached nginx, and a browser
          // sends the request again on a new connection
          if (firstTry && req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE'))
            send(false);
          else done(0, '', undefined);
        });
        req.end();
      };
      send(true);
    });
  }
}
