import type { Test } from 'tap';

// A tiny mocha-style harness (describe / it / it.skip / beforeEach) on top of tap, enough for the
// OpenTracing package's apiCompatibilityChecks, which are written for mocha.
interface Suite {
  name: string;
  beforeEach: (() => void)[];
  tests: { name: string; fn?: () => void; skip: boolean }[];
  suites: Suite[];
}

type Globals = Record<'describe' | 'it' | 'beforeEach', unknown>;

/** Collects the suites `register` declares, then runs them as tap subtests of `t`. */
export async function runMochaStyle(t: Test, register: () => void): Promise<void> {
  const rootSuite: Suite = { name: 'root', beforeEach: [], tests: [], suites: [] };
  let current = rootSuite;
  const g = globalThis as unknown as Globals;
  const saved = { describe: g.describe, it: g.it, beforeEach: g.beforeEach };
  const it = (name: string, fn: () => void) => current.tests.push({ name, fn, skip: false });
  it.skip = (name: string) => current.tests.push({ name, skip: true });
  g.describe = (name: string, fn: () => void) => {
    const suite: Suite = { name, beforeEach: [], tests: [], suites: [] };
    current.suites.push(suite);
    const parent = current;
    current = suite;
    try {
      fn();
    } finally {
      current = parent;
    }
  };
  g.it = it;
  g.beforeEach = (fn: () => void) => current.beforeEach.push(fn);
  try {
    register();
  } finally {
    Object.assign(g, saved);
  }
  const run = async (tt: Test, suite: Suite, hooks: (() => void)[]): Promise<void> => {
    const all = [...hooks, ...suite.beforeEach];
    for (const test of suite.tests) {
      if (test.skip) {
        // We run every check: a check the suite skips is a failure here.
        tt.fail(`${test.name}: skipped`);
        continue;
      }
      await tt.test(test.name, async (x) => {
        for (const h of all) h();
        x.doesNotThrow(() => test.fn?.(), test.name);
      });
    }
    for (const child of suite.suites) await tt.test(child.name, (x) => run(x, child, all));
  };
  await run(t, rootSuite, []);
}
