import { type Command, InvalidArgumentError, Option } from 'commander';
import { type DemoOptions, defaultDemoOptions } from '../demo/options.js';
import { parseGoDurationMs } from './go-duration-flag.js';
import { port } from './services-command.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

function duration(flags: string, description: string, ms: number): Option {
  return new Option(flags, description)
    .argParser(parseGoDurationMs)
    .default(ms, ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);
}

/** The demo's flags (ports and profile) on a command. */
export function addDemoFlags(cmd: Command, profile: Partial<DemoOptions> = {}): Command {
  const d = { ...defaultDemoOptions(), ...profile };
  return cmd
    .option('--query-port <port>', "the collector's UI and query API", port('--query-port'), d.queryPort)
    .option(
      '--otlp-port <port>',
      "the collector's OTLP/HTTP and Kubernetes receivers",
      port('--otlp-port'),
      d.otlpPort,
    )
    .option('--ingress-port <port>', 'nginx, HTTP', port('--ingress-port'), d.ingressPort)
    .option(
      '--ingress-tls-port <port>',
      'nginx, HTTPS (client certificates optional)',
      port('--ingress-tls-port'),
      d.ingressTlsPort,
    )
    .option(
      '--frontend-port <port>',
      "frontend, on each pod's address",
      port('--frontend-port'),
      d.frontendPort,
    )
    .option('--customer-port <port>', 'customer', port('--customer-port'), d.customerPort)
    .option('--driver-port <port>', 'driver (gRPC)', port('--driver-port'), d.driverPort)
    .option('--route-port <port>', 'route', port('--route-port'), d.routePort)
    .option('--users <n>', 'browser sessions clicking', positiveInt, d.users)
    .addOption(duration('--think <duration>', "mean pause between a session's clicks", d.thinkMs))
    .addOption(duration('--warmup <duration>', 'load before the rollout', d.warmupMs))
    .addOption(duration('--cooldown <duration>', 'load after the rollout', d.cooldownMs))
    .option(
      '--ingress-sync-lag <duration>',
      'how late nginx learns EndpointSlice changes',
      parseGoDurationMs,
      d.ingressSyncLagMs,
    )
    .option('--replicas <n>', 'frontend replicas', positiveInt, d.frontendReplicas)
    .option('--dir <path>', 'working folder (kept; default: a temporary one, removed at the end)')
    .option('--exit', 'stop everything after the report', false)
    .option('--no-progress', 'no progress bar');
}

export interface DemoFlags {
  queryPort: number;
  otlpPort: number;
  ingressPort: number;
  ingressTlsPort: number;
  frontendPort: number;
  customerPort: number;
  driverPort: number;
  routePort: number;
  users: number;
  think: number;
  warmup: number;
  cooldown: number;
  ingressSyncLag: number;
  replicas: number;
  exit: boolean;
  progress: boolean;
  dir?: string;
}

export function demoOptions(f: DemoFlags): Partial<DemoOptions> {
  return {
    queryPort: f.queryPort,
    otlpPort: f.otlpPort,
    ingressPort: f.ingressPort,
    ingressTlsPort: f.ingressTlsPort,
    frontendPort: f.frontendPort,
    customerPort: f.customerPort,
    driverPort: f.driverPort,
    routePort: f.routePort,
    users: f.users,
    thinkMs: f.think,
    warmupMs: f.warmup,
    cooldownMs: f.cooldown,
    ingressSyncLagMs: f.ingressSyncLag,
    frontendReplicas: f.replicas,
    progress: f.progress,
    ...(f.dir !== undefined ? { dir: f.dir } : {}),
  };
}
