// Least privilege, derived from the code: the ClusterRole grants get/list/watch on exactly the
// collections `--k8s-watch` watches (the collector's DEFAULT_WATCH_PATHS), the Role exactly the
// Lease verbs its leader election uses, and nothing else is bound.
import { DEFAULT_WATCH_PATHS, leaseRbacRules, watchRbacRules } from '@crosstrace/collector';
import t from 'tap';
import { find, type K8sObject, OVERLAYS, podSpec, render, workloads } from './helpers/render.js';

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };

/** (group, resource, verb) triples: rules compared by what they grant, not how they are grouped. */
function grants(rules: Rule[]): string[] {
  const out = new Set<string>();
  for (const r of rules)
    for (const g of r.apiGroups)
      for (const res of r.resources) for (const v of r.verbs) out.add(`${g}|${res}|${v}`);
  return [...out].sort();
}

for (const overlay of OVERLAYS) {
  t.test(`${overlay}: RBAC equals what the code watches and elects with`, async (t) => {
    const objects = render(`overlays/${overlay}`);
    const [role] = find(objects, 'ClusterRole', 'crosstrace');
    t.ok(DEFAULT_WATCH_PATHS.length >= 6);
    t.same(grants(role.rules), grants(watchRbacRules()), 'ClusterRole = the watch list');
    const [lease] = find(objects, 'Role', 'crosstrace-leader-election');
    t.same(grants(lease.rules), grants(leaseRbacRules()), 'Role = the Lease verbs');
    for (const r of [...role.rules, ...lease.rules] as Rule[]) {
      t.notOk(
        r.verbs.includes('*') || r.resources.includes('*') || r.apiGroups.includes('*'),
        'no wildcards',
      );
      t.notOk(r.resources.includes('secrets') || r.resources.includes('configmaps'));
    }
    // who gets them: the DaemonSet's ServiceAccount, and only it
    const bindings = [...find(objects, 'ClusterRoleBinding'), ...find(objects, 'RoleBinding')];
    t.equal(bindings.length, 2);
    for (const b of bindings)
      t.same(b.subjects, [{ kind: 'ServiceAccount', name: 'crosstrace', namespace: 'crosstrace' }]);
    for (const w of workloads(objects)) {
      const sa = podSpec(w).serviceAccountName;
      if (w.kind === 'DaemonSet') t.equal(sa, 'crosstrace');
      else {
        t.equal(sa, 'crosstrace-gateway', 'gateways run under their own account');
        const [account] = find(objects, 'ServiceAccount', sa);
        t.equal(account.automountServiceAccountToken, false, 'without an API token');
      }
    }
    // the collectors that watch are the ones holding the role
    for (const w of workloads(objects)) {
      const args: string[] = podSpec(w).containers[0].args ?? [];
      t.equal(args.includes('--k8s-watch'), w.kind === 'DaemonSet', `${w.kind} watches only if it may`);
      if (args.includes('--k8s-watch')) t.ok(args.includes('--leader-election'), 'one watch for N nodes');
    }
  });
}

t.test('the comparison sees a missing or an extra grant', async (t) => {
  const rules = watchRbacRules();
  const fewer = rules.map((r: Rule) => ({ ...r, resources: r.resources.slice(1) }));
  t.not(grants(fewer).join(), grants(rules).join());
  const more: K8sObject[] = [...rules, { apiGroups: [''], resources: ['secrets'], verbs: ['get'] }];
  t.not(grants(more as Rule[]).join(), grants(rules).join());
});
