import type { Framework } from '@devflow/contracts';

export const FRAMEWORK_LABEL: Record<Framework, string> = {
  laravel: 'Laravel',
  symfony: 'Symfony',
  shopware: 'Shopware',
  wordpress: 'WordPress',
  bedrock: 'Bedrock (WordPress)',
  php: 'PHP',
  static: 'Static site',
  dockerfile: 'Dockerfile',
};
