import { once } from 'node:events';
import type { Server } from 'node:http';
import type { Express } from 'express';

/** A listening service and how to stop it. */
export interface RunningServer {
  readonly host: string;
  readonly port: number;
  /** Stops accepting, lets requests in flight finish, then resolves. */
  close(): Promise<void>;
}

/** Listens with `app` on host:port (port 0: any free port). */
export async function listen(app: Express, host: string, port: number): Promise<RunningServer> {
  const server: Server = app.listen(port, host);
  await once(server, 'listening');
  const address = server.address();
  const actual = typeof address === 'object' && address !== null ? address.port : port;
  return {
    host,
    port: actual,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}

/** The original's `http.Error`: a plain-text body with a trailing newline. */
export function textError(res: import('express').Response, status: number, message: string): void {
  res.status(status).type('text/plain; charset=utf-8').send(`${message}\n`);
}
