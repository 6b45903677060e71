import { runDemo } from '../demo/demo.js';
import { DEFAULT_RECORDING, runReplay } from '../demo/replay.js';
import { holdUntilInterrupted, printReport } from './demo-command.js';
import { type DemoFlags, demoOptions } from './demo-flags.js';

export interface ReplayFlags {
  queryPort: number;
  otlpPort: number;
  recording?: string;
  exit: boolean;
}

/** `hotrod replay`. */
export async function replayAction(flags: ReplayFlags): Promise<void> {
  const started = performance.now();
  const replay = await runReplay({
    queryPort: flags.queryPort,
    otlpPort: flags.otlpPort,
    recording: flags.recording ?? DEFAULT_RECORDING,
  });
  const l = replay.loaded;
  process.stdout.write(
    `replayed ${l.accessLogLines} access-log lines, ${l.otlpRequests} OTLP requests, ${l.watchEvents} watch events and ` +
      `${l.auditEvents} audit events, moved ${replay.shiftSeconds} s forward, in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  );
  printReport(replay, false);
  if (flags.exit) {
    await replay.stop();
    return;
  }
  process.stdout.write('\nThe UI stays up; Ctrl-C stops it.\n');
  await holdUntilInterrupted(() => replay.stop());
}

/** `hotrod record`: a live run (with `--exit`) whose inputs to the collector are kept as a recording. */
export async function recordAction(flags: DemoFlags & { out?: string }): Promise<void> {
  const out = flags.out ?? DEFAULT_RECORDING;
  const demo = await runDemo({ ...demoOptions(flags), recordTo: out });
  printReport(demo, false);
  await demo.stop();
  process.stdout.write(`\nrecorded into ${out}\n`);
}
