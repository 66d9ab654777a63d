export * from './common.js';
export * from './system.js';
