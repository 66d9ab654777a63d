/**
 * The closed lists of the API as plain constants, free of zod, so a client
 * bundle can import them without the schemas (which build their enums from
 * these). Order matters where a list is shown or run in order.
 */

/** Organization roles, highest first. */
export const roleNames = ['owner', 'admin', 'developer', 'viewer'] as const;

/** What an API token may do. */
export const abilityNames = ['read', 'write', 'deploy', 'secrets:read', 'admin', 'metrics:read'] as const;

/** Frameworks detection can name, in the order a picker shows them. */
export const frameworkNames = ['laravel', 'symfony', 'shopware', 'wordpress', 'bedrock', 'php', 'static', 'dockerfile'] as const;

/** Every provisioning step, in the order a run executes them. */
export const provisionStepNames = [
  'layout',
  'base-packages',
  'nginx',
  'php-fpm',
  'composer',
  'docker',
  'restic',
  'ufw',
  'fail2ban',
  'unattended-upgrades',
] as const;
