import { useRef, useState, type FormEvent } from 'react';
import { organizationsApi } from '../../api/organizations';
import { roleNames, type Invitation, type Member, type Role } from '@devflow/contracts';
import { ErrorAlert, Notice } from '../../components/alert';
import { ConfirmButton } from '../../components/confirm-button';
import { CopyButton } from '../../components/copy-button';
import { SelectField, TextField } from '../../components/field';
import { formatDateTime } from '../../lib/format';
import { useAction } from '../../lib/use-action';
import { useCursorList } from '../../lib/use-cursor-list';
import { useFocusInvalid } from '../../lib/use-focus-invalid';
import { canAdminister, useMe, useSession } from '../../session/session';
import { PendingInvitations } from './pending-invitations';

const ROLE_HELP: Record<Role, string> = {
  owner: 'Everything, including deleting the organization',
  admin: 'Everything: members, servers, tokens',
  developer: 'Projects, environments, deployments, domains',
  viewer: 'Read only, never secrets',
};

/** Members of the organization: roles, removal, and invitations by link. */
export function MembersPage() {
  const me = useMe();
  const { organization } = useSession();
  const orgId = organization?.organizationId ?? '';
  const canManage = canAdminister(organization);
  const assignable = roleNames.filter((r) => r !== 'owner' || organization?.role === 'owner');
  const list = useCursorList(orgId || null, (cursor, signal) => organizationsApi.listMembers(orgId, cursor, signal));
  const changeRole = useAction(organizationsApi.changeRole);
  const removeMember = useAction(organizationsApi.removeMember);
  const invite = useAction(organizationsApi.invite);
  const formRef = useRef<HTMLFormElement>(null);
  useFocusInvalid(formRef, invite.error);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('developer');
  const [invitation, setInvitation] = useState<Invitation | null>(null);

  const onRole = async (m: Member, next: Role) => {
    const res = await changeRole.run(orgId, m.userId, next);
    if (res.ok) list.update((items) => items.map((x) => (x.userId === m.userId ? { ...x, role: next } : x)));
  };

  const onRemove = async (m: Member) => {
    const res = await removeMember.run(orgId, m.userId);
    if (res.ok) list.update((items) => items.filter((x) => x.userId !== m.userId));
  };

  const onInvite = async (e: FormEvent) => {
    e.preventDefault();
    const res = await invite.run(orgId, email.trim(), role);
    if (res.ok) {
      setInvitation(res.value);
      setEmail('');
    }
  };

  return (
    <>
      {canManage && (
        <section className="card section" aria-labelledby="invite-title">
          <h2 id="invite-title">Invite a member</h2>
          {invitation && (
            <Notice>
              <p>
                Invitation for <strong>{invitation.email}</strong> as {invitation.role} created. Send them this link: it works
                once and expires {formatDateTime(invitation.expiresAt)}.
              </p>
              {invitation.url && (
                <div className="secret-line">
                  <code>{invitation.url}</code>
                  <CopyButton text={invitation.url} label="Copy link" />
                </div>
              )}
            </Notice>
          )}
          <form ref={formRef} className="form" onSubmit={(e) => void onInvite(e)}>
            <ErrorAlert error={invite.error} fields={['email', 'role']} />
            <div className="form__row">
              <TextField
                label="Email"
                type="email"
                name="email"
                autoComplete="off"
                required
                value={email}
                onChange={(e) => setEmail(e.target.value)}
                error={invite.fieldErrors.email}
              />
              <SelectField
                label="Role"
                name="role"
                value={role}
                onChange={(e) => setRole(e.target.value as Role)}
                error={invite.fieldErrors.role}
                hint={ROLE_HELP[role]}
              >
                {assignable.map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </SelectField>
            </div>
            <div className="form__actions">
              <button type="submit" className="button button--primary" disabled={invite.pending}>
                {invite.pending ? 'Inviting…' : 'Create invitation'}
              </button>
            </div>
          </form>
        </section>
      )}

      {canManage && <PendingInvitations organizationId={orgId} refreshKey={invitation?.id ?? ''} />}

      <section className="card section" aria-labelledby="members-title">
        <h2 id="members-title">Members</h2>
        <ErrorAlert error={list.error ?? changeRole.error ?? removeMember.error} />
        {list.items.length > 0 && (
          <table className="table table--stack">
            <caption className="visually-hidden">Members of {organization?.organizationName}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Email</th>
                <th scope="col">Role</th>
                <th scope="col">Two-factor</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.items.map((m) => {
                const self = m.userId === me.user.id;
                return (
                  <tr key={m.userId}>
                    <td data-label="Name">
                      <span>
                        {m.name}
                        {self && <span className="muted"> (you)</span>}
                      </span>
                    </td>
                    <td data-label="Email">{m.email}</td>
                    <td data-label="Role">
                      {canManage && !self ? (
                        <span>
                          <label className="visually-hidden" htmlFor={`role-${m.userId}`}>
                            Role of {m.name}
                          </label>
                          <select
                            id={`role-${m.userId}`}
                            className="select--inline"
                            value={m.role}
                            disabled={changeRole.pending}
                            onChange={(e) => void onRole(m, e.target.value as Role)}
                          >
                            {(assignable.includes(m.role) ? assignable : [m.role, ...assignable]).map((r) => (
                              <option key={r} value={r}>
                                {r}
                              </option>
                            ))}
                          </select>
                        </span>
                      ) : (
                        <span className="chip">{m.role}</span>
                      )}
                    </td>
                    <td data-label="Two-factor">
                      {m.twoFactorEnabled ? <span className="badge badge--success">On</span> : <span className="badge">Off</span>}
                    </td>
                    <td className="table__actions">
                      {canManage && !self && (
                        <ConfirmButton confirmLabel={`Remove ${m.name}`} onConfirm={() => void onRemove(m)} pending={removeMember.pending}>
                          Remove
                        </ConfirmButton>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
        {list.loading && (
          <p className="muted" role="status">
            Loading members…
          </p>
        )}
        {list.hasMore && (
          <button type="button" className="button button--secondary" onClick={list.loadMore} disabled={list.loading}>
            Load more
          </button>
        )}
      </section>
    </>
  );
}
