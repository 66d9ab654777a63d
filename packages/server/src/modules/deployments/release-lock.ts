/**
 * The first and last remote work of a release deployment: prepare every
 * server (layout, project user, deploy key, what the server has) and take
 * its deploy lock; release the locks at the end.
 */
import { redactText } from '../../adapters/ssh/ssh-errors.js';
import type { SiteLayout } from '../../core/deploy/layout.js';
import { projectUser } from '../../core/deploy/project-user.js';
import { LOCK, parseServerReport, PREPARE, script, SECTION, sequence, UNLOCK, WRITE_PRIVATE_FILE, type ServerReport } from '../../core/deploy/scripts.js';
import { AppError } from '../../lib/errors.js';
import { onAll, type CommandScope, type RemoteRunner } from './remote-runner.js';
import type { DeployContext, DeployServer, StepHandle } from './strategy.js';

/** What one deployment learned and changed, for compensation on failure. */
export interface RunState {
  reports: Map<string, ServerReport>;
  locked: Set<string>;
  previous: string | null;
  created: boolean;
  envWritten: boolean;
  switched: Set<string>;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason as Error)), { once: true });
  });

const REQUIRED_TOOLS = ['git', 'curl', 'nginx'];

/** The lock step: prepares every server, records what it reported, takes its lock; then decides the release to switch back to. */
export async function lockAll(ctx: DeployContext, remote: RemoteRunner, step: StepHandle, L: SiteLayout, st: RunState, lockWaitMs: number): Promise<void> {
  await onAll(ctx.servers, async (s) => {
    const user = projectUser(ctx.project);
    const prepare = script(PREPARE, 'prepare', L.base, user);
    const take = script(LOCK, 'lock', L.lock, ctx.deployment.id);
    const label = `prepare ${L.base} and the project user ${user}${ctx.deployKey ? '; install the deploy key' : ''}; lock ${L.lock}`;
    // One remote command: prepare, the deploy key (on stdin), and a first try at the lock. Each round trip
    // counts when the server is busy serving (a rollback under load), so the lock is not a command of its own.
    const out = await remote.exec(s, step, label, ctx.deployKey ? sequence(prepare, script(WRITE_PRIVATE_FILE, 'write-key', L.deployKey), take) : sequence(prepare, take), {
      quiet: true,
      check: false,
      ...(ctx.deployKey ? { stdin: ctx.deployKey } : {}),
    });
    const took = out.exitCode === 0;
    if (took) st.locked.add(s.id);
    else if (out.exitCode !== 75 || !out.stdout.includes(SECTION)) throw new AppError('unprocessable', 'deployment.lock_failed', `Preparing ${L.base} or creating the lock ${L.lock} failed on ${s.name} (exit ${out.exitCode}): ${redactText(out.stderr.trim().slice(-500), ctx.secrets) || 'no error output'}`);
    const report = parseServerReport(out.stdout);
    st.reports.set(s.id, report);
    if (report.projectUser === 'created') remote.note(s, step.name, `created the Unix user ${user}: this project's PHP runs as it`);
    if (report.projectUser === 'missing') remote.note(s, step.name, `warning: could not create the Unix user ${user}; PHP sites cannot be served without it`);
    const missing = REQUIRED_TOOLS.filter((t) => !report.tools.has(t));
    if (missing.length) throw new AppError('unprocessable', 'deployment.server_missing_tools', `${s.name} lacks ${missing.join(', ')}: provision the server first.`);
    remote.note(s, step.name, took ? 'lock acquired' : (/held by .*/.exec(out.stdout)?.[0] ?? 'lock held'));
    if (!took) {
      await lock(ctx, remote, s, step, L, lockWaitMs);
      st.locked.add(s.id);
    }
  });
  const currents = [...st.reports.values()].map((r) => r.currentRelease);
  const envCurrent = ctx.environment.current_release_id;
  st.previous = envCurrent && currents.every((c) => c === envCurrent) ? envCurrent : (currents[0] ?? null);
  if (new Set(currents).size > 1) ctx.log.line(step.name, 'system', `warning: servers serve different releases (${currents.join(', ')}); switching back would use ${st.previous ?? 'none'}`);
  await ctx.record.previousRelease(st.previous);
  step.note(`${ctx.servers.length} server(s) locked; ${st.previous ? `live release ${st.previous}` : 'first deployment'}`);
}

/** Takes one server's lock, waiting up to `lockWaitMs` for a live holder and taking over from a gone one. */
async function lock(ctx: DeployContext, remote: RemoteRunner, s: DeployServer, step: StepHandle, L: SiteLayout, lockWaitMs: number): Promise<void> {
  const giveUp = Date.now() + lockWaitMs;
  for (;;) {
    const res = await remote.exec(s, step, `lock ${L.lock}`, script(LOCK, 'lock', L.lock, ctx.deployment.id), { check: false });
    if (res.exitCode === 0) return;
    if (res.exitCode !== 75) throw new AppError('unprocessable', 'deployment.lock_failed', `Cannot create the lock ${L.lock} on ${s.name} (exit ${res.exitCode}).`);
    const holder = /held by (.*)/.exec(res.stdout)?.[1]?.trim() ?? '';
    if (await ctx.record.lockHolderGone(holder)) {
      remote.note(s, step.name, `the lock was left by ${holder || 'an unknown holder'}, which is no longer running: taking it over`);
      await remote.exec(s, step, 'remove the stale lock', script(UNLOCK, 'unlock', L.lock, holder));
      continue;
    }
    if (Date.now() > giveUp) throw new AppError('conflict', 'deployment.locked', `Deployment ${holder} holds the deploy lock on ${s.name}; try again when it has finished.`);
    remote.note(s, step.name, `waiting for deployment ${holder} to release the lock`);
    await sleep(1000, step.signal);
  }
}

/** Releases the locks this deployment still holds. */
export async function unlockAll(ctx: DeployContext, remote: RemoteRunner, step: StepHandle | CommandScope, L: SiteLayout, st: RunState): Promise<void> {
  await onAll(
    ctx.servers.filter((s) => st.locked.has(s.id)),
    async (s) => {
      await remote.exec(s, step, `unlock ${L.lock}`, script(UNLOCK, 'unlock', L.lock, ctx.deployment.id));
      st.locked.delete(s.id);
    },
  );
}
