import v8 from 'node:v8';

if (process.env.V8FLAGS) v8.setFlagsFromString(process.env.V8FLAGS);
const dist = process.env.DIST ?? 'dist';
const { Bridge } = await import(`../${dist}/bridge.js`);
const { createParser } = await import(`../${dist}/parse/parse-line.js`);
const file = process.argv[2] ?? '/tmp/prof/access.log';
let bytes = 0;
const sink = {
  async export() {
    return { ok: true };
  },
  async exportEncoded(body) {
    bytes += body.length;
    return { ok: true };
  },
  releasesEncodedBody: true,
  async shutdown() {},
};
const bridge = new Bridge({
  parser: createParser({ format: 'ingress-nginx' }),
  sink,
  batchLines: 1000,
  container: 'none',
});
const before = process.cpuUsage();
const t0 = performance.now();
await bridge.follow([file], { fromBeginning: true, once: true });
const u = process.cpuUsage(before);
const lines = bridge.metrics.counts.lines;
const cpu = u.user + u.system;
console.log(
  JSON.stringify({
    lines,
    spans: bridge.metrics.counts.spans,
    bytes,
    usPerLine: +(cpu / lines).toFixed(3),
    wallUs: +(((performance.now() - t0) * 1000) / lines).toFixed(3),
    user: u.user / 1e6,
    sys: u.system / 1e6,
  }),
);
