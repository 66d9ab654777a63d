import type { Selectable } from 'kysely';
import type { Db } from '../../db/database.js';
import type { ProvisionStepStatus, ServerProvisionRunsTable } from '../../db/schema.js';
import type { EventBus } from '../../events/event-bus.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import type { SshExecutor, SshTarget } from '../../adapters/ssh/ssh-executor.js';
import { CommandFailedError, SshError } from '../../adapters/ssh/ssh-errors.js';
import { AppError, conflict, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { AuditLog, RequestContext } from '../identity/index.js';
import { ProvisionLog } from './provision-log.js';
import { PROVISION_STEPS, type StepContext } from './provisioning.steps.js';
import { serverProblem, type ServerService } from './servers.service.js';

export type RunRow = Selectable<ServerProvisionRunsTable>;

export const PROVISION_JOB = 'servers.provision';

interface RunOptions {
  phpVersion: string;
  steps: string[];
}

/**
 * Provisioning runs: a run is a record with one row per step and a line-per-row
 * log; a job executes it. Steps check before they change, so a second run on a
 * provisioned server reports every step unchanged or skipped.
 */
export class ProvisioningService {
  constructor(
    private readonly db: Db,
    private readonly servers: ServerService,
    private readonly ssh: SshExecutor,
    private readonly queue: JobQueue,
    private readonly bus: EventBus,
    private readonly audit: AuditLog,
  ) {}

  /** Creates a run and enqueues its job; refuses while another run of the server is unfinished. */
  async start(ctx: RequestContext, serverId: string, input: { phpVersion: string; steps?: string[] | undefined }) {
    const server = await this.servers.get(serverId);
    if (!server.host_key_fingerprint) {
      throw new AppError('conflict', 'server.not_validated', 'Validate the server first: that pins its host key and detects its OS.');
    }
    const busy = await this.db.kysely
      .selectFrom('server_provision_runs')
      .select('id')
      .where('server_id', '=', serverId)
      .where('status', 'in', ['queued', 'running'])
      .executeTakeFirst();
    if (busy) throw conflict('server.provision_running', `Provisioning run ${busy.id} of this server has not finished yet.`);
    const wanted = new Set(input.steps ?? PROVISION_STEPS.map((s) => s.name));
    const steps = PROVISION_STEPS.map((s) => s.name).filter((n) => wanted.has(n));
    const now = new Date().toISOString();
    const run: RunRow = {
      id: newId('prv'),
      server_id: serverId,
      organization_id: server.organization_id,
      job_id: null,
      status: 'queued',
      options: JSON.stringify({ phpVersion: input.phpVersion, steps } satisfies RunOptions),
      error: null,
      created_by: ctx.actor?.userId ?? null,
      created_at: now,
      started_at: null,
      finished_at: null,
    };
    await this.db.kysely.transaction().execute(async (trx) => {
      await trx.insertInto('server_provision_runs').values(run).execute();
      await trx
        .insertInto('server_provision_steps')
        .values(steps.map((name, position) => ({ run_id: run.id, position, name, status: 'pending' as const, reason: null, started_at: null, finished_at: null })))
        .execute();
    });
    const job = await this.queue.enqueue(PROVISION_JOB, { runId: run.id, serverId }, { maxAttempts: 1 });
    await this.db.kysely.updateTable('server_provision_runs').set({ job_id: job.id }).where('id', '=', run.id).execute();
    await this.audit.record(ctx, {
      action: 'server.provision',
      organizationId: server.organization_id,
      targetType: 'server',
      targetId: serverId,
      diff: { runId: run.id, jobId: job.id, phpVersion: input.phpVersion, steps },
    });
    return { jobId: job.id, run: await this.present(await this.getRun(serverId, run.id)) };
  }

  async getRun(serverId: string, runId: string): Promise<RunRow> {
    const row = await this.db.kysely.selectFrom('server_provision_runs').selectAll().where('id', '=', runId).where('server_id', '=', serverId).executeTakeFirst();
    if (!row) throw notFound('provision_run', runId);
    return row;
  }

  async listRuns(serverId: string, limit = 20) {
    const rows = await this.db.kysely.selectFrom('server_provision_runs').selectAll().where('server_id', '=', serverId).orderBy('id', 'desc').limit(limit).execute();
    return Promise.all(rows.map((r) => this.present(r)));
  }

  /** Log lines of a run after `after`, oldest first. */
  async logs(serverId: string, runId: string, after: number, limit: number) {
    await this.getRun(serverId, runId);
    const rows = await this.db.kysely
      .selectFrom('server_provision_log_lines')
      .select(['seq', 'at', 'step', 'stream', 'line'])
      .where('run_id', '=', runId)
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(limit)
      .execute();
    return rows;
  }

  /** The public shape of a run with its steps. */
  async present(run: RunRow) {
    const steps = await this.db.kysely.selectFrom('server_provision_steps').selectAll().where('run_id', '=', run.id).orderBy('position').execute();
    const options = JSON.parse(run.options) as RunOptions;
    return {
      id: run.id,
      serverId: run.server_id,
      jobId: run.job_id,
      status: run.status,
      phpVersion: options.phpVersion,
      changed: steps.some((s) => s.status === 'changed'),
      steps: steps.map((s) => ({ name: s.name, status: s.status, reason: s.reason, startedAt: s.started_at, finishedAt: s.finished_at })),
      error: run.error,
      createdAt: run.created_at,
      startedAt: run.started_at,
      finishedAt: run.finished_at,
    };
  }

  private async setStep(runId: string, position: number, status: ProvisionStepStatus, reason: string | null, field: 'started_at' | 'finished_at'): Promise<void> {
    await this.db.kysely
      .updateTable('server_provision_steps')
      .set({ status, reason, [field]: new Date().toISOString() })
      .where('run_id', '=', runId)
      .where('position', '=', position)
      .execute();
  }

  private async finishRun(run: RunRow, status: 'succeeded' | 'failed' | 'cancelled', error: string | null): Promise<void> {
    await this.db.kysely
      .updateTable('server_provision_runs')
      .set({ status, error, finished_at: new Date().toISOString() })
      .where('id', '=', run.id)
      .execute();
    await this.bus.publish({
      type: 'server.provision.finished',
      organizationId: run.organization_id,
      payload: { serverId: run.server_id, runId: run.id, status, error },
    });
  }

  /** The job handler: runs every pending step of the run in order, stopping at the first failure. */
  async execute(runId: string, signal: AbortSignal): Promise<{ status: string; changed: boolean }> {
    const run = await this.db.kysely.selectFrom('server_provision_runs').selectAll().where('id', '=', runId).executeTakeFirst();
    if (!run) return { status: 'missing', changed: false };
    // Safe to run twice: a finished run is left as it is.
    if (run.status !== 'queued' && run.status !== 'running') return { status: run.status, changed: false };
    const options = JSON.parse(run.options) as RunOptions;
    const log = new ProvisionLog(this.db, this.bus, { id: run.id, serverId: run.server_id, organizationId: run.organization_id });
    await log.resume();
    await this.db.kysely.updateTable('server_provision_runs').set({ status: 'running', started_at: new Date().toISOString() }).where('id', '=', run.id).execute();
    const steps = await this.db.kysely.selectFrom('server_provision_steps').selectAll().where('run_id', '=', run.id).orderBy('position').execute();
    let changed = false;
    let current = 'setup';
    try {
      const server = await this.servers.get(run.server_id);
      const target = await this.servers.targetOf(server);
      if (!target.hostKeyFingerprint) throw new AppError('conflict', 'server.not_validated', 'The server has no pinned host key; validate it first.');
      log.line('setup', 'system', `Connecting to ${server.user}@${server.host}:${server.port}`);
      const facts = await this.servers.detectFacts(target, signal);
      const os = facts.os;
      if (!os || !['debian', 'ubuntu'].includes(os.id)) {
        throw new AppError('unprocessable', 'server.unsupported_os', `Provisioning supports Debian and Ubuntu; this server runs ${os?.name ?? 'an unknown OS'}.`);
      }
      const inContainer = await this.ssh
        .exec(target, ['sh', '-c', '[ -f /.dockerenv ] || [ -f /run/.containerenv ] || grep -qa "container=" /proc/1/environ 2>/dev/null'], { check: false, signal })
        .then((r) => r.exitCode === 0);
      log.line('setup', 'system', `${os.name}; services via ${facts.serviceManager ?? 'service'}${inContainer ? '; running in a container' : ''}`);
      let aptUpdated = false;
      const ctx = (step: string): StepContext => {
        const exec: StepContext['exec'] = async (argv, o = {}) => {
          log.line(step, 'system', `$ ${argv.join(' ').slice(0, 500)}`);
          try {
            return await this.ssh.exec(target, argv, {
              ...o,
              signal,
              timeoutMs: o.timeoutMs ?? 5 * 60_000,
              onStdout: (c) => log.chunk(step, 'stdout', c),
              onStderr: (c) => log.chunk(step, 'stderr', c),
            });
          } finally {
            log.endStep(step);
          }
        };
        return {
          exec,
          test: async (argv) => (await exec(argv, { check: false })).exitCode === 0,
          log: (line) => log.line(step, 'system', line),
          os,
          phpVersion: options.phpVersion,
          serviceManager: facts.serviceManager ?? 'service',
          inContainer,
          sshPort: server.port,
          aptUpdateOnce: async () => {
            if (aptUpdated) return;
            const res = await exec(['apt-get', 'update', '-q', '-o', 'DPkg::Lock::Timeout=300'], { timeoutMs: 10 * 60_000, check: false });
            if (res.exitCode !== 0) throw new Error(`apt-get update failed: ${res.stderr.trim().split('\n').pop() ?? `exit ${res.exitCode}`}`);
            aptUpdated = true;
          },
        };
      };
      for (const s of steps) {
        if (s.status !== 'pending' && s.status !== 'running') continue;
        const def = PROVISION_STEPS.find((d) => d.name === s.name);
        if (!def) continue;
        current = s.name;
        if (signal.aborted) throw signal.reason;
        await this.setStep(run.id, s.position, 'running', null, 'started_at');
        log.line(s.name, 'system', `==> ${s.name}`);
        try {
          const out = await def.run(ctx(s.name));
          if (out.status === 'changed') changed = true;
          await this.setStep(run.id, s.position, out.status, out.reason ?? null, 'finished_at');
          log.line(s.name, 'system', `<== ${s.name}: ${out.status}${out.reason ? ` (${out.reason})` : ''}`);
        } catch (err) {
          const reason = stepError(err);
          await this.setStep(run.id, s.position, signal.aborted ? 'cancelled' : 'failed', reason, 'finished_at');
          log.line(s.name, 'system', `<== ${s.name}: ${signal.aborted ? 'cancelled' : 'failed'}: ${reason}`);
          throw err;
        }
      }
      // The server changed: refresh what it reports about itself.
      const after = await this.servers.detectFacts(target, signal).catch(() => undefined);
      if (after) await this.db.kysely.updateTable('servers').set({ facts: JSON.stringify(after), last_seen_at: new Date().toISOString(), status: 'online' }).where('id', '=', run.server_id).execute();
      await log.flush();
      await this.finishRun(run, 'succeeded', null);
      return { status: 'succeeded', changed };
    } catch (err) {
      const cancelled = signal.aborted;
      const message = `${current}: ${stepError(err)}`;
      await this.db.kysely
        .updateTable('server_provision_steps')
        .set({ status: cancelled ? 'cancelled' : 'skipped', reason: cancelled ? 'the run was cancelled' : 'an earlier step failed' })
        .where('run_id', '=', run.id)
        .where('status', 'in', ['pending', 'running'])
        .execute();
      log.line(current, 'system', cancelled ? 'Run cancelled.' : `Run failed: ${message}`);
      await log.flush();
      if (err instanceof SshError && !(err instanceof CommandFailedError) && !cancelled) {
        await this.servers.markUnreachable(await this.servers.get(run.server_id), err).catch(() => undefined);
      }
      await this.finishRun(run, cancelled ? 'cancelled' : 'failed', message);
      if (cancelled) throw err;
      // The run records the failure; the job itself is done (retrying would repeat the same failure).
      return { status: 'failed', changed };
    }
  }
}

function stepError(err: unknown): string {
  if (err instanceof SshError) return serverProblem(err).message;
  return err instanceof Error ? err.message : String(err);
}

export type { SshTarget };
