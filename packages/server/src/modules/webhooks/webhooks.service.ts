import { createHash } from 'node:crypto';
import { isValidBranchName } from '@devflow/contracts';
import type { Db } from '../../db/database.js';
import type { WebhookDeliveriesTable } from '../../db/schema.js';
import { parseBitbucket, parseGeneric, parseGithub, parseGitlab, type HookEvent } from '../../core/webhooks/payloads.js';
import { verifyGenericToken, verifyGitlabToken, verifySha256Signature } from '../../core/webhooks/signatures.js';
import { AppError } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { AuditLog, RequestContext } from '../identity/index.js';
import type { EnvironmentService } from '../environments/index.js';
import type { DeploymentService } from '../deployments/index.js';

export type Provider = WebhookDeliveriesTable['provider'];

/** A webhook request as the route hands it over: headers, the raw body and the query. */
export interface HookRequest {
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  query: { token?: string | undefined };
}

export interface HookResult {
  outcome: 'deployed' | 'ignored' | 'pong' | 'duplicate';
  reason: string | null;
  deploymentId: string | null;
}

const UNIQUE = new Set(['23505', 'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY']);
const DAY = 86_400_000;
const MINUTE = 60_000;

function header(h: HookRequest['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The JSON body of a hook: GitHub may send it form-encoded as `payload=`. */
function parseBody(req: HookRequest): unknown {
  const text = req.body.toString('utf8');
  if (!text.trim()) return {};
  const type = header(req.headers, 'content-type') ?? '';
  try {
    if (type.startsWith('application/x-www-form-urlencoded')) return JSON.parse(new URLSearchParams(text).get('payload') ?? '{}');
    return JSON.parse(text);
  } catch {
    throw new AppError('invalid', 'webhook.malformed_payload', 'The webhook body is not JSON.');
  }
}

/**
 * Push webhooks: authenticates each provider its documented way (in
 * constant time), de-duplicates redeliveries, follows the environment's
 * branch only, ignores branch deletions, and starts a deployment of the
 * pushed commit. A bad signature answers 401, counts in `rejections`
 * (metrics) and writes at most one audit row per environment and minute, so
 * a flood cannot fill the audit log. A signed push body replayed within a
 * day (under a new delivery id) is answered `duplicate` without a deployment.
 */
export class WebhookService {
  /** Bad signatures per provider since start (read by /metrics). */
  readonly rejections = new Map<Provider, number>();
  private readonly lastAudit = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly db: Db,
    private readonly environments: EnvironmentService,
    private readonly deployments: DeploymentService,
    private readonly audit: AuditLog,
    private readonly clock: () => number = Date.now,
  ) {}

  private verify(provider: Provider, secret: string, environmentId: string, req: HookRequest): string | null {
    const h = req.headers;
    switch (provider) {
      case 'github':
        return verifySha256Signature(secret, req.body, header(h, 'x-hub-signature-256')) ? null : header(h, 'x-hub-signature-256') ? 'bad X-Hub-Signature-256' : 'missing X-Hub-Signature-256';
      case 'bitbucket':
        return verifySha256Signature(secret, req.body, header(h, 'x-hub-signature')) ? null : header(h, 'x-hub-signature') ? 'bad X-Hub-Signature' : 'missing X-Hub-Signature';
      case 'gitlab':
        return verifyGitlabToken(secret, header(h, 'x-gitlab-token')) ? null : header(h, 'x-gitlab-token') ? 'bad X-Gitlab-Token' : 'missing X-Gitlab-Token';
      case 'generic':
        if (verifyGenericToken(secret, environmentId, req.query.token)) return null;
        if (verifySha256Signature(secret, req.body, header(h, 'x-devflow-signature'))) return null;
        return req.query.token || header(h, 'x-devflow-signature') ? 'bad token or X-Devflow-Signature' : 'missing token';
    }
  }

  private parse(provider: Provider, req: HookRequest): { event: HookEvent; deliveryId: string | null; name: string } {
    const body = parseBody(req);
    const h = req.headers;
    switch (provider) {
      case 'github': {
        const name = header(h, 'x-github-event') ?? 'unknown';
        return { event: parseGithub(name, body), deliveryId: header(h, 'x-github-delivery') ?? null, name };
      }
      case 'gitlab': {
        const name = header(h, 'x-gitlab-event') ?? 'unknown';
        return { event: parseGitlab(name, body), deliveryId: header(h, 'x-gitlab-event-uuid') ?? header(h, 'idempotency-key') ?? null, name };
      }
      case 'bitbucket': {
        const name = header(h, 'x-event-key') ?? 'unknown';
        return { event: parseBitbucket(name, body), deliveryId: header(h, 'x-request-uuid') ?? null, name };
      }
      case 'generic':
        return { event: parseGeneric(body), deliveryId: header(h, 'x-devflow-delivery') ?? null, name: 'push' };
    }
  }

  /** Handles one delivery. Throws 404 for an unknown environment, 401 for a bad signature. */
  async handle(ctx: RequestContext, provider: Provider, environmentId: string, req: HookRequest): Promise<HookResult> {
    const env = await this.environments.get(environmentId);
    const problem = this.verify(provider, this.environments.webhookSecret(env), environmentId, req);
    if (problem) {
      this.rejections.set(provider, (this.rejections.get(provider) ?? 0) + 1);
      const now = this.clock();
      const last = this.lastAudit.get(env.id);
      if (!last || now - last.at >= MINUTE) {
        if (this.lastAudit.size > 10_000) this.lastAudit.clear(); // bound memory under a spray of environment ids
        this.lastAudit.set(env.id, { at: now, suppressed: 0 });
        await this.audit.record(ctx, {
          action: 'webhook.rejected',
          organizationId: env.organization_id,
          targetType: 'environment',
          targetId: env.id,
          diff: { provider, reason: problem, ...(last?.suppressed ? { alsoRejectedSinceLastEntry: last.suppressed } : {}) },
          actor: { type: 'anonymous', id: null },
        });
      } else {
        last.suppressed++;
      }
      throw new AppError('unauthenticated', 'webhook.bad_signature', `The ${provider} webhook was refused: ${problem}. Check the secret configured at the provider.`);
    }
    const { event, deliveryId, name } = this.parse(provider, req);
    const deliveryRow = { id: newId('whd'), environment_id: env.id, provider, delivery_id: deliveryId ? deliveryId.slice(0, 200) : null, event: name.slice(0, 100), outcome: 'ignored' as const, reason: null, deployment_id: null, created_at: new Date(this.clock()).toISOString() };
    try {
      await this.db.kysely.insertInto('webhook_deliveries').values(deliveryRow).execute();
    } catch (err) {
      if (UNIQUE.has(String((err as { code?: string }).code))) return { outcome: 'duplicate', reason: `delivery ${deliveryId} was already handled`, deploymentId: null };
      throw err;
    }
    const replayed = await this.seenBefore(env.id, req.body, event);
    const result = replayed
      ? ({ outcome: 'duplicate', reason: 'this push body was already received in the last day: ignored', deploymentId: null } as const)
      : await this.decide(ctx, provider, env, event);
    await this.db.kysely
      .updateTable('webhook_deliveries')
      .set({ outcome: result.outcome, reason: result.reason, deployment_id: result.deploymentId })
      .where('id', '=', deliveryRow.id)
      .execute();
    return result;
  }

  /**
   * Remembers a push body for a day (keyed by its SHA-256: a signature is a
   * function of the body) and says whether it was seen in that time. Only
   * pushes are remembered; rows older than a day are pruned as it goes.
   */
  private async seenBefore(environmentId: string, body: Buffer, event: HookEvent): Promise<boolean> {
    // A push without a commit (the generic hook's "deploy the branch head") may be repeated on purpose.
    if (event.kind !== 'push' || !event.commit) return false;
    const now = this.clock();
    const cutoff = new Date(now - DAY).toISOString();
    await this.db.kysely.deleteFrom('webhook_replays').where('created_at', '<', cutoff).execute();
    const row = { environment_id: environmentId, body_sha256: createHash('sha256').update(body).digest('hex'), commit: event.commit ?? null, created_at: new Date(now).toISOString() };
    try {
      await this.db.kysely.insertInto('webhook_replays').values(row).execute();
      return false;
    } catch (err) {
      if (UNIQUE.has(String((err as { code?: string }).code))) return true;
      throw err;
    }
  }

  private async decide(ctx: RequestContext, provider: Provider, env: { id: string; branch: string }, event: HookEvent): Promise<HookResult> {
    const ignored = (reason: string): HookResult => ({ outcome: 'ignored', reason, deploymentId: null });
    if (event.kind === 'ping') return { outcome: 'pong', reason: null, deploymentId: null };
    if (event.kind === 'other') return ignored(`event ${event.name} is not a push`);
    if (event.deleted) return ignored(`branch ${event.branch ?? '?'} was deleted`);
    const branch = provider === 'generic' ? (event.branch ?? env.branch) : event.branch;
    if (!branch) return ignored('the push is not to a branch (a tag?)');
    if (!isValidBranchName(branch)) return ignored('the pushed ref is not a valid branch name');
    if (branch !== env.branch) return ignored(`push to ${branch}; this environment follows ${env.branch}`);
    const dep = await this.deployments.create(ctx, env.id, { ref: branch, commit: event.commit, priority: 0 }, `webhook:${provider}`, { type: 'system', id: `webhook:${provider}` });
    return { outcome: 'deployed', reason: event.pusher ? `pushed by ${event.pusher}` : null, deploymentId: dep.id };
  }
}
