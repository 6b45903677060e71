// The benchmark's ingress-nginx lines (also used by the direct-encoder test, so the bytes the
// benchmark measures are the bytes the test checks).
import { randomBytes } from 'node:crypto';

const PODS = ['10.244.1.5:8080', '10.244.2.7:8080', '10.244.3.9:8080'];

/** Line `i` of the benchmark log (newline-terminated): every 50th line is a retry after a 502. */
export function benchLine(i: number): string {
  const retry = i % 50 === 0;
  const pod = PODS[i % 3];
  const upstream = retry ? `${PODS[(i + 1) % 3]}, ${pod}` : pod;
  const status = retry ? '502, 200' : '200';
  const times = retry ? '0.001, 0.004' : '0.004';
  const lengths = retry ? '0, 612' : '612';
  // Like a real log: time goes forward, ~500 requests per second.
  const second = Math.floor(i / 500);
  const hh = String(10 + Math.floor(second / 3600)).padStart(2, '0');
  const mm = String(Math.floor(second / 60) % 60).padStart(2, '0');
  const ss = String(second % 60).padStart(2, '0');
  return (
    `172.16.${i % 256}.${i % 200} - - [21/Mar/2022:${hh}:${mm}:${ss} +0000] ` +
    `"GET /api/items/${i % 1000}?page=${i % 7} HTTP/1.1" 200 612 "-" "Mozilla/5.0 (X11; Linux x86_64) bench" ` +
    `412 0.005 [default-web-8080] [] ${upstream} ${lengths} ${times} ${status} ${randomBytes(16).toString('hex')}\n`
  );
}
