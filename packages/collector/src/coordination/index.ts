export type { LeaderElectionOptions } from './leader-election.js';
export { LeaderElector } from './leader-election.js';
export type { PolicyRule } from './rbac.js';
export { groupResourceOfPath, leaseRbacRules, WATCH_VERBS, watchRbacRules } from './rbac.js';
