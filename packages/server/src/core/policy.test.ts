import { describe, expect, it } from 'vitest';
import { canAssignRole, decide, hasAbility } from './policy.js';

const member = (role: 'owner' | 'admin' | 'developer' | 'viewer', projects?: string[]) => ({
  role,
  projectIds: projects ? new Set(projects) : undefined,
});

describe('policy', () => {
  it('lets roles do what API.md says and no more', () => {
    expect(decide('deployment.create', member('developer'), undefined, { organizationId: 'o' })).toBe('allow');
    expect(decide('deployment.create', member('viewer'), undefined, { organizationId: 'o' })).toBe('role_too_low');
    expect(decide('server.write', member('developer'), undefined, { organizationId: 'o' })).toBe('role_too_low');
    expect(decide('member.manage', member('admin'), undefined, { organizationId: 'o' })).toBe('allow');
    expect(decide('secrets.read', member('viewer'), undefined, { organizationId: 'o' })).toBe('role_too_low');
  });

  it('answers not_member for another organization', () => {
    expect(decide('project.read', undefined, undefined, { organizationId: 'other' })).toBe('not_member');
  });

  it('narrows by token abilities, never widens', () => {
    expect(decide('deployment.create', member('owner'), new Set(['read']), { organizationId: 'o' })).toBe('ability_missing');
    expect(decide('server.write', member('viewer'), new Set(['admin']), { organizationId: 'o' })).toBe('role_too_low');
    expect(hasAbility(new Set(['deploy']), 'read')).toBe(true);
    expect(hasAbility(new Set(['read']), 'secrets:read')).toBe(false);
  });

  it('limits project-scoped members to their projects', () => {
    const m = member('developer', ['p1']);
    expect(decide('project.write', m, undefined, { organizationId: 'o', projectId: 'p1' })).toBe('allow');
    expect(decide('project.write', m, undefined, { organizationId: 'o', projectId: 'p2' })).toBe('project_not_granted');
  });

  it('only owners make owners', () => {
    expect(canAssignRole('admin', 'owner')).toBe(false);
    expect(canAssignRole('owner', 'owner')).toBe(true);
    expect(canAssignRole('admin', 'developer')).toBe(true);
    expect(canAssignRole('developer', 'viewer')).toBe(false);
  });
});
