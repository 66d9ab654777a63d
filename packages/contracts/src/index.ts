export * from './common.js';
export * from './system.js';
export * from './identity.js';
export * from './servers.js';
