import { type ChildProcess, type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const packageDir = fileURLToPath(new URL('../..', import.meta.url));

/** `node --conditions=crosstrace-source --import tsx …args` in the package folder, output piped. */
function spawnSource(args: string[], env: NodeJS.ProcessEnv): ChildProcessByStdio<null, Readable, Readable> {
  return spawn(process.execPath, ['--conditions=crosstrace-source', '--import', 'tsx', ...args], {
    cwd: packageDir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface CliProcess {
  child: ChildProcess;
  ports: { otlpHttp: number; otlpGrpc: number; query: number };
  stdout: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs the CLI from source (tsx) with `args`; resolves once it printed its three ports. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliProcess> {
  const child = spawnSource(['src/cli.ts', ...args], env);
  let out = '';
  let err = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    child.stderr?.on('data', (c) => {
      err += c;
    });
    child.stdout?.on('data', (c) => {
      out += c;
      const http = /otlp-http listening on https?:\/\/[^:]+:(\d+)/.exec(out);
      const grpc = /otlp-grpc listening on grpcs?:\/\/[^:]+:(\d+)/.exec(out);
      const query = /query listening on https?:\/\/[^:]+:(\d+)/.exec(out);
      if (http && grpc && query) {
        resolve({
          child,
          ports: { otlpHttp: Number(http[1]), otlpGrpc: Number(grpc[1]), query: Number(query[1]) },
          stdout: () => out,
          exited,
        });
      }
    });
    void exited.then(({ code }) => reject(new Error(`cli exited (${code}) before listening: ${out}${err}`)));
  });
}

/** Runs the CLI to completion; resolves with its exit code and output. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; out: string; err: string }> {
  return runNode(['src/cli.ts', ...args], env);
}

/** Runs {@link spawnSource} to completion; resolves with its exit code and output. */
export function runNode(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawnSource(args, env);
  let out = '';
  let err = '';
  child.stdout.on('data', (c) => {
    out += c;
  });
  child.stderr.on('data', (c) => {
    err += c;
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
}
