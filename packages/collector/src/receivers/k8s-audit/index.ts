export { auditSpan, auditSpanName } from './audit-spans.js';
