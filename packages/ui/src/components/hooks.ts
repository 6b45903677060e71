// Small hooks several pages share.
import type { RefObject } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useApp } from '../context.js';

/** The element's width in CSS pixels, kept current by a ResizeObserver (0 before the first layout). */
export function useWidth(ref: RefObject<HTMLElement | null>): number {
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const node = ref.current;
    if (node === null) return;
    setWidth(node.clientWidth);
    const ro = new ResizeObserver(() => setWidth(node.clientWidth));
    ro.observe(node);
    return () => ro.disconnect();
  }, []);
  return width;
}

/** The collector's service names (empty until they arrive, or when asking fails). */
export function useServices(): string[] {
  const { api } = useApp();
  const [services, setServices] = useState<string[]>([]);
  useEffect(() => {
    api
      .get<{ services: string[] }>('/api/v3/services')
      .then((r) => setServices(r.services ?? []))
      .catch(() => setServices([]));
  }, []);
  return services;
}
