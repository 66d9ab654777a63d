import { notFound } from '../../lib/errors.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import type { EnvironmentTeardown } from '../deployments/index.js';
import type { AuditLog, RequestContext } from '../identity/index.js';

export interface DeleteEnvironmentDeps {
  queue: () => JobQueue;
  audit: AuditLog;
  teardown: Pick<EnvironmentTeardown, 'plan' | 'enqueueIn'>;
}

/**
 * Deletes an environment's records and queues the job that takes its nginx
 * site, preview listener, PHP-FPM pool and domains off its servers, in one
 * transaction: both happen or neither does. Its directory on the servers
 * (releases, shared files) stays.
 */
export class DeleteEnvironmentCommand {
  constructor(private readonly d: DeleteEnvironmentDeps) {}

  /** Runs the delete; throws `environment.not_found`, or `job.enqueue_failed` with every row still in place. */
  async execute(ctx: RequestContext, environmentId: string): Promise<void> {
    await this.d.queue().transaction(async (trx) => {
      const row = await trx.selectFrom('environments').select(['organization_id', 'project_id', 'name']).where('id', '=', environmentId).executeTakeFirst();
      if (!row) throw notFound('environment', environmentId);
      const plans = await this.d.teardown.plan([environmentId], trx);
      await trx.deleteFrom('environments').where('id', '=', environmentId).execute();
      await this.d.audit.record(
        ctx,
        { action: 'environment.delete', organizationId: row.organization_id, targetType: 'environment', targetId: environmentId, diff: { name: row.name, projectId: row.project_id } },
        trx,
      );
      await this.d.teardown.enqueueIn(trx, plans);
    });
  }
}
