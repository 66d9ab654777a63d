#!/usr/bin/env node
import type { ApiToken, AuditEvent, Me, Organization, Page } from '@devflow/contracts';
import { ApiError, DevflowClient } from './client.js';
import { DeployCommands, parseArgs, table, UsageError, type Args } from './deploy-commands.js';

const USAGE = `devflow-cli — the DevFlow Pro API from a terminal

Environment: DEVFLOW_URL (default http://127.0.0.1:3000), DEVFLOW_TOKEN (an API token, dfp_…)

Commands:
  whoami                              the token's user and organizations
  orgs                                organizations you belong to
  tokens                              your API tokens
  audit [--action PREFIX]             recent audit events you may read
  servers [--org ORG_ID]              servers with their status
  projects [--org ORG_ID]             projects with their framework
  envs PROJECT_ID                     a project's environments
  releases ENV_ID                     an environment's kept releases (the live one marked)
  deploy ENV_ID [--ref REF] [--detach]
                                      start a deployment and stream its log to the end;
                                      exit 0 when it succeeded, 1 when it failed or was cancelled
  rollback ENV_ID [--release ID] [--detach]
                                      re-activate a kept release (default: the previous one)
  logs DEPLOYMENT_ID [--follow]       a deployment's log (--follow: until it ends)
  cancel DEPLOYMENT_ID                cancel a deployment in any state
`;

const FLAGS = ['detach', 'follow'];

async function account(client: DevflowClient, command: string, args: Args): Promise<number | undefined> {
  switch (command) {
    case 'whoami': {
      const me = await client.request<Me>('GET', '/api/v1/me');
      console.log(`${me.user.name} <${me.user.email}>${me.user.twoFactorEnabled ? ' (2FA on)' : ''}`);
      for (const m of me.memberships) console.log(`  ${m.role.padEnd(9)} ${m.organizationName} (${m.organizationId})`);
      return 0;
    }
    case 'orgs': {
      const page = await client.request<Page<Organization>>('GET', '/api/v1/organizations');
      console.log(table([['ID', 'NAME', 'ROLE'], ...page.data.map((o) => [o.id, o.name, o.role])]));
      return 0;
    }
    case 'tokens': {
      const page = await client.request<Page<ApiToken>>('GET', '/api/v1/tokens');
      console.log(table([['ID', 'NAME', 'ABILITIES', 'LAST USED'], ...page.data.map((t) => [t.id, t.name, t.abilities.join(','), t.lastUsedAt ?? 'never'])]));
      return 0;
    }
    case 'audit': {
      const action = args.options.get('action');
      const q = typeof action === 'string' ? `?action=${encodeURIComponent(action)}` : '';
      const page = await client.request<Page<AuditEvent>>('GET', `/api/v1/audit-events${q}`);
      console.log(table([['WHEN', 'ACTION', 'ACTOR', 'TARGET'], ...page.data.map((e) => [e.createdAt, e.action, e.actorEmail ?? '-', e.targetId ?? '-'])]));
      return 0;
    }
    default:
      return undefined;
  }
}

const DEPLOY_COMMANDS = ['servers', 'projects', 'envs', 'releases', 'deploy', 'rollback', 'logs', 'cancel'] as const;
type DeployCommand = (typeof DEPLOY_COMMANDS)[number];
const isDeployCommand = (c: string): c is DeployCommand => (DEPLOY_COMMANDS as readonly string[]).includes(c);

export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help') {
    console.log(USAGE);
    return 0;
  }
  const token = env.DEVFLOW_TOKEN;
  if (!token) {
    console.error('Set DEVFLOW_TOKEN to an API token (create one under Account → API tokens).');
    return 2;
  }
  const url = env.DEVFLOW_URL ?? 'http://127.0.0.1:3000';
  const client = new DevflowClient(url, token);
  const args = parseArgs(rest, FLAGS);
  try {
    const done = await account(client, command, args);
    if (done !== undefined) return done;
    if (isDeployCommand(command)) {
      const commands = new DeployCommands(client, (l) => console.log(l), (l) => console.error(l));
      return await commands[command](args);
    }
    console.error(`Unknown command ${command}.\n\n${USAGE}`);
    return 2;
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`devflow-cli: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    if (err instanceof ApiError) {
      console.error(`devflow-cli: ${err.message}${err.problem.code ? ` (${err.problem.code})` : ''}`);
      return 1;
    }
    if (err instanceof TypeError) {
      console.error(`devflow-cli: cannot reach ${url} (${err.message}). Is DevFlow running?`);
      return 1;
    }
    throw err;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
