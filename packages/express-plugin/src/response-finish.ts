import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { requestState } from './request-store.js';

// node:http publishes every finished server response on this channel (Node >= 16.18). One
// subscriber for the process replaces a `close` listener and its closure per response; aborted
// requests are ended by their socket's `close` (request-store.ts).
const FINISH_CHANNEL = 'http.server.response.finish';

let subscribed = false;

function onResponseFinish(message: unknown): void {
  const m = message as { request?: IncomingMessage; socket?: unknown } | null;
  const request = m?.request;
  if (request === undefined || request === null) return;
  // the message's socket is the request's: no property read from the request itself
  requestState(request, m?.socket)?.responseFinished();
}

/** Subscribes once per process to node:http's finished-response channel. */
export function watchResponseFinish(): void {
  if (subscribed) return;
  subscribed = true;
  subscribe(FINISH_CHANNEL, onResponseFinish);
}
