/**
 * Commands that span tables write their rows and their job in one
 * transaction, on SQLite and PostgreSQL: a delete whose teardown job cannot
 * be queued deletes nothing, and a clone that fails midway writes nothing.
 * The failures are real: a trigger in the database refuses the insert.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEARDOWN_JOB } from '../../src/modules/deployments/environment-teardown.js';
import { addMember, setupOwner, startTestApp, type Session, type TestApp } from '../support/app.js';
import { dialects, type DialectName } from '../support/databases.js';
import { createServerRecord } from './support/server-record.js';

/** Makes the database refuse every insert into `table` until the returned function is called. */
async function refuseInserts(t: TestApp, dialect: DialectName, table: string): Promise<() => Promise<void>> {
  const db = t.app.db.kysely;
  const name = `refuse_${table}`;
  if (dialect === 'sqlite') {
    await sql.raw(`CREATE TRIGGER ${name} BEFORE INSERT ON ${table} BEGIN SELECT RAISE(ABORT, 'refused by test'); END`).execute(db);
    return async () => void (await sql.raw(`DROP TRIGGER ${name}`).execute(db));
  }
  await sql.raw(`CREATE FUNCTION ${name}() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused by test'; END $$ LANGUAGE plpgsql`).execute(db);
  await sql.raw(`CREATE TRIGGER ${name} BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION ${name}()`).execute(db);
  return async () => {
    await sql.raw(`DROP TRIGGER ${name} ON ${table}`).execute(db);
    await sql.raw(`DROP FUNCTION ${name}()`).execute(db);
  };
}

describe.each(dialects)('transactional commands on %s', (dialect) => {
  let t: TestApp;
  let owner: Session & { organizationId: string };
  let developer: Session;
  let serverId: string;

  beforeAll(async () => {
    t = await startTestApp(dialect, { deployments: { allowLocalRepositories: true }, loginPerMinute: 1000 });
    owner = await setupOwner(t);
    developer = await addMember(t, owner, 'dev@example.test', 'developer');
    serverId = await createServerRecord(t, owner);
  });
  afterAll(async () => t?.close());

  /** A project (framework chosen: no detection) with one environment on the server and two variables. */
  async function projectWithEnvironment(name: string) {
    const p = await t.request('POST', '/api/v1/projects', { session: developer, body: { organizationId: owner.organizationId, name, repositoryUrl: '/nonexistent/repo.git', framework: 'laravel' } });
    expect(p.status, p.text).toBe(201);
    // Attaching a server is an admin's decision (issue 11); the developer does the rest.
    const env = await t.request('POST', `/api/v1/projects/${String(p.json.id)}/environments`, { session: owner, body: { name: 'production', serverIds: [serverId] } });
    expect(env.status, env.text).toBe(201);
    const vars = await t.request('PUT', `/api/v1/environments/${String(env.json.id)}/variables`, { session: developer, body: { variables: { APP_ENV: 'production', DB_PASSWORD: 'pw-123456' } } });
    expect(vars.status, vars.text).toBe(200);
    return { projectId: String(p.json.id), environmentId: String(env.json.id) };
  }

  /** Rows that would be orphaned or lost: the project's, its environment's, and the teardown jobs. */
  async function state(projectId: string, environmentId: string) {
    const db = t.app.db.kysely;
    const count = async (q: Promise<unknown[]>) => (await q).length;
    return {
      project: await count(db.selectFrom('projects').select('id').where('id', '=', projectId).execute()),
      environment: await count(db.selectFrom('environments').select('id').where('id', '=', environmentId).execute()),
      servers: await count(db.selectFrom('environment_servers').select('server_id').where('environment_id', '=', environmentId).execute()),
      variables: await count(db.selectFrom('env_vars').select('id').where('environment_id', '=', environmentId).execute()),
      teardownJobs: (await db.selectFrom('jobs').select('payload').where('name', '=', TEARDOWN_JOB).execute()).filter((j) => j.payload.includes(environmentId)).length,
      deleteAudits: await count(db.selectFrom('audit_events').select('id').where('target_id', 'in', [projectId, environmentId]).where('action', 'like', '%.delete').execute()),
    };
  }

  it('keeps a project and its environments when the teardown job cannot be queued, and deletes both once it can', async () => {
    const { projectId, environmentId } = await projectWithEnvironment('Refused delete');
    const allow = await refuseInserts(t, dialect, 'jobs');
    try {
      const res = await t.request('DELETE', `/api/v1/projects/${projectId}`, { session: developer });
      expect(res.status, res.text).toBe(503);
      expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
      expect(res.json).toMatchObject({ code: 'job.enqueue_failed', status: 503 });
      expect(await state(projectId, environmentId)).toEqual({ project: 1, environment: 1, servers: 1, variables: 2, teardownJobs: 0, deleteAudits: 0 });
      expect((await t.request('GET', `/api/v1/projects/${projectId}`, { session: developer })).status).toBe(200);
    } finally {
      await allow();
    }
    expect((await t.request('DELETE', `/api/v1/projects/${projectId}`, { session: developer })).status).toBe(204);
    expect(await state(projectId, environmentId)).toEqual({ project: 0, environment: 0, servers: 0, variables: 0, teardownJobs: 1, deleteAudits: 1 });
  });

  it('keeps an environment when its teardown job cannot be queued, and deletes it once it can', async () => {
    const { projectId, environmentId } = await projectWithEnvironment('Refused env delete');
    const allow = await refuseInserts(t, dialect, 'jobs');
    try {
      const res = await t.request('DELETE', `/api/v1/environments/${environmentId}`, { session: developer });
      expect(res.status, res.text).toBe(503);
      expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
      expect(res.json.code).toBe('job.enqueue_failed');
      expect(await state(projectId, environmentId)).toEqual({ project: 1, environment: 1, servers: 1, variables: 2, teardownJobs: 0, deleteAudits: 0 });
    } finally {
      await allow();
    }
    expect((await t.request('DELETE', `/api/v1/environments/${environmentId}`, { session: developer })).status).toBe(204);
    expect(await state(projectId, environmentId)).toEqual({ project: 1, environment: 0, servers: 0, variables: 0, teardownJobs: 1, deleteAudits: 1 });
    const job = await t.app.db.kysely.selectFrom('jobs').select('payload').where('name', '=', TEARDOWN_JOB).where('payload', 'like', `%${environmentId}%`).executeTakeFirstOrThrow();
    expect(JSON.parse(job.payload)).toMatchObject({ environmentId, serverIds: [serverId] });
  });

  it('writes nothing when a clone fails midway (after the project and environment rows, at the variables)', async () => {
    const { projectId } = await projectWithEnvironment('Clone source');
    const db = t.app.db.kysely;
    const before = {
      projects: (await db.selectFrom('projects').select('id').execute()).length,
      environments: (await db.selectFrom('environments').select('id').execute()).length,
      servers: (await db.selectFrom('environment_servers').select('server_id').execute()).length,
      audits: (await db.selectFrom('audit_events').select('id').execute()).length,
    };
    const allow = await refuseInserts(t, dialect, 'env_var_versions');
    try {
      const res = await t.request('POST', `/api/v1/projects/${projectId}/clone`, { session: developer, body: { name: 'Clone that fails' } });
      expect(res.status).toBe(500);
      expect(String(res.headers['content-type'])).toMatch(/^application\/problem\+json/);
    } finally {
      await allow();
    }
    expect({
      projects: (await db.selectFrom('projects').select('id').execute()).length,
      environments: (await db.selectFrom('environments').select('id').execute()).length,
      servers: (await db.selectFrom('environment_servers').select('server_id').execute()).length,
      audits: (await db.selectFrom('audit_events').select('id').execute()).length,
    }).toEqual(before);
    expect(await db.selectFrom('projects').select('id').where('name', '=', 'Clone that fails').execute()).toEqual([]);

    // The same clone succeeds once the database takes the rows, with the variables copied.
    const ok = await t.request('POST', `/api/v1/projects/${projectId}/clone`, { session: developer, body: { name: 'Clone that fails' } });
    expect(ok.status, ok.text).toBe(201);
    const envs = await t.request('GET', `/api/v1/projects/${String(ok.json.id)}/environments`, { session: developer });
    const copied = await t.request('GET', `/api/v1/environments/${String(envs.json.data?.[0]?.id)}/variables`, { session: developer });
    expect(copied.json.variables).toEqual({ APP_ENV: 'production', DB_PASSWORD: 'pw-123456' });
  });

  it('answers a name conflict during a clone with 409 and writes nothing', async () => {
    const { projectId } = await projectWithEnvironment('Clone conflict');
    const projects = (await t.app.db.kysely.selectFrom('projects').select('id').execute()).length;
    const res = await t.request('POST', `/api/v1/projects/${projectId}/clone`, { session: developer, body: { name: 'Clone conflict', slug: 'fresh-slug' } });
    expect(res.status, res.text).toBe(409);
    expect(res.json.code).toBe('project.name_taken');
    expect((await t.app.db.kysely.selectFrom('projects').select('id').execute()).length).toBe(projects);
  });
});
