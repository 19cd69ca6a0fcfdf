export * from './context.js';
export * from './span.js';
export * from './export.js';
export * from './proxy.js';
