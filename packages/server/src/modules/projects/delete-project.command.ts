import { notFound } from '../../lib/errors.js';
import type { JobQueue } from '../../jobs/job-queue.js';
import type { EnvironmentTeardown } from '../deployments/index.js';
import type { AuditLog, RequestContext } from '../identity/index.js';

export interface DeleteProjectDeps {
  queue: () => JobQueue;
  audit: AuditLog;
  teardown: Pick<EnvironmentTeardown, 'planProjects' | 'enqueueIn'>;
}

/**
 * Deletes a project with its environments, variables, deployments and
 * releases, and queues the jobs that take its environments' sites and pools
 * off the servers, in one transaction: if a job cannot be queued nothing is
 * deleted, so no nginx site is left serving with nothing pointing at it.
 */
export class DeleteProjectCommand {
  constructor(private readonly d: DeleteProjectDeps) {}

  /** Runs the delete; throws `project.not_found`, or `job.enqueue_failed` with every row still in place. */
  async execute(ctx: RequestContext, projectId: string): Promise<void> {
    await this.d.queue().transaction(async (trx) => {
      const row = await trx.selectFrom('projects').select(['organization_id', 'name', 'slug']).where('id', '=', projectId).executeTakeFirst();
      if (!row) throw notFound('project', projectId);
      // Planned inside the transaction: what the teardown removes is exactly what the delete took away.
      const plans = await this.d.teardown.planProjects([projectId], trx);
      await trx.deleteFrom('projects').where('id', '=', projectId).execute();
      await this.d.audit.record(ctx, { action: 'project.delete', organizationId: row.organization_id, targetType: 'project', targetId: projectId, diff: { name: row.name, slug: row.slug } }, trx);
      await this.d.teardown.enqueueIn(trx, plans);
    });
  }
}
