import type { ControlPlaneState } from '../../controlplane/state.js';
import { formatNanos } from '../../controlplane/time.js';
import type { PodRecord } from '../../controlplane/timeline.js';

/** The diagnosis codes (stable; part of the public API). */
export const DiagnosisCode = {
  PodTerminating: 'upstream-pod-terminating',
  PodNotReady: 'upstream-pod-not-ready',
  EndpointRemoved: 'upstream-endpoint-removed',
  IpUnassigned: 'upstream-ip-unassigned',
  IngressReload: 'ingress-reload',
} as const;
export type DiagnosisCode = (typeof DiagnosisCode)[keyof typeof DiagnosisCode];

export interface Diagnosis {
  code: DiagnosisCode;
  message: string;
  evidence: Record<string, string | number | boolean>;
}

/** One upstream attempt as the diagnosis needs it. */
export interface AttemptFacts {
  address: string;
  startNanos: bigint;
  endNanos: bigint;
}

function ms(ns: bigint): number {
  return Number(ns / 1000n) / 1000;
}

const RELOAD_BEFORE_NS = 2_000_000_000n;
const RELOAD_AFTER_NS = 1_000_000_000n;

/**
 * What the control plane says about a failed attempt to `address` at its start time. Every
 * diagnosis carries its evidence (times in RFC 3339, lags in ms); none is emitted without one.
 */
export function diagnoseAttempt(
  state: ControlPlaneState,
  a: AttemptFacts,
  pod: PodRecord | undefined,
): Diagnosis[] {
  const out: Diagnosis[] = [];
  const t = a.startNanos;
  const podName = pod ? `${pod.namespace}/${pod.name}` : '';
  if (pod === undefined) {
    const holders = state.ipHolders(a.address);
    if (holders.length > 0) {
      let last: PodRecord | undefined;
      for (const h of holders) if ((h.ipFromNanos ?? 0n) <= t) last = h;
      const evidence: Diagnosis['evidence'] = { address: a.address, attemptStart: formatNanos(t) };
      if (last) {
        evidence.lastPod = `${last.namespace}/${last.name}`;
        if (last.ipUntilNanos !== undefined) {
          evidence.releasedAt = formatNanos(last.ipUntilNanos);
          evidence.lagMs = ms(t - last.ipUntilNanos);
        }
      }
      out.push({
        code: DiagnosisCode.IpUnassigned,
        message: last
          ? `no pod held ${a.address} at the attempt; ${evidence.lastPod} had released it`
          : `no pod held ${a.address} yet at the attempt`,
        evidence,
      });
    }
  } else {
    const terminating = pod.deletionStartedNanos !== undefined && pod.deletionStartedNanos <= t;
    if (terminating) {
      out.push({
        code: DiagnosisCode.PodTerminating,
        message: `pod ${podName} was terminating: deletion started ${ms(t - pod.deletionStartedNanos!)} ms before the attempt`,
        evidence: {
          pod: podName,
          podUid: pod.uid,
          address: a.address,
          deletionStartedAt: formatNanos(pod.deletionStartedNanos!),
          deletionTimestamp:
            pod.deletionTimestampNanos !== undefined ? formatNanos(pod.deletionTimestampNanos) : '',
          gracePeriodSeconds: pod.deletionGracePeriodSeconds ?? 0,
          sinceMs: ms(t - pod.deletionStartedNanos!),
        },
      });
    }
    if (!terminating && pod.readiness.length > 0) {
      let ready: boolean | undefined;
      let at: bigint | undefined;
      for (const r of pod.readiness)
        if (r.atNanos <= t) {
          ready = r.ready;
          at = r.atNanos;
        }
      if (ready !== true) {
        out.push({
          code: DiagnosisCode.PodNotReady,
          message: `pod ${podName} was not ready at the attempt`,
          evidence: {
            pod: podName,
            address: a.address,
            ...(at !== undefined
              ? { notReadySince: formatNanos(at) }
              : { readyAt: formatNanos(pod.readiness[0].atNanos) }),
          },
        });
      }
    }
  }
  // the stale-endpoint case: the address had left (or stopped being ready in) its EndpointSlice
  const left = new Map<string, { kind: string; at: bigint; source: string }>();
  for (const c of state.endpointChanges(a.address)) {
    if (c.atNanos > t) break;
    if (pod && c.podName && c.podName !== podName && c.podUid !== pod.uid) continue;
    if (c.kind === 'removed' || c.kind === 'not-ready' || c.kind === 'terminating') {
      if (!left.has(c.slice)) left.set(c.slice, { kind: c.kind, at: c.atNanos, source: c.timeSource });
    } else left.delete(c.slice);
  }
  let first: [string, { kind: string; at: bigint; source: string }] | undefined;
  for (const e of left) if (first === undefined || e[1].at < first[1].at) first = e;
  if (first !== undefined) {
    const [slice, c] = first;
    out.push({
      code: DiagnosisCode.EndpointRemoved,
      message: `${a.address} had left EndpointSlice ${slice} (${c.kind}) ${ms(t - c.at)} ms before the attempt`,
      evidence: {
        address: a.address,
        endpointSlice: slice,
        change: c.kind,
        removedAt: formatNanos(c.at),
        lagMs: ms(t - c.at),
        timeSource: c.source,
        ...(podName ? { pod: podName } : {}),
      },
    });
  }
  const reloads = state.reloadsBetween(t - RELOAD_BEFORE_NS, a.endNanos + RELOAD_AFTER_NS);
  if (reloads.length > 0) {
    const r = reloads[0];
    out.push({
      code: DiagnosisCode.IngressReload,
      message: `ingress controller ${r.pod} reloaded nginx during the attempt window`,
      evidence: {
        controllerPod: r.pod,
        reloadAt: formatNanos(r.atNanos),
        reloads: reloads.length,
        message: r.message,
      },
    });
  }
  return out;
}
