// jaeger-ui's trace page keys, so hands that know them work here.
import { pan, type Range, zoom } from './time-axis.js';

export interface Shortcut {
  keys: string[];
  action: ShortcutAction;
  label: string;
}

export type ShortcutAction =
  | 'scrollPageDown'
  | 'scrollPageUp'
  | 'nextSpan'
  | 'prevSpan'
  | 'panLeft'
  | 'panLeftFast'
  | 'panRight'
  | 'panRightFast'
  | 'zoomIn'
  | 'zoomInFast'
  | 'zoomOut'
  | 'zoomOutFast'
  | 'collapseAll'
  | 'expandAll'
  | 'collapseOne'
  | 'expandOne'
  | 'search'
  | 'clear'
  | 'help';

/** How each pan and zoom key moves the shown window (jaeger-ui's steps). */
export const VIEW_MOVES: Partial<Record<ShortcutAction, (range: Range) => Range>> = {
  panLeft: (r) => pan(r, -0.05),
  panLeftFast: (r) => pan(r, -0.25),
  panRight: (r) => pan(r, 0.05),
  panRightFast: (r) => pan(r, 0.25),
  zoomIn: (r) => zoom(r, 0.9),
  zoomInFast: (r) => zoom(r, 0.5),
  zoomOut: (r) => zoom(r, 1.1),
  zoomOutFast: (r) => zoom(r, 2),
};

export const SHORTCUTS: Shortcut[] = [
  { keys: ['s'], action: 'scrollPageDown', label: 'Scroll down' },
  { keys: ['w'], action: 'scrollPageUp', label: 'Scroll up' },
  { keys: ['f'], action: 'nextSpan', label: 'Next visible span (next match while searching)' },
  { keys: ['b'], action: 'prevSpan', label: 'Previous visible span (previous match)' },
  { keys: ['a', 'ArrowLeft'], action: 'panLeft', label: 'Pan left' },
  { keys: ['A', 'shift+ArrowLeft'], action: 'panLeftFast', label: 'Pan left — large' },
  { keys: ['d', 'ArrowRight'], action: 'panRight', label: 'Pan right' },
  { keys: ['D', 'shift+ArrowRight'], action: 'panRightFast', label: 'Pan right — large' },
  { keys: ['ArrowUp'], action: 'zoomIn', label: 'Zoom in' },
  { keys: ['shift+ArrowUp'], action: 'zoomInFast', label: 'Zoom in — large' },
  { keys: ['ArrowDown'], action: 'zoomOut', label: 'Zoom out' },
  { keys: ['shift+ArrowDown'], action: 'zoomOutFast', label: 'Zoom out — large' },
  { keys: [']'], action: 'collapseAll', label: 'Collapse all' },
  { keys: ['['], action: 'expandAll', label: 'Expand all' },
  { keys: ['p'], action: 'collapseOne', label: 'Collapse one level' },
  { keys: ['o'], action: 'expandOne', label: 'Expand one level' },
  { keys: ['ctrl+b'], action: 'search', label: 'Search spans' },
  { keys: ['Escape'], action: 'clear', label: 'Clear the search, close the span detail' },
  { keys: ['?'], action: 'help', label: 'This help' },
];

/** The key of an event as written in SHORTCUTS. */
export function keyName(e: KeyboardEvent): string {
  const base = e.key;
  if (e.ctrlKey || e.metaKey) return `ctrl+${base.toLowerCase()}`;
  if (e.shiftKey && base.startsWith('Arrow')) return `shift+${base}`;
  return base;
}

export function actionFor(e: KeyboardEvent): ShortcutAction | undefined {
  const k = keyName(e);
  return SHORTCUTS.find((s) => s.keys.includes(k))?.action;
}
