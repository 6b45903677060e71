// A Pod object as the API server sends it, in namespace `shop`: what the control-plane tests feed
// the state (`status` merged with `extra`).

export interface PodObjectTimes {
  /** metadata.creationTimestamp */
  createdAt: string;
  /** status.startTime */
  startedAt: string;
}

export function podObject(
  times: PodObjectTimes,
  name: string,
  uid: string,
  ip: string,
  rv: number,
  extra: Record<string, unknown> = {},
) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'shop',
      uid,
      resourceVersion: String(rv),
      creationTimestamp: times.createdAt,
    },
    status: { podIP: ip, startTime: times.startedAt, ...extra },
  };
}
