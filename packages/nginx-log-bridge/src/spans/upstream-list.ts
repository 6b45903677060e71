import { present } from './logged-values.js';

/**
 * A `$upstream_*` list as {@link upstreamList} gives it: one value as it is, several as an array,
 * none as undefined (no empty array: reading past an array's end is a slow load in optimised code).
 */
export type UpstreamItems = string | readonly (string | undefined)[] | undefined;

// Shared result for the usual case (callers only read it).
const NO_GROUPS: readonly number[] = Object.freeze([]);

/**
 * A `$upstream_*` list → one entry per attempt (groups after ` : ` flattened), `-` → undefined;
 * a single value is returned as it is (read with {@link itemOf}).
 */
export function upstreamList(value: string | undefined): UpstreamItems {
  const v = present(value);
  if (v === undefined) return undefined;
  if (!v.includes(',') && !v.includes(' : ')) return v; // one attempt: no array
  const out: (string | undefined)[] = [];
  for (const group of v.split(' : ')) for (const item of group.split(', ')) out.push(present(item.trim()));
  return out;
}

/** {@link upstreamList} of a line with one attempt: the value as it is (a stray list then reads as no value). */
export function singleUpstream(value: string | undefined): UpstreamItems {
  return present(value);
}

/** Item `i` of an {@link upstreamList} result. */
export function itemOf(items: UpstreamItems, i: number): string | undefined {
  if (items === undefined) return undefined;
  if (typeof items === 'string') return i === 0 ? items : undefined;
  return i < items.length ? items[i] : undefined;
}

/** The group index of each attempt of a `$upstream_addr` list (0 before the first internal redirect). */
export function upstreamGroups(value: string): readonly number[] {
  if (!value.includes(' : ')) return NO_GROUPS;
  const out: number[] = [];
  value.split(' : ').forEach((group, g) => {
    for (const _ of group.split(', ')) out.push(g);
  });
  return out;
}
