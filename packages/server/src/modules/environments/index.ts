/**
 * Public entry of environments: services, routes and row types, wired by the
 * deployments module. Other modules import only from here
 * (eslint.config.js).
 */
export { registerEnvironmentRoutes } from './environments.routes.js';
export { environmentHostname, EnvironmentService, openBasedirOf } from './environments.service.js';
export type { EnvironmentRow } from './environments.service.js';
export { VariablesService } from './variables.service.js';
export { DeleteEnvironmentCommand } from './delete-environment.command.js';
