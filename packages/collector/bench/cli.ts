// The collector's CLI as a child process for the benchmarks (from source, like the tests).
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface CliProcess {
  child: ChildProcess;
  /** OTLP/HTTP port */
  http: number;
  /** OTLP/gRPC port (undefined with --otlp-grpc-port -1) */
  grpc: number | undefined;
}

/** Starts `crosstrace-collector` with free ports and `args`; resolves once it listens. */
export function startCli(args: readonly string[]): Promise<CliProcess> {
  const pkgDir = fileURLToPath(new URL('..', import.meta.url));
  const grpcOff = args.includes('--otlp-grpc-port');
  const child = spawn(
    process.execPath,
    [
      '--conditions=crosstrace-source',
      '--import',
      'tsx',
      'src/cli.ts',
      '--otlp-http-port',
      '0',
      ...(grpcOff ? [] : ['--otlp-grpc-port', '0']),
      '--query-port',
      '0',
      '--log-level',
      'warn',
      ...args,
    ],
    { cwd: pkgDir, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c) => {
      out += c;
      const http = /otlp-http listening on http:\/\/[^:]+:(\d+)/.exec(out);
      const grpc = /otlp-grpc listening on grpc:\/\/[^:]+:(\d+)/.exec(out);
      const query = /query listening on/.exec(out);
      if (http && query)
        resolve({ child, http: Number(http[1]), grpc: grpc === null ? undefined : Number(grpc[1]) });
    });
    child.on('exit', (code) => reject(new Error(`collector exited ${code}: ${out}`)));
  });
}
