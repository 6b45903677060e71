#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { addDemoFlags, type DemoFlags } from './cli/demo-flags.js';
import type { ReplayFlags } from './cli/replay-command.js';
import { addServiceFlags, port, runServices, type ServiceFlags } from './cli/services-command.js';
import { HotrodError } from './errors.js';
import { SERVICE_NAMES, type ServiceName } from './services/run.js';

/** The `hotrod` command line. */
export function program(): Command {
  const root = new Command('hotrod')
    .description(
      'HotR.O.D. - Rides On Demand: a tracing demo application, behind a real nginx, with a rollout',
    )
    .showHelpAfterError();
  addServiceFlags(root.command('all').description('starts all services in this process')).action(
    (flags: ServiceFlags) => runServices(SERVICE_NAMES, flags),
  );
  for (const name of SERVICE_NAMES) {
    addServiceFlags(root.command(name).description(`starts the ${name} service`)).action(
      (flags: ServiceFlags) => runServices([name as ServiceName], flags),
    );
  }
  addDemoFlags(
    root
      .command('demo')
      .description('HotROD behind a real nginx with a rollout under load; prints a report, keeps the UI up'),
    // the demo's modules (collector, bridge) load only for the demo: service pods start faster
  ).action(async (flags: DemoFlags) => (await import('./cli/demo-command.js')).demoAction(flags));
  root
    .command('replay')
    .description('loads the recording into a fresh collector and prints the same report, without nginx')
    .option('--query-port <port>', "the collector's UI and query API", port('--query-port'), 16686)
    .option('--otlp-port <port>', "the collector's OTLP/HTTP port (0: any free one)", port('--otlp-port'), 0)
    .option('--recording <dir>', 'a recording made by `hotrod record` (default: the one in the example)')
    .option('--exit', 'stop after the report', false)
    .action(async (flags: ReplayFlags) => (await import('./cli/replay-command.js')).replayAction(flags));
  addDemoFlags(
    root
      .command('record')
      .description('a live demo run (exits after the report) recorded for `hotrod replay`')
      .option('--out <dir>', "where the recording goes (default: the example's recording/)"),
    { users: 3, warmupMs: 4000, cooldownMs: 4000 },
  ).action(async (flags: DemoFlags & { out?: string }) =>
    (await import('./cli/replay-command.js')).recordAction(flags),
  );
  return root;
}

/** Runs the command line; a HotrodError prints its message and exits 2. */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  try {
    await program().parseAsync([...argv]);
  } catch (err) {
    if (err instanceof HotrodError) {
      process.stderr.write(`hotrod: ${err.message} (${err.code})\n`);
      process.exit(2);
    }
    throw err;
  }
}

const invoked = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (invoked === fileURLToPath(import.meta.url)) void main();
