import { randomBytes } from 'node:crypto';

let counter = 0;

/** An ingress-nginx log line with a fresh request id and one successful upstream attempt. */
export function ingressLine(path = '/'): string {
  counter++;
  const id = randomBytes(16).toString('hex');
  return `10.0.0.${counter % 250} - - [01/May/2024:10:00:${String(counter % 60).padStart(2, '0')} +0000] "GET ${path} HTTP/1.1" 200 12 "-" "test" 80 0.002 [default-web-8080] [] 10.244.0.5:8080 12 0.002 200 ${id}`;
}

/** n lines, newline-terminated. */
export function ingressLines(n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += `${ingressLine(`/item/${i}`)}\n`;
  return out;
}

/** Polls `check` until true (every 20 ms, up to `ms`); throws on timeout. */
export async function until(check: () => boolean, ms = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
