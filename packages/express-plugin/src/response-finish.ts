import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { requestState } from './request-store.js';

// node:http publishes every finished server response on this channel (Node >= 16.18). One
// subscriber for the process replaces a `close` listener and its closure per response; aborted
// requests are ended by their socket's `close` (request-store.ts).
const FINISH_CHANNEL = 'http.server.response.finish';

let subscribed = false;

function onResponseFinish(message: unknown): void {
  const request = (message as { request?: IncomingMessage } | null)?.request;
  if (request === undefined || request === null) return;
  requestState(request)?.responseFinished();
}

/** Subscribes once per process to node:http's finished-response channel. */
export function watchResponseFinish(): void {
  if (subscribed) return;
  subscribed = true;
  subscribe(FINISH_CHANNEL, onResponseFinish);
}
