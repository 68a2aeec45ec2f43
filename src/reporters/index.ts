// Public surface of the reporters: pure renderers plus the one writer.
export { renderMarkdown } from './markdown.js';
export { renderJson } from './json.js';
export { renderJUnit } from './junit.js';
export { renderHtml } from './html.js';
export { writeReports, REPORT_FILES, REPORT_FORMATS, RENDERERS } from './write.js';
export type { ReportFormat, Renderer, WriteReportsOptions } from './write.js';
export { statusLabel, statusWord, STATUS_ICON, STATUS_ORDER } from './common.js';
