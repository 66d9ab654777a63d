/**
 * Framework recipes of the release strategy (Deployer's recipes are the
 * reference): what is shared between releases, what the web user must be
 * able to write, and the commands before and after the switch.
 */
import type { Detection, Framework } from '@devflow/contracts';

/** A command of a deployment, run in the release directory. */
export interface PlannedCommand {
  /** What the log shows, e.g. `artisan migrate`. */
  label: string;
  argv: readonly string[];
  /** `web` runs as the web server's user, so files it writes (caches, logs) stay writable for PHP. */
  runAs: 'deploy' | 'web';
  /** Skip unless a path exists in the release, or a command is installed. */
  when?: { exists: string } | { command: string };
}

/** The recipe of one framework. */
export interface FrameworkTemplate {
  framework: Framework;
  /** The dotenv file DevFlow writes into shared/, or null when the framework reads none. */
  envFile: string | null;
  sharedDirs: string[];
  sharedFiles: string[];
  /** Directories created inside shared/ (e.g. Laravel's storage tree). */
  sharedSkeleton: string[];
  writableDirs: string[];
  /** Symlinks inside the release: link → target (relative to the link). */
  links: { link: string; target: string }[];
  preSwitch(d: Detection | null): PlannedCommand[];
  postSwitch(d: Detection | null): PlannedCommand[];
}

const php = (label: string, args: string[], extra: Partial<PlannedCommand> = {}): PlannedCommand => ({ label, argv: ['php', ...args], runAs: 'web', ...extra });
const artisan = (...args: string[]) => php(`artisan ${args[0]}`, ['artisan', ...args]);
const consoleCmd = (...args: string[]) => php(`console ${args[0]}`, ['bin/console', ...args, '--no-interaction']);

const laravel: FrameworkTemplate = {
  framework: 'laravel',
  envFile: '.env',
  sharedDirs: ['storage'],
  sharedFiles: ['.env'],
  sharedSkeleton: ['storage/app/public', 'storage/framework/cache/data', 'storage/framework/sessions', 'storage/framework/views', 'storage/logs'],
  writableDirs: ['bootstrap/cache', 'storage'],
  // What `artisan storage:link` makes, without giving PHP write access to public/.
  links: [{ link: 'public/storage', target: '../storage/app/public' }],
  preSwitch(d) {
    const cmds: PlannedCommand[] = [{ ...artisan('migrate', '--force'), when: { exists: 'database/migrations' } }];
    if (d?.multiTenancy === 'stancl') cmds.push(artisan('tenants:migrate', '--force'));
    if (d?.multiTenancy === 'spatie') {
      cmds.push(php('artisan migrate (landlord)', ['artisan', 'migrate', '--path=database/migrations/landlord', '--database=landlord', '--force']));
      cmds.push(php('artisan tenants:artisan migrate', ['artisan', 'tenants:artisan', 'migrate --database=tenant --force']));
    }
    cmds.push(artisan('optimize'));
    return cmds;
  },
  postSwitch: () => [artisan('queue:restart')],
};

const symfony: FrameworkTemplate = {
  framework: 'symfony',
  envFile: '.env.local',
  sharedDirs: ['var/log'],
  sharedFiles: ['.env.local'],
  sharedSkeleton: [],
  writableDirs: ['var'],
  links: [],
  preSwitch(d) {
    const cmds = [consoleCmd('cache:clear'), consoleCmd('cache:warmup')];
    if (d?.signals.some((s) => s.includes('doctrine/doctrine-migrations-bundle'))) {
      cmds.push(consoleCmd('doctrine:migrations:migrate', '--allow-no-migration'));
    }
    return cmds;
  },
  postSwitch: () => [],
};

const shopware: FrameworkTemplate = {
  framework: 'shopware',
  envFile: '.env.local',
  sharedDirs: ['config/jwt', 'files', 'var/log', 'public/media', 'public/thumbnail', 'public/sitemap'],
  sharedFiles: ['.env.local', 'install.lock'],
  sharedSkeleton: [],
  writableDirs: ['var', 'public/theme', 'public/bundles', 'files', 'public/media', 'public/thumbnail', 'public/sitemap'],
  links: [],
  preSwitch: () => [
    consoleCmd('database:migrate', '--all'),
    consoleCmd('plugin:refresh'),
    consoleCmd('theme:compile'),
    consoleCmd('assets:install'),
    consoleCmd('cache:clear'),
    consoleCmd('cache:warmup'),
  ],
  postSwitch: () => [],
};

const wpUpdateDb: PlannedCommand = { label: 'wp core update-db', argv: ['wp', 'core', 'update-db'], runAs: 'web', when: { command: 'wp' } };

const wordpress: FrameworkTemplate = {
  framework: 'wordpress',
  // wp-config.php is shared; a .env beside it serves plugins that read one (nginx never serves dotfiles).
  envFile: '.env',
  sharedDirs: ['wp-content/uploads'],
  sharedFiles: ['wp-config.php', '.env'],
  sharedSkeleton: [],
  writableDirs: ['wp-content/uploads'],
  links: [],
  preSwitch: () => [wpUpdateDb],
  postSwitch: () => [],
};

const bedrock: FrameworkTemplate = {
  framework: 'bedrock',
  envFile: '.env',
  sharedDirs: ['web/app/uploads'],
  sharedFiles: ['.env'],
  sharedSkeleton: [],
  writableDirs: ['web/app/uploads'],
  links: [],
  preSwitch: () => [{ ...wpUpdateDb, argv: ['wp', 'core', 'update-db', '--path=web/wp'] }],
  postSwitch: () => [],
};

const genericPhp: FrameworkTemplate = {
  framework: 'php',
  envFile: '.env',
  sharedDirs: [],
  sharedFiles: ['.env'],
  sharedSkeleton: [],
  writableDirs: [],
  links: [],
  preSwitch: () => [],
  postSwitch: () => [],
};

const staticSite: FrameworkTemplate = { ...genericPhp, framework: 'static', envFile: null, sharedFiles: [] };
const dockerfile: FrameworkTemplate = { ...staticSite, framework: 'dockerfile' };

const templates: Record<Framework, FrameworkTemplate> = { laravel, symfony, shopware, wordpress, bedrock, php: genericPhp, static: staticSite, dockerfile };

/** The recipe of a framework. */
export function templateFor(framework: Framework): FrameworkTemplate {
  return templates[framework];
}
