export * from './values.js';
export * from './common.js';
export * from './system.js';
export * from './identity.js';
export * from './servers.js';
export * from './deployments.js';
export * from './domains.js';
