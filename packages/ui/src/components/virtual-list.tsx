// Fixed-height rows, only those in view (plus a few) in the DOM: a scroll event costs the rows on
// screen, never the list's length. Row heights are fixed, so the row at any offset is one
// division away; that is why this is a few lines instead of a library.
import type { ComponentChildren, Ref } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';

export interface VirtualListProps {
  count: number;
  rowHeight: number;
  renderRow: (index: number) => ComponentChildren;
  overscan?: number;
  class?: string;
  /** scrolls so that this row is visible whenever it changes */
  scrollToIndex?: number;
  /** receives the scroll container (keyboard scrolling, measurements) */
  containerRef?: Ref<HTMLDivElement>;
  onRangeChange?: (first: number, last: number) => void;
  'data-testid'?: string;
}

export function VirtualList(props: VirtualListProps) {
  const { count, rowHeight } = props;
  const overscan = props.overscan ?? 8;
  const el = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  useLayoutEffect(() => {
    const node = el.current!;
    setHeight(node.clientHeight || 600);
    const ro = new ResizeObserver(() => setHeight(node.clientHeight || 600));
    ro.observe(node);
    return () => ro.disconnect();
  }, []);
  useEffect(() => {
    if (typeof props.containerRef === 'function') props.containerRef(el.current);
    else if (props.containerRef) props.containerRef.current = el.current;
  }, [props.containerRef]);
  useEffect(() => {
    const i = props.scrollToIndex;
    const node = el.current;
    if (i === undefined || i < 0 || node === null) return;
    const top = i * rowHeight;
    if (top < node.scrollTop || top + rowHeight > node.scrollTop + node.clientHeight) {
      node.scrollTop = Math.max(0, top - node.clientHeight / 3);
      setScrollTop(node.scrollTop);
    }
  }, [props.scrollToIndex, rowHeight]);
  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(count - 1, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  useEffect(() => {
    props.onRangeChange?.(first, last);
  }, [first, last]);
  // rows are keyed by slot, not by index: a row scrolled out is reused for the one scrolled in,
  // so scrolling patches a few text nodes and styles instead of building rows anew
  const slots = 2 ** Math.ceil(Math.log2(Math.max(64, last - first + 1)));
  const rows: ComponentChildren[] = [];
  for (let i = first; i <= last; i++) {
    rows.push(
      <div key={i % slots} class="vrow" style={{ top: `${i * rowHeight}px`, height: `${rowHeight}px` }}>
        {props.renderRow(i)}
      </div>,
    );
  }
  return (
    <div
      ref={el}
      class={`vlist ${props.class ?? ''}`}
      data-testid={props['data-testid']}
      onScroll={(e) => setScrollTop((e.currentTarget as HTMLDivElement).scrollTop)}
    >
      <div class="vlist-body" style={{ height: `${count * rowHeight}px` }}>
        {rows}
      </div>
    </div>
  );
}
