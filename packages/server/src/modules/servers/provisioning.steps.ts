import type { ProvisionStepName } from '@devflow/contracts';
import type { OsInfo } from '../../core/server-facts.js';
import type { ExecOptions, ExecResult } from '../../adapters/ssh/ssh-executor.js';

/** What a step did: changed the server, found it as wanted, or did not apply (with why). */
export type StepOutcome = { status: 'changed' | 'unchanged' | 'skipped'; reason?: string };

/** What a step may use: argv execution streamed into the run's log, and facts about the server. */
export interface StepContext {
  /** Runs argv on the server (as root: sudo -n for other users); output goes to the log. */
  exec(argv: string[], opts?: Pick<ExecOptions, 'stdin' | 'env' | 'timeoutMs' | 'check'>): Promise<ExecResult>;
  /** Runs argv and says whether it exited 0 (never throws for a non-zero exit). */
  test(argv: string[]): Promise<boolean>;
  log(line: string): void;
  os: OsInfo;
  phpVersion: string;
  serviceManager: 'systemd' | 'service';
  /** True inside a container: no firewall, no Docker engine, no fail2ban bans. */
  inContainer: boolean;
  /** SSH port DevFlow reaches the server on (kept open by the firewall). */
  sshPort: number;
  /** Runs `apt-get update` at most once per run. */
  aptUpdateOnce(): Promise<void>;
}

/** One idempotent provisioning step: it checks first and changes only what is missing. */
export interface ProvisionStep {
  /** One of the contract's `provisionStepNames`, which clients show in this order. */
  name: ProvisionStepName;
  run(ctx: StepContext): Promise<StepOutcome>;
}

const APT_ENV = { DEBIAN_FRONTEND: 'noninteractive', NEEDRESTART_MODE: 'a' };

/** Whether a Debian package is installed. */
export async function isInstalled(ctx: StepContext, pkg: string): Promise<boolean> {
  const res = await ctx.exec(['dpkg-query', '-W', '-f=${Status}', pkg], { check: false });
  return res.exitCode === 0 && /install ok installed/.test(res.stdout);
}

/** Installs the packages that are missing; says which it installed. */
export async function ensurePackages(ctx: StepContext, pkgs: readonly string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const p of pkgs) if (!(await isInstalled(ctx, p))) missing.push(p);
  if (!missing.length) return [];
  const install = ['apt-get', 'install', '-y', '-q', '--no-install-recommends', '-o', 'DPkg::Lock::Timeout=300', ...missing];
  const available = await ctx.exec(['apt-cache', 'show', '--no-all-versions', ...missing], { check: false });
  if (available.exitCode !== 0) await ctx.aptUpdateOnce();
  const res = await ctx.exec(install, { env: APT_ENV, timeoutMs: 20 * 60_000, check: false });
  if (res.exitCode !== 0) {
    const why = res.stderr.trim().split('\n').filter(Boolean).pop() ?? `exit ${res.exitCode}`;
    throw new Error(`apt-get could not install ${missing.join(', ')}: ${why}`);
  }
  return missing;
}

async function serviceRunning(ctx: StepContext, name: string): Promise<boolean> {
  return ctx.serviceManager === 'systemd'
    ? ctx.test(['systemctl', 'is-active', '--quiet', name])
    : ctx.test(['service', name, 'status']);
}

/** Starts (and enables, with systemd) a service unless it runs; says whether it had to. */
export async function ensureService(ctx: StepContext, name: string): Promise<boolean> {
  if (await serviceRunning(ctx, name)) return false;
  if (ctx.serviceManager === 'systemd') await ctx.exec(['systemctl', 'enable', '--now', name]);
  else await ctx.exec(['service', name, 'start']);
  if (!(await serviceRunning(ctx, name))) throw new Error(`${name} does not run after starting it; see its log on the server.`);
  return true;
}

/** Writes a file when its content differs; says whether it did. */
export async function ensureFile(ctx: StepContext, path: string, content: string, mode = '0644'): Promise<boolean> {
  const current = await ctx.exec(['cat', '--', path], { check: false });
  if (current.exitCode === 0 && current.stdout === content) return false;
  await ctx.exec(['install', '-d', '-m', '0755', '--', path.slice(0, path.lastIndexOf('/')) || '/']);
  // The content travels on stdin; the path is an argument of a fixed script, never part of it.
  await ctx.exec(['sh', '-c', 'umask 022; cat > "$1" && chmod "$2" "$1"', 'devflow-write', path, mode], { stdin: content });
  return true;
}

function outcome(changes: string[], unchanged: string): StepOutcome {
  return changes.length ? { status: 'changed', reason: changes.join('; ') } : { status: 'unchanged', reason: unchanged };
}

/** DevFlow's layout on every server: /srv/devflow with apps, backups, tmp and bin. */
export const LAYOUT: readonly { path: string; mode: string }[] = [
  { path: '/srv/devflow', mode: '755' },
  { path: '/srv/devflow/apps', mode: '755' },
  { path: '/srv/devflow/backups', mode: '700' },
  { path: '/srv/devflow/tmp', mode: '1777' },
  { path: '/srv/devflow/bin', mode: '755' },
];

const layout: ProvisionStep = {
  name: 'layout',
  async run(ctx) {
    const changes: string[] = [];
    for (const d of LAYOUT) {
      const res = await ctx.exec(['stat', '-c', '%a %U', '--', d.path], { check: false });
      const [mode, owner] = res.stdout.trim().split(' ');
      if (res.exitCode !== 0) {
        await ctx.exec(['install', '-d', '-m', d.mode, '-o', 'root', '-g', 'root', '--', d.path]);
        changes.push(`created ${d.path}`);
      } else if (mode !== d.mode || owner !== 'root') {
        await ctx.exec(['chown', 'root:root', '--', d.path]);
        await ctx.exec(['chmod', d.mode, '--', d.path]);
        changes.push(`fixed ${d.path} (${mode} ${owner})`);
      }
    }
    return outcome(changes, '/srv/devflow is in place');
  },
};

const basePackages: ProvisionStep = {
  name: 'base-packages',
  async run(ctx) {
    const installed = await ensurePackages(ctx, ['git', 'curl', 'ca-certificates', 'rsync']);
    return outcome(installed.length ? [`installed ${installed.join(', ')}`] : [], 'git, curl, ca-certificates and rsync are installed');
  },
};

const NGINX_PACKAGES = ['nginx', 'nginx-light', 'nginx-core', 'nginx-full', 'nginx-extras'];

const nginx: ProvisionStep = {
  name: 'nginx',
  async run(ctx) {
    const changes: string[] = [];
    let present = false;
    for (const p of NGINX_PACKAGES) if (await isInstalled(ctx, p)) present = true;
    if (!present) {
      await ensurePackages(ctx, ['nginx']);
      changes.push('installed nginx');
    }
    if (await ensureService(ctx, 'nginx')) changes.push('started nginx');
    return outcome(changes, 'nginx is installed and running');
  },
};

const phpFpm: ProvisionStep = {
  name: 'php-fpm',
  async run(ctx) {
    const v = ctx.phpVersion;
    const pkgs = [`php${v}-fpm`, `php${v}-cli`];
    const changes: string[] = [];
    const missing: string[] = [];
    for (const p of pkgs) if (!(await isInstalled(ctx, p))) missing.push(p);
    if (missing.length) {
      await ctx.aptUpdateOnce();
      const known = await ctx.exec(['apt-cache', 'show', '--no-all-versions', ...missing], { check: false });
      if (known.exitCode !== 0) {
        throw new Error(`PHP ${v} is not available from this server's apt sources (${ctx.os.name}). Choose a version it ships, or add a repository that provides php${v}-fpm.`);
      }
      changes.push(`installed ${(await ensurePackages(ctx, pkgs)).join(', ')}`);
    }
    if (await ensureService(ctx, `php${v}-fpm`)) changes.push(`started php${v}-fpm`);
    return outcome(changes, `php${v}-fpm is installed and running`);
  },
};

function commandStep(name: ProvisionStepName, command: string, packages: string[]): ProvisionStep {
  return {
    name,
    async run(ctx) {
      if (await ctx.test(['sh', '-c', 'command -v "$1" >/dev/null', 'devflow-check', command])) {
        return { status: 'unchanged', reason: `${command} is installed` };
      }
      const installed = await ensurePackages(ctx, packages);
      return { status: 'changed', reason: `installed ${installed.join(', ') || packages.join(', ')}` };
    },
  };
}

const docker: ProvisionStep = {
  name: 'docker',
  async run(ctx) {
    if (ctx.inContainer) return { status: 'skipped', reason: 'the server is a container: a Docker engine cannot run inside it' };
    const changes: string[] = [];
    if (!(await ctx.test(['sh', '-c', 'command -v docker >/dev/null']))) {
      changes.push(`installed ${(await ensurePackages(ctx, ['docker.io'])).join(', ')}`);
    }
    if (await ensureService(ctx, 'docker')) changes.push('started docker');
    return outcome(changes, 'Docker engine is installed and running');
  },
};

const ufw: ProvisionStep = {
  name: 'ufw',
  async run(ctx) {
    if (ctx.inContainer) return { status: 'skipped', reason: 'the server is a container: its firewall belongs to the host' };
    const changes: string[] = [];
    const installed = await ensurePackages(ctx, ['ufw']);
    if (installed.length) changes.push('installed ufw');
    const ports = [...new Set([22, ctx.sshPort, 80, 443])];
    const status = await ctx.exec(['ufw', 'status'], { check: false });
    for (const p of ports) {
      if (!new RegExp(`^${p}/tcp\\s+ALLOW`, 'm').test(status.stdout)) {
        await ctx.exec(['ufw', 'allow', `${p}/tcp`]);
        changes.push(`allowed ${p}/tcp`);
      }
    }
    if (!/Status: active/.test(status.stdout)) {
      await ctx.exec(['ufw', '--force', 'enable']);
      changes.push('enabled ufw');
    }
    return outcome(changes, `ufw is active and allows ${ports.join(', ')}`);
  },
};

const fail2ban: ProvisionStep = {
  name: 'fail2ban',
  async run(ctx) {
    if (ctx.inContainer) return { status: 'skipped', reason: 'the server is a container: fail2ban cannot change its firewall' };
    const changes: string[] = [];
    const installed = await ensurePackages(ctx, ['fail2ban']);
    if (installed.length) changes.push('installed fail2ban');
    const backend = ctx.serviceManager === 'systemd' ? 'systemd' : 'auto';
    if (await ensureFile(ctx, '/etc/fail2ban/jail.d/devflow.local', `# Managed by DevFlow\n[sshd]\nenabled = true\nbackend = ${backend}\n`)) {
      changes.push('configured the sshd jail');
      if (await serviceRunning(ctx, 'fail2ban')) await ctx.exec(ctx.serviceManager === 'systemd' ? ['systemctl', 'restart', 'fail2ban'] : ['service', 'fail2ban', 'restart']);
    }
    if (await ensureService(ctx, 'fail2ban')) changes.push('started fail2ban');
    return outcome(changes, 'fail2ban guards sshd');
  },
};

export const AUTO_UPGRADES = 'APT::Periodic::Update-Package-Lists "1";\nAPT::Periodic::Unattended-Upgrade "1";\n';

const unattendedUpgrades: ProvisionStep = {
  name: 'unattended-upgrades',
  async run(ctx) {
    const changes: string[] = [];
    const installed = await ensurePackages(ctx, ['unattended-upgrades']);
    if (installed.length) changes.push('installed unattended-upgrades');
    if (await ensureFile(ctx, '/etc/apt/apt.conf.d/20auto-upgrades', AUTO_UPGRADES)) changes.push('enabled daily security upgrades');
    return outcome(changes, 'security upgrades install daily');
  },
};

/** Every step, in the order they run. */
export const PROVISION_STEPS: readonly ProvisionStep[] = [
  layout,
  basePackages,
  nginx,
  phpFpm,
  commandStep('composer', 'composer', ['composer', 'unzip']),
  docker,
  commandStep('restic', 'restic', ['restic']),
  ufw,
  fail2ban,
  unattendedUpgrades,
];
