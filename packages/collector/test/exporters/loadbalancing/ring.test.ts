import { randomBytes } from 'node:crypto';
import t from 'tap';
import { HashRing } from '../../../src/exporters/index.js';

const keys = Array.from({ length: 20_000 }, () => randomBytes(16).toString('hex'));
const members = (n: number) => Array.from({ length: n }, (_, i) => `10.0.0.${i + 1}:4317`);

function owners(ring: HashRing): Map<string, string> {
  return new Map(keys.map((k) => [k, ring.owner(k)!]));
}

t.test('every member gets a fair share', async (t) => {
  for (const n of [2, 3, 5, 10]) {
    const counts = new Map<string, number>();
    for (const o of owners(new HashRing(members(n))).values()) counts.set(o, (counts.get(o) ?? 0) + 1);
    t.equal(counts.size, n);
    for (const c of counts.values())
      t.ok(Math.abs(c / keys.length - 1 / n) < 0.35 / n, `${n} members: share ${c}`);
  }
});

t.test('adding or removing one of N members moves about 1/N of the keys, only to or from it', async (t) => {
  for (const n of [2, 4, 8]) {
    const before = owners(new HashRing(members(n)));
    const grown = owners(new HashRing(members(n + 1)));
    let moved = 0;
    let elsewhere = 0;
    for (const k of keys) {
      if (before.get(k) === grown.get(k)) continue;
      moved++;
      if (grown.get(k) !== members(n + 1)[n]) elsewhere++;
    }
    t.equal(elsewhere, 0, 'a moved key goes to the new member');
    const share = moved / keys.length;
    t.ok(
      Math.abs(share - 1 / (n + 1)) < 0.4 / (n + 1),
      `join of member ${n + 1}: ${(share * 100).toFixed(1)}% moved`,
    );
    const shrunk = owners(new HashRing(members(n + 1).slice(1)));
    let others = 0;
    for (const k of keys) if (grown.get(k) !== members(n + 1)[0] && shrunk.get(k) !== grown.get(k)) others++;
    t.equal(others, 0, 'only the leaver’s keys move');
  }
});

t.test('the same members in any order give the same ring; an empty ring owns nothing', async (t) => {
  const a = new HashRing(['b:1', 'a:1', 'c:1']);
  const b = new HashRing(['c:1', 'b:1', 'a:1', 'a:1']);
  t.ok(keys.every((k) => a.owner(k) === b.owner(k)));
  t.equal(new HashRing([]).owner('x'), undefined);
});
