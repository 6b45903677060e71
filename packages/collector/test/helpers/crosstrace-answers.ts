// The crosstrace routes a user reads after a rollout (diagnoses, pods, a pod's page), asked of a
// collector, and the rollout scenario fed to it: the Kubernetes data by POST /k8s/objects, the
// spans through the pipeline.
import { loadScenarios, type Scenario, toSpan } from '../../eval/scenario.js';
import type { Collector } from '../../src/index.js';

export const ROLLOUT: Scenario = loadScenarios().find((s) => s.name === 'rollout-stale-endpoint')!;
/** The pod the rollout terminated while nginx still sent it requests. */
export const OLD_POD = 'web-5d567cc74c-ss4lb';

export const CROSSTRACE_ROUTES = [
  '/api/crosstrace/diagnoses',
  '/api/crosstrace/diagnoses?code=upstream-pod-terminating,upstream-endpoint-removed',
  '/api/crosstrace/pods',
  `/api/crosstrace/pods/shop/${OLD_POD}/requests`,
];

/** Status and body of each route. */
export async function crosstraceAnswers(
  c: Collector,
): Promise<Record<string, { status: number; body: unknown }>> {
  const out: Record<string, { status: number; body: unknown }> = {};
  for (const url of CROSSTRACE_ROUTES) {
    const res = await c.query.inject(url);
    out[url] = { status: res.statusCode, body: res.json() };
  }
  return out;
}

/** POSTs the scenario's Kubernetes data (objects' own times); returns the status codes. */
export async function postRolloutK8s(c: Collector, sc: Scenario = ROLLOUT): Promise<number[]> {
  const codes: number[] = [];
  for (const text of sc.k8s) {
    const res = await c.otlpHttp.inject({
      method: 'POST',
      url: '/k8s/objects?arrival=none',
      payload: text,
      headers: { 'content-type': 'application/json' },
    });
    codes.push(res.statusCode);
  }
  return codes;
}

/** Sends the scenario's ingress, then app spans, and waits until they are stored and diagnosed. */
export async function sendRolloutSpans(c: Collector, sc: Scenario = ROLLOUT): Promise<void> {
  await c.pipeline.consume({ spans: sc.ingress.map(toSpan), receiver: 'ingress' });
  await c.pipeline.consume({ spans: sc.app.map(toSpan), receiver: 'app' });
  await c.writer.drain();
  await c.controlPlane.flush();
}
