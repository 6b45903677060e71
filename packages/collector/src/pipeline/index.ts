export { estimateSpansSize } from './estimate-size.js';
export type { Pipeline, PipelineOptions } from './pipeline.js';
export { createPipeline } from './pipeline.js';
export type { StorageWriter, StorageWriterOptions } from './storage-writer.js';
export { createStorageWriter } from './storage-writer.js';
