import { createServer } from 'node:net';

function bindable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

/** A port free on every given loopback address (for services that bind one port on several pod IPs). */
export async function portFreeOn(hosts: readonly string[]): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    let ok = true;
    for (const h of hosts) if (!(await bindable(h, port))) ok = false;
    if (ok) return port;
  }
  throw new Error('no free port');
}
