import { createApp, VERSION } from './app.js';
import { ConfigError, loadConfig } from './config/config.js';
import { migrateToLatest, openDatabase } from './db/database.js';

const USAGE = `devflow ${VERSION}

Usage:
  devflow serve             API, dashboard, worker and scheduler in one process
  devflow worker            job workers only (run any number against PostgreSQL)
  devflow migrate           apply pending database migrations and exit
  devflow secrets rotate    re-encrypt every secret under a new key [--new-key KEY]
  devflow admin create      create an owner headless: --email E [--name N] [--organization O]
  devflow admin grant       make an existing user an installation administrator: --email E
                            (password from DEVFLOW_ADMIN_PASSWORD or standard input)

Configuration comes from DEVFLOW_* environment variables (see README).`;

async function runServer(role: 'serve' | 'worker'): Promise<void> {
  const config = loadConfig();
  const app = await createApp(config, { role });
  const address = await app.start();
  app.logger.info({ role, address, database: config.database.kind, version: VERSION }, `devflow ${role} started`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    app.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        app.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

async function main(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  switch (command) {
    case 'serve':
    case 'worker':
      await runServer(command);
      return -1; // keep running
    case 'migrate': {
      const db = openDatabase(loadConfig().database);
      try {
        const applied = await migrateToLatest(db);
        console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'The database is up to date.');
      } finally {
        await db.destroy();
      }
      return 0;
    }
    case 'admin':
      // Maintenance commands are loaded only when run: `serve` never holds them (or readline).
      if (sub === 'create') return (await import('./cli/admin-create.command.js')).runAdminCreate(loadConfig(), rest);
      if (sub === 'grant') return (await import('./cli/admin-grant.command.js')).runAdminGrant(loadConfig(), rest);
      break;
    case 'secrets':
      if (sub === 'rotate') return (await import('./cli/secrets-rotate.command.js')).runSecretsRotate(loadConfig(), rest);
      break;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    case '--version':
      console.log(VERSION);
      return 0;
  }
  console.error(`Unknown command: ${argv.join(' ')}\n\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    console.error(`devflow: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
