import type { Deployment, Environment, LogLine, Page, Project, Release, Server } from '@devflow/contracts';
import type { DevflowClient } from './client.js';
import { followLog } from './follow.js';

/** Parsed arguments: positionals and `--name value` / `--flag` options. */
export interface Args {
  positional: string[];
  options: Map<string, string | true>;
}

/** Splits argv into positionals and options; a `--flag` in `flags` takes no value. */
export function parseArgs(argv: string[], flags: readonly string[] = []): Args {
  const positional: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) positional.push(a);
    else if (flags.includes(a.slice(2))) options.set(a.slice(2), true);
    else options.set(a.slice(2), argv[++i] ?? '');
  }
  return { positional, options };
}

/** A usage mistake: printed with the usage line, exit code 2. */
export class UsageError extends Error {}

function option(args: Args, name: string): string | undefined {
  const v = args.options.get(name);
  if (v === true) throw new UsageError(`--${name} needs a value.`);
  return v;
}

function required(args: Args, index: number, what: string): string {
  const v = args.positional[index];
  if (!v) throw new UsageError(`Missing ${what}.`);
  return v;
}

export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

const short = (commit: string | null) => (commit ? commit.slice(0, 8) : '-');
const seconds = (from: string | null, to: string | null) => (from && to ? `${((Date.parse(to) - Date.parse(from)) / 1000).toFixed(1)} s` : '-');
const q = (organizationId: string | undefined) => (organizationId ? `?organizationId=${encodeURIComponent(organizationId)}` : '');

/** The commands about servers, projects, environments and deployments. */
export class DeployCommands {
  constructor(
    private readonly client: DevflowClient,
    private readonly out: (line: string) => void,
    private readonly err: (line: string) => void,
  ) {}

  async servers(args: Args): Promise<number> {
    const page = await this.client.request<Page<Server>>('GET', `/api/v1/servers${q(option(args, 'org'))}`);
    this.out(table([['ID', 'NAME', 'HOST', 'STATUS', 'LAST SEEN'], ...page.data.map((s) => [s.id, s.name, `${s.host}:${s.port}`, s.status, s.lastSeenAt ?? 'never'])]));
    return 0;
  }

  async projects(args: Args): Promise<number> {
    const page = await this.client.request<Page<Project>>('GET', `/api/v1/projects${q(option(args, 'org'))}`);
    this.out(table([['ID', 'NAME', 'FRAMEWORK', 'REPOSITORY'], ...page.data.map((p) => [p.id, p.name, p.framework ?? '-', p.repositoryUrl])]));
    return 0;
  }

  async envs(args: Args): Promise<number> {
    const projectId = required(args, 0, 'the project id (see `devflow-cli projects`)');
    const page = await this.client.request<Page<Environment>>('GET', `/api/v1/projects/${encodeURIComponent(projectId)}/environments`);
    this.out(
      table([
        ['ID', 'NAME', 'BRANCH', 'SERVERS', 'HOSTNAME', 'APPROVAL'],
        ...page.data.map((e) => [e.id, e.name, e.branch, String(e.serverIds.length), e.hostname, e.requiresApproval ? 'required' : '-']),
      ]),
    );
    return 0;
  }

  async releases(args: Args): Promise<number> {
    const envId = required(args, 0, 'the environment id (see `devflow-cli envs PROJECT_ID`)');
    const env = await this.client.request<Environment>('GET', `/api/v1/environments/${encodeURIComponent(envId)}`);
    const page = await this.client.request<Page<Release>>('GET', `/api/v1/environments/${encodeURIComponent(envId)}/releases`);
    this.out(
      table([
        ['ID', 'COMMIT', 'STATUS', 'CREATED', 'MESSAGE'],
        ...page.data.map((r) => [r.id, short(r.commit), r.id === env.currentReleaseId ? 'live' : r.status, r.createdAt, r.message ?? '']),
      ]),
    );
    return 0;
  }

  /** Starts a deployment and, unless --detach, follows its log to the end: exit 0 only when it succeeded. */
  async deploy(args: Args): Promise<number> {
    const envId = required(args, 0, 'the environment id (see `devflow-cli envs PROJECT_ID`)');
    const ref = option(args, 'ref');
    const d = await this.client.request<Deployment>('POST', `/api/v1/environments/${encodeURIComponent(envId)}/deployments`, ref ? { ref } : {});
    this.out(`Deployment ${d.id} ${d.status}${d.status === 'awaiting_approval' ? ': an admin must approve it' : ''}.`);
    return args.options.has('detach') ? 0 : this.follow(d.id);
  }

  async rollback(args: Args): Promise<number> {
    const envId = required(args, 0, 'the environment id');
    const releaseId = option(args, 'release');
    const d = await this.client.request<Deployment>('POST', `/api/v1/environments/${encodeURIComponent(envId)}/rollback`, releaseId ? { releaseId } : {});
    this.out(`Rollback ${d.id} to ${short(d.commit)} ${d.status}.`);
    return args.options.has('detach') ? 0 : this.follow(d.id);
  }

  async cancel(args: Args): Promise<number> {
    const id = required(args, 0, 'the deployment id');
    const d = await this.client.request<Deployment>('POST', `/api/v1/deployments/${encodeURIComponent(id)}/cancel`);
    this.out(`Deployment ${d.id} ${d.status === 'running' ? 'is stopping' : d.status}.`);
    return 0;
  }

  /** Prints a deployment's log; with --follow, streams it until the deployment ends. */
  async logs(args: Args): Promise<number> {
    const id = required(args, 0, 'the deployment id');
    if (args.options.has('follow')) return this.follow(id);
    const body = await this.client.text('GET', `/api/v1/deployments/${encodeURIComponent(id)}/logs`);
    for (const text of body.split('\n')) if (text) this.printLine(JSON.parse(text) as LogLine);
    return 0;
  }

  private printLine(l: LogLine): void {
    const line = `[${l.step}] ${l.line}`;
    if (l.stream === 'stderr') this.err(line);
    else this.out(line);
  }

  private async follow(id: string): Promise<number> {
    const status = await followLog(this.client, id, { onLine: (l) => this.printLine(l) });
    const d = await this.client.request<Deployment>('GET', `/api/v1/deployments/${encodeURIComponent(id)}`);
    this.out('');
    this.out(table([['STEP', 'STATUS', 'TIME', 'EXIT'], ...d.steps.map((s) => [s.name, s.status, seconds(s.startedAt, s.finishedAt), s.exitCode === null ? '' : String(s.exitCode)])]));
    this.out('');
    if (status === 'succeeded') {
      this.out(`Deployment ${id} succeeded: ${short(d.commit)} is live (${seconds(d.startedAt, d.finishedAt)}).`);
      return 0;
    }
    this.err(`Deployment ${id} ${status}${d.error ? `: ${d.error}` : '.'}`);
    return 1;
  }
}
