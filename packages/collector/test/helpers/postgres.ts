// A throw-away PostgreSQL cluster for tests and benchmarks: `initdb` into a temporary directory,
// `postgres` on a free loopback port, trust authentication for local TCP only, removed on stop.
// PostgreSQL refuses to run as root: as root, the cluster belongs to the `postgres` user (Debian's
// package creates it) or, failing that, to `nobody`, each given a directory it owns.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface PostgresCluster {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` */
  url: string;
  port: number;
  /** A new empty database; its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server (fast shutdown) and removes its directory. */
  stop(): Promise<void>;
}

function binDir(): string {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (versions.length > 0) return join(root, versions[0], 'bin');
  }
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      'PostgreSQL server binaries not found (install Debian package postgresql: bash scripts/ensure-system-deps.sh)',
    );
  }
}

function uidOf(user: string): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    return undefined;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const a = srv.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited (${child.exitCode}): ${log()}`);
    const c = new pg.Client({ connectionString: url });
    try {
      await c.connect();
      await c.query('SELECT 1');
      await c.end();
      return;
    } catch (err) {
      await c.end().catch(() => {});
      if (Date.now() > deadline) throw new Error(`postgres did not start: ${String(err)}: ${log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

let databases = 0;

/**
 * Starts a PostgreSQL cluster on 127.0.0.1 for this process.
 *
 * @example
 * const cluster = await startPostgres();
 * const url = await cluster.createDatabase();
 * // … openPostgresStore({ url })
 * await cluster.stop();
 */
export async function startPostgres(): Promise<PostgresCluster> {
  const bin = binDir();
  const root = process.getuid?.() === 0;
  const owner = root ? (uidOf('postgres') ?? uidOf('nobody')) : undefined;
  if (root && owner === undefined) throw new Error('running as root without a postgres or nobody user');
  const dir = mkdtempSync(join(tmpdir(), 'ct-pg-'));
  const data = join(dir, 'data');
  if (owner !== undefined) chownSync(dir, owner.uid, owner.gid);
  const asOwner = { uid: owner?.uid, gid: owner?.gid };
  execFileSync(
    join(bin, 'initdb'),
    ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
    { stdio: 'pipe', ...asOwner },
  );
  let port = 0;
  let child: ChildProcess | undefined;
  let output = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    port = await freePort();
    output = '';
    child = spawn(
      join(bin, 'postgres'),
      [
        '-D',
        data,
        '-p',
        String(port),
        '-k',
        dir,
        '-c',
        'listen_addresses=127.0.0.1',
        // a test cluster: process crashes are what we test, not power loss
        '-c',
        'fsync=off',
        '-c',
        'full_page_writes=off',
        '-c',
        'max_connections=200',
        '-c',
        'shared_buffers=128MB',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], ...asOwner },
    );
    child.stdout?.on('data', (b) => {
      output += b.toString();
    });
    child.stderr?.on('data', (b) => {
      output += b.toString();
    });
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    try {
      await waitReady(url, child, () => output.slice(-2000));
      break;
    } catch (err) {
      child.kill('SIGKILL');
      if (attempt === 4 || !/could not bind|Address already in use/i.test(output)) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  const server = child!;
  server.unref();
  (server.stdout as unknown as { unref?: () => void })?.unref?.();
  (server.stderr as unknown as { unref?: () => void })?.unref?.();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const kill = () => {
    if (server.exitCode === null) server.kill('SIGKILL');
  };
  process.once('exit', kill);
  return {
    url,
    port,
    async createDatabase(name?: string): Promise<string> {
      const db = name ?? `ct_test_${process.pid}_${++databases}`;
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`CREATE DATABASE ${db}`);
      } finally {
        await c.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${db}`;
    },
    async stop(): Promise<void> {
      process.off('exit', kill);
      if (server.exitCode === null) {
        const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
        server.kill('SIGINT');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        kill();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
