// `pnpm eval:stitching`: runs every scenario in eval/scenarios through the stitching processor and
// prints precision and recall of ingress↔app links and of diagnoses, and whether every arrival
// order of the layers' data gave the same stored result.
import type { Score } from './scenario.js';
import {
  canonicalStore,
  loadScenarios,
  permutations,
  predictedDiagnoses,
  predictedLinks,
  runOrder,
  score,
  splitAppUnits,
  units,
} from './scenario.js';

function pct(n: number): string {
  return `${(n * 100).toFixed(1)}%`;
}

function fmt(s: Score): string {
  const precision = s.tp + s.fp === 0 ? '-' : pct(s.precision);
  return `P ${precision.padStart(6)}  R ${pct(s.recall).padStart(6)}  (tp ${s.tp}, fp ${s.fp}, fn ${s.fn})`;
}

const allOrders = !process.argv.includes('--quick');
let failed = false;
for (const sc of loadScenarios()) {
  const u = units(sc);
  const r = await runOrder(u);
  const truthLinks = new Set(sc.truth.links.map(([a, b]) => `${a}>${b}`));
  const links = score(await predictedLinks(r, sc), truthLinks);
  const confident = score(await predictedLinks(r, sc, 0.5), truthLinks);
  const diags = score(predictedDiagnoses(r), new Set(sc.truth.diagnoses.map(([a, c]) => `${a}>${c}`)));
  let orders = 'not checked';
  if (allOrders) {
    const reference = JSON.stringify(await canonicalStore(r));
    const perms = permutations(u);
    let same = 0;
    for (const p of perms) if (JSON.stringify(await canonicalStore(await runOrder(p))) === reference) same++;
    orders = `${same}/${perms.length} orders identical`;
    if (same !== perms.length) failed = true;
    // app traces split over two batches (an extra child per root, children in their own batch):
    // children stored before the root that remaps their trace must still move with it
    const split = splitAppUnits(sc);
    const splitReference = JSON.stringify(await canonicalStore(await runOrder(split)));
    const splitPerms = permutations(split);
    let splitSame = 0;
    for (const p of splitPerms)
      if (JSON.stringify(await canonicalStore(await runOrder(p))) === splitReference) splitSame++;
    orders += `; app split children/roots: ${splitSame}/${splitPerms.length}`;
    if (splitSame !== splitPerms.length) failed = true;
  }
  if (sc.truth.exact && (links.precision < 1 || links.recall < 1)) failed = true;
  process.stdout.write(
    `${sc.name}\n  ${sc.description}\n  links      ${fmt(links)}\n  links≥0.5  ${fmt(confident)}\n  diagnoses  ${fmt(diags)}\n  ${orders}\n`,
  );
}
process.exitCode = failed ? 1 : 0;
