import { spawnSync } from 'node:child_process';
import { type RunningDemo, runDemo } from '../demo/demo.js';
import { findNginx } from '../demo/ingress-nginx.js';
import { formatReport } from '../demo/report.js';
import { type DemoFlags, demoOptions } from './demo-flags.js';

/** The programs the live demo starts that this machine lacks. */
export function missingPrograms(): string[] {
  const missing: string[] = [];
  if (findNginx() === undefined) missing.push('nginx');
  if (spawnSync('openssl', ['version'], { stdio: 'ignore' }).status !== 0) missing.push('openssl');
  return missing;
}

/** Waits for Ctrl-C (or SIGTERM), then stops everything. */
export async function holdUntilInterrupted(stop: () => Promise<void>): Promise<void> {
  await new Promise<void>((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
  process.stderr.write('\nstopping…\n');
  await stop();
}

/** Prints the report and the addresses. */
export function printReport(
  demo: Pick<RunningDemo, 'report'> & { urls: { ui: string; hotrod?: string; hotrodTls?: string } },
  live: boolean,
): void {
  const w = (s: string) => process.stdout.write(`${s}\n`);
  w('');
  w(formatReport(demo.report));
  w('');
  w(`UI:      ${demo.urls.ui}`);
  if (live) w(`HotROD:  ${demo.urls.hotrod} (through nginx; ${demo.urls.hotrodTls} with TLS)`);
}

/** `hotrod demo`. */
export async function demoAction(flags: DemoFlags): Promise<void> {
  const missing = missingPrograms();
  if (missing.length > 0) {
    // a fresh machine without nginx still gets the demo: the recorded run, said plainly
    process.stderr.write(
      `hotrod demo: ${missing.join(' and ')} not installed (apt-get install -y ${missing.join(' ')}); ` +
        'showing the recorded run instead (pnpm demo:replay)\n\n',
    );
    const { replayAction } = await import('./replay-command.js');
    return replayAction({ queryPort: flags.queryPort, otlpPort: 0, exit: flags.exit });
  }
  const demo = await runDemo(demoOptions(flags));
  printReport(demo, true);
  if (flags.exit) {
    await demo.stop();
    return;
  }
  process.stdout.write('\nThe UI and HotROD stay up; Ctrl-C stops every process the demo started.\n');
  await holdUntilInterrupted(() => demo.stop());
}
