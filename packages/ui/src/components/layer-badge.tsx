import { LAYER_LABEL, LAYER_TITLE } from '../model/layers.js';
import type { Layer } from '../model/types.js';

/** The lane label of a layer, in the layer's colour (the same on every page). */
export function LayerBadge(props: { layer: Layer; count?: number }) {
  return (
    <span class={`layer-badge layer-${props.layer}`} title={LAYER_TITLE[props.layer]}>
      {LAYER_LABEL[props.layer]}
      {props.count !== undefined ? ` ${props.count}` : ''}
    </span>
  );
}

/** Spans per layer, as coloured counts (search results, summaries). */
export function LayerCounts(props: { counts: Partial<Record<Layer, number>> }) {
  const order: Layer[] = ['ingress', 'app', 'control-plane'];
  return (
    <span class="layer-counts">
      {order
        .filter((l) => (props.counts[l] ?? 0) > 0)
        .map((l) => (
          <LayerBadge key={l} layer={l} count={props.counts[l]} />
        ))}
    </span>
  );
}
