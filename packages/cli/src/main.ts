#!/usr/bin/env node
import { ApiError, DevflowClient } from './client.js';

const USAGE = `devflow-cli — the DevFlow Pro API from a terminal

Environment: DEVFLOW_URL (default http://127.0.0.1:3000), DEVFLOW_TOKEN (an API token, dfp_…)

Commands:
  whoami                    the token's user and organizations
  orgs                      organizations you belong to
  tokens                    your API tokens
  audit [--action PREFIX]   recent audit events you may read
`;

interface Me {
  user: { email: string; name: string; twoFactorEnabled: boolean };
  memberships: { organizationId: string; organizationName: string; role: string }[];
}
interface Page<T> {
  data: T[];
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

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
  const client = new DevflowClient(env.DEVFLOW_URL ?? 'http://127.0.0.1:3000', token);
  try {
    switch (command) {
      case 'whoami': {
        const me = await client.request<Me>('GET', '/api/v1/me');
        console.log(`${me.user.name} <${me.user.email}>${me.user.twoFactorEnabled ? ' (2FA on)' : ''}`);
        for (const m of me.memberships) console.log(`  ${m.role.padEnd(9)} ${m.organizationName} (${m.organizationId})`);
        return 0;
      }
      case 'orgs': {
        const page = await client.request<Page<{ id: string; name: string; role: string }>>('GET', '/api/v1/organizations');
        console.log(table([['ID', 'NAME', 'ROLE'], ...page.data.map((o) => [o.id, o.name, o.role])]));
        return 0;
      }
      case 'tokens': {
        const page = await client.request<Page<{ id: string; name: string; abilities: string[]; lastUsedAt: string | null }>>('GET', '/api/v1/tokens');
        console.log(table([['ID', 'NAME', 'ABILITIES', 'LAST USED'], ...page.data.map((t) => [t.id, t.name, t.abilities.join(','), t.lastUsedAt ?? 'never'])]));
        return 0;
      }
      case 'audit': {
        const i = rest.indexOf('--action');
        const q = i >= 0 ? `?action=${encodeURIComponent(rest[i + 1] ?? '')}` : '';
        const page = await client.request<Page<{ createdAt: string; action: string; actorEmail: string | null; targetId: string | null }>>('GET', `/api/v1/audit-events${q}`);
        console.log(table([['WHEN', 'ACTION', 'ACTOR', 'TARGET'], ...page.data.map((e) => [e.createdAt, e.action, e.actorEmail ?? '-', e.targetId ?? '-'])]));
        return 0;
      }
      default:
        console.error(`Unknown command ${command}.\n\n${USAGE}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof ApiError) {
      console.error(`devflow-cli: ${err.message}${err.problem.code ? ` (${err.problem.code})` : ''}`);
      return 1;
    }
    if (err instanceof TypeError) {
      console.error(`devflow-cli: cannot reach ${env.DEVFLOW_URL ?? 'http://127.0.0.1:3000'} (${err.message}). Is DevFlow running?`);
      return 1;
    }
    throw err;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run(process.argv.slice(2)).then((code) => (process.exitCode = code));
}
