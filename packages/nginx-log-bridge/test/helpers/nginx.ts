import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const NGINX_BIN = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx'].find((p) =>
  existsSync(p),
);

/** A port that was free a moment ago (bound to 127.0.0.1:0, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A real nginx under `dir` (its own prefix, pid and logs), in the foreground. */
export class Nginx {
  private child: ChildProcess | undefined;
  stderr = '';

  constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  async start(httpBlock: string): Promise<void> {
    if (NGINX_BIN === undefined) throw new Error('nginx is not installed (scripts/ensure-system-deps.sh)');
    for (const d of ['logs', 'tmp']) mkdirSync(join(this.dir, d), { recursive: true });
    const conf = join(this.dir, 'nginx.conf');
    const user = process.getuid?.() === 0 ? 'user root;\n' : '';
    writeFileSync(
      conf,
      `${user}worker_processes 1;\nevents { worker_connections 64; }\nhttp {\n` +
        `  client_body_temp_path ${this.dir}/tmp/body; proxy_temp_path ${this.dir}/tmp/proxy;\n` +
        `  fastcgi_temp_path ${this.dir}/tmp/fcgi; uwsgi_temp_path ${this.dir}/tmp/uwsgi; scgi_temp_path ${this.dir}/tmp/scgi;\n` +
        `${httpBlock}\n}\n`,
    );
    this.child = spawn(
      NGINX_BIN,
      [
        '-p',
        this.dir,
        '-c',
        conf,
        '-e',
        join(this.dir, 'logs', 'error.log'),
        '-g',
        `daemon off; pid ${join(this.dir, 'nginx.pid')}; error_log ${join(this.dir, 'logs', 'error.log')} info;`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.child.stderr?.on('data', (b) => {
      this.stderr += b;
    });
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`nginx exited: ${this.stderr}`);
      try {
        await fetch(`http://127.0.0.1:${this.port}/__ready`);
        return;
      } catch {
        if (Date.now() > deadline) throw new Error(`nginx did not start: ${this.stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGQUIT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
