/**
 * Public entry of deployments: what other modules call (wiring is
 * deployments.module.ts). Other modules import only from here
 * (eslint.config.js).
 */
export type { DeploymentService } from './deployments.service.js';
export type { EnvironmentTeardown } from './environment-teardown.js';
