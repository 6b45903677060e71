export type { OtlpHttpReceiverOptions } from './otlp-http-receiver.js';
export { otlpHttpReceiver, RECEIVER_NAME, sendOtlpError } from './otlp-http-receiver.js';
export type { ReadBodyOptions } from './read-body.js';
export { readBody } from './read-body.js';
