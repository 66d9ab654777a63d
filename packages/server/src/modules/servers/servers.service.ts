import type { Selectable } from 'kysely';
import { emptyFacts, parseFacts, type ServerFacts } from '../../core/server-facts.js';
import type { Db } from '../../db/database.js';
import type { ServersTable } from '../../db/schema.js';
import type { SshExecutor, SshTarget } from '../../adapters/ssh/ssh-executor.js';
import { HostKeyMismatchError, SshError } from '../../adapters/ssh/ssh-errors.js';
import { AppError, conflict, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { AuditLog, RequestContext } from '../identity/index.js';
import { type SshKeyService, visibleOrganizations } from '../ssh-keys/index.js';
import { FACTS_SCRIPT, scriptArgv } from './server-scripts.js';

export type ServerRow = Selectable<ServersTable>;

const UNIQUE = new Set(['23505', 'SQLITE_CONSTRAINT_UNIQUE']);

/** The public shape of a server. */
export function presentServer(r: ServerRow) {
  return {
    id: r.id,
    organizationId: r.organization_id,
    name: r.name,
    host: r.host,
    port: r.port,
    user: r.user,
    sshKeyId: r.ssh_key_id,
    status: r.status,
    hostKeyFingerprint: r.host_key_fingerprint,
    pendingHostKeyFingerprint: r.pending_host_key_fingerprint,
    facts: { ...emptyFacts, ...(JSON.parse(r.facts || '{}') as Partial<ServerFacts>) },
    lastSeenAt: r.last_seen_at,
    lastError: r.last_error,
    metricsIntervalSeconds: r.metrics_interval_seconds,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/**
 * Maps an adapter failure to the server-level problem users see
 * (`server.host_key_mismatch`, `server.auth_failed`, `server.unreachable`…).
 */
export function serverProblem(err: unknown): AppError {
  if (!(err instanceof SshError)) return err instanceof AppError ? err : new AppError('internal', 'internal', String(err), { cause: err });
  const code =
    {
      'ssh.host_key_mismatch': 'server.host_key_mismatch',
      'ssh.auth_failed': 'server.auth_failed',
      'ssh.unreachable': 'server.unreachable',
      'ssh.unknown_host': 'server.unknown_host',
      'ssh.connect_timeout': 'server.connect_timeout',
      'ssh.connection_lost': 'server.unreachable',
      'ssh.command_timeout': 'server.command_timeout',
      'ssh.sudo_failed': 'server.sudo_failed',
    }[err.code] ?? err.code;
  return new AppError(err.kind, code, err.message, { cause: err, meta: err.meta });
}

/** Servers of an organization: records, connection checks with host-key pinning, facts. */
export class ServerService {
  constructor(
    private readonly db: Db,
    private readonly keys: SshKeyService,
    private readonly ssh: SshExecutor,
    private readonly audit: AuditLog,
    private readonly clock: () => number = Date.now,
  ) {}

  private now(): string {
    return new Date(this.clock()).toISOString();
  }

  async list(ctx: RequestContext, q: { organizationId?: string | undefined; limit: number; cursor?: string | undefined }) {
    const orgs = visibleOrganizations(ctx);
    if (q.organizationId && !orgs.includes(q.organizationId)) throw notFound('organization', q.organizationId);
    const ids = q.organizationId ? [q.organizationId] : orgs;
    if (!ids.length) return { data: [], nextCursor: null };
    let query = this.db.kysely.selectFrom('servers').selectAll().where('organization_id', 'in', ids);
    if (q.cursor) query = query.where('id', '>', q.cursor);
    const rows = await query.orderBy('id').limit(q.limit + 1).execute();
    const page = rows.slice(0, q.limit);
    return { data: page.map(presentServer), nextCursor: rows.length > q.limit ? (page.at(-1)?.id ?? null) : null };
  }

  async get(id: string): Promise<ServerRow> {
    const row = await this.db.kysely.selectFrom('servers').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('server', id);
    return row;
  }

  private async assertKeyInOrg(sshKeyId: string, organizationId: string): Promise<void> {
    const key = await this.db.kysely.selectFrom('ssh_keys').select('organization_id').where('id', '=', sshKeyId).executeTakeFirst();
    if (!key || key.organization_id !== organizationId) {
      throw new AppError('invalid', 'server.unknown_ssh_key', `No SSH key ${sshKeyId} in this organization.`, { fields: [{ field: 'body.sshKeyId', message: 'unknown key' }] });
    }
  }

  /** Adds a server record (status `new`); nothing is contacted until it is validated. */
  async create(ctx: RequestContext, input: { organizationId: string; name: string; host: string; port: number; user: string; sshKeyId: string; metricsIntervalSeconds: number }) {
    await this.assertKeyInOrg(input.sshKeyId, input.organizationId);
    const now = this.now();
    const row: ServerRow = {
      id: newId('srv'),
      organization_id: input.organizationId,
      name: input.name,
      host: input.host,
      port: input.port,
      user: input.user,
      ssh_key_id: input.sshKeyId,
      status: 'new',
      host_key_fingerprint: null,
      pending_host_key_fingerprint: null,
      facts: JSON.stringify(emptyFacts),
      last_seen_at: null,
      last_error: null,
      metrics_interval_seconds: input.metricsIntervalSeconds,
      last_sampled_at: null,
      created_at: now,
      updated_at: now,
    };
    try {
      await this.db.kysely.insertInto('servers').values(row).execute();
    } catch (err) {
      if (UNIQUE.has(String((err as { code?: string }).code))) throw conflict('server.name_taken', `This organization already has a server named "${input.name}".`);
      throw err;
    }
    await this.audit.record(ctx, {
      action: 'server.create',
      organizationId: row.organization_id,
      targetType: 'server',
      targetId: row.id,
      diff: { name: row.name, host: row.host, port: row.port, user: row.user, sshKeyId: row.ssh_key_id },
    });
    return presentServer(row);
  }

  /**
   * Changes a server. A new address means another machine: its pinned host
   * key is dropped and the server must be validated again.
   */
  async update(ctx: RequestContext, id: string, patch: { name?: string | undefined; host?: string | undefined; port?: number | undefined; user?: string | undefined; sshKeyId?: string | undefined; metricsIntervalSeconds?: number | undefined }) {
    const before = await this.get(id);
    if (patch.sshKeyId) await this.assertKeyInOrg(patch.sshKeyId, before.organization_id);
    const moved = (patch.host !== undefined && patch.host !== before.host) || (patch.port !== undefined && patch.port !== before.port);
    const reconnect = moved || (patch.user !== undefined && patch.user !== before.user) || (patch.sshKeyId !== undefined && patch.sshKeyId !== before.ssh_key_id);
    try {
      await this.db.kysely
        .updateTable('servers')
        .set({
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.host !== undefined ? { host: patch.host } : {}),
          ...(patch.port !== undefined ? { port: patch.port } : {}),
          ...(patch.user !== undefined ? { user: patch.user } : {}),
          ...(patch.sshKeyId !== undefined ? { ssh_key_id: patch.sshKeyId } : {}),
          ...(patch.metricsIntervalSeconds !== undefined ? { metrics_interval_seconds: patch.metricsIntervalSeconds } : {}),
          ...(moved ? { host_key_fingerprint: null, pending_host_key_fingerprint: null, status: 'new' as const } : {}),
          updated_at: this.now(),
        })
        .where('id', '=', id)
        .execute();
    } catch (err) {
      if (UNIQUE.has(String((err as { code?: string }).code))) throw conflict('server.name_taken', `This organization already has a server named "${patch.name ?? ''}".`);
      throw err;
    }
    if (reconnect) await this.ssh.disconnect(id);
    await this.audit.record(ctx, {
      action: 'server.update',
      organizationId: before.organization_id,
      targetType: 'server',
      targetId: id,
      diff: {
        before: { name: before.name, host: before.host, port: before.port, user: before.user, sshKeyId: before.ssh_key_id, metricsIntervalSeconds: before.metrics_interval_seconds },
        after: patch,
        ...(moved ? { hostKeyUnpinned: before.host_key_fingerprint } : {}),
      },
    });
    return presentServer(await this.get(id));
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    const row = await this.get(id);
    await this.db.kysely.deleteFrom('servers').where('id', '=', id).execute();
    await this.ssh.disconnect(id);
    await this.audit.record(ctx, { action: 'server.delete', organizationId: row.organization_id, targetType: 'server', targetId: id, diff: { name: row.name, host: row.host } });
  }

  /** The SSH target of a server: address, user, the opened private key and the pinned host key. */
  async targetOf(row: ServerRow): Promise<SshTarget> {
    return {
      id: row.id,
      host: row.host,
      port: row.port,
      user: row.user,
      privateKey: await this.keys.openPrivateKey(row.ssh_key_id),
      hostKeyFingerprint: row.host_key_fingerprint,
    };
  }

  /**
   * Connects over a fresh connection, pins the host key on first contact
   * (trust on first use) or refuses a different one, then detects OS, CPUs,
   * memory, disk and tools. Failures mark the server unreachable and throw a
   * `server.*` problem.
   */
  async validate(ctx: RequestContext, id: string) {
    const row = await this.get(id);
    const target = await this.targetOf(row);
    let facts: ServerFacts;
    let fingerprint: string;
    try {
      ({ hostKeyFingerprint: fingerprint } = await this.ssh.connect(target, { fresh: true }));
      facts = await this.detectFacts({ ...target, hostKeyFingerprint: fingerprint });
    } catch (err) {
      await this.markUnreachable(row, err);
      if (err instanceof HostKeyMismatchError) {
        await this.audit.record(ctx, {
          action: 'server.host_key_mismatch',
          organizationId: row.organization_id,
          targetType: 'server',
          targetId: id,
          diff: { expected: err.expectedFingerprint, presented: err.presentedFingerprint },
        });
      }
      throw serverProblem(err);
    }
    const now = this.now();
    const firstContact = row.host_key_fingerprint === null;
    await this.db.kysely
      .updateTable('servers')
      .set({
        status: 'online',
        host_key_fingerprint: row.host_key_fingerprint ?? fingerprint,
        pending_host_key_fingerprint: null,
        facts: JSON.stringify(facts),
        last_seen_at: now,
        last_error: null,
        updated_at: now,
      })
      .where('id', '=', id)
      .execute();
    await this.audit.record(ctx, {
      action: 'server.validate',
      organizationId: row.organization_id,
      targetType: 'server',
      targetId: id,
      diff: { status: 'online', ...(firstContact ? { hostKeyPinned: fingerprint } : {}), os: facts.os?.name ?? null },
    });
    return presentServer(await this.get(id));
  }

  /** Runs the facts script (one command) and parses its output. */
  async detectFacts(target: SshTarget, signal?: AbortSignal): Promise<ServerFacts> {
    const res = await this.ssh.exec(target, scriptArgv(FACTS_SCRIPT), { timeoutMs: 30_000, ...(signal ? { signal } : {}) });
    return parseFacts(res.stdout, this.now());
  }

  /** Records a failed contact: status unreachable, the error, and a changed host key waiting for acceptance. */
  async markUnreachable(row: ServerRow, err: unknown): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    await this.db.kysely
      .updateTable('servers')
      .set({
        status: 'unreachable',
        last_error: message.slice(0, 1000),
        ...(err instanceof HostKeyMismatchError ? { pending_host_key_fingerprint: err.presentedFingerprint } : {}),
        updated_at: this.now(),
      })
      .where('id', '=', row.id)
      .execute();
  }

  /** Pins the host key the server presented at its last failed contact, once an admin confirms its fingerprint. */
  async acceptHostKey(ctx: RequestContext, id: string, fingerprint: string) {
    const row = await this.get(id);
    if (!row.pending_host_key_fingerprint) {
      throw conflict('server.no_pending_host_key', 'This server presented no different host key. Validate it first; a changed key is reported there.');
    }
    if (row.pending_host_key_fingerprint !== fingerprint) {
      throw conflict('server.host_key_not_pending', `The server last presented ${row.pending_host_key_fingerprint}, not ${fingerprint}. Check the fingerprint on the server (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub).`);
    }
    await this.db.kysely
      .updateTable('servers')
      .set({ host_key_fingerprint: fingerprint, pending_host_key_fingerprint: null, last_error: null, updated_at: this.now() })
      .where('id', '=', id)
      .execute();
    await this.ssh.disconnect(id);
    await this.audit.record(ctx, {
      action: 'server.accept_host_key',
      organizationId: row.organization_id,
      targetType: 'server',
      targetId: id,
      diff: { before: row.host_key_fingerprint, after: fingerprint },
    });
    return presentServer(await this.get(id));
  }
}
