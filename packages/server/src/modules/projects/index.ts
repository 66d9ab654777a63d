/**
 * Public entry of projects: services, routes, detection and repository
 * rules, wired by the deployments module. Other modules import only from
 * here (eslint.config.js).
 */
export { ProjectDetector } from './project-detector.js';
export { registerProjectRoutes } from './projects.routes.js';
export { presentProject, ProjectService } from './projects.service.js';
export type { ProjectRow } from './projects.service.js';
export { allowedProtocols } from './repository-url.js';
