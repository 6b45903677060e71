import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

function toRegex(pattern: string): RegExp {
  let source = '^';
  for (const c of pattern) {
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`${source}$`);
}

/**
 * Expands file arguments: a plain path stays as it is (even when missing, to be picked up once it
 * appears); `*` and `?` are allowed in the last path segment (`/var/log/containers/*ingress*.log`).
 * Sorted, without duplicates.
 */
export function expandPatterns(patterns: readonly string[]): string[] {
  const out = new Set<string>();
  for (const p of patterns) {
    const base = basename(p);
    if (!/[*?]/.test(base)) {
      out.add(p);
      continue;
    }
    const dir = dirname(p);
    const re = toRegex(base);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      if (!re.test(name)) continue;
      const full = join(dir, name);
      try {
        if (statSync(full).isFile()) out.add(full);
      } catch {
        // vanished between readdir and stat
      }
    }
  }
  return [...out].sort();
}

/** Finds a file in `dir` with the given device and inode (a file renamed by rotation). */
export function findByInode(dir: string, dev: number, ino: number): string | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  for (const name of names) {
    try {
      const st = statSync(join(dir, name));
      if (st.ino === ino && st.dev === dev && st.isFile()) return join(dir, name);
    } catch {
      // vanished
    }
  }
  return undefined;
}
