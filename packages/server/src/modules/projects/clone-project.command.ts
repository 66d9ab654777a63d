import type { EnvironmentSettings } from '@devflow/contracts';
import { withinTransaction, type Db } from '../../db/database.js';
import { openBasedirOf, type EnvironmentService, type VariablesService } from '../environments/index.js';
import type { RequestContext } from '../identity/index.js';
import { presentProject, type ProjectService } from './projects.service.js';

/** The services a clone writes through, built over the database it is given. */
export interface CloneServices {
  projects: ProjectService;
  environments: EnvironmentService;
  variables: VariablesService;
}

export interface CloneProjectDeps {
  db: Db;
  /** Builds the services over `db` (here: the clone's transaction), so their rules and audit events apply unchanged. */
  servicesOver(db: Db): CloneServices;
}

/**
 * Copies a project under a new name with its environments (branch, servers,
 * settings) and their current variables, in one transaction: a clone that
 * fails midway (a name taken, a write refused) leaves nothing behind.
 */
export class CloneProjectCommand {
  constructor(private readonly d: CloneProjectDeps) {}

  /** Runs the copy and returns the new project as the API shows it. */
  async execute(ctx: RequestContext, projectId: string, input: { name: string; slug?: string | undefined }): Promise<ReturnType<typeof presentProject>> {
    return this.d.db.kysely.transaction().execute(async (trx) => {
      const { projects, environments, variables } = this.d.servicesOver(withinTransaction(this.d.db, trx));
      const copy = await projects.copy(ctx, projectId, input);
      const sources = await trx.selectFrom('environments').selectAll().where('project_id', '=', projectId).orderBy('name').execute();
      // Only an admin's copy keeps the servers: attaching servers is an admin decision.
      const keepServers = environments.mayAttachServers(ctx, copy.organization_id);
      for (const e of sources) {
        const created = await environments.create(ctx, copy.id, {
          name: e.name,
          branch: e.branch,
          serverIds: keepServers ? await environments.serverIds(e.id) : [],
          requiresApproval: !!e.requires_approval,
          strategy: e.strategy,
          healthCheckPath: e.health_check_path,
          keepReleases: e.keep_releases,
          openBasedir: openBasedirOf(e).enabled,
          openBasedirExtra: openBasedirOf(e).extra,
          settings: JSON.parse(e.settings || '{}') as EnvironmentSettings,
        });
        const vars = await variables.current(e.id);
        if (Object.keys(vars).length) await variables.replace(ctx, created.id, vars);
      }
      return presentProject(copy);
    });
  }
}
