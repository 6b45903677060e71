export type { LayerProcessorOptions } from './layer-processor.js';
export { createLayerProcessor, inferLayer } from './layer-processor.js';
