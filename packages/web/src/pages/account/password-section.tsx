import { useRef, useState, type FormEvent } from 'react';
import { identityApi } from '../../api/identity';
import type { PasswordChanged } from '@devflow/contracts';
import { ErrorAlert, Notice } from '../../components/alert';
import { TextField } from '../../components/field';
import { useAction } from '../../lib/use-action';
import { useFocusInvalid } from '../../lib/use-focus-invalid';

const changePassword = (current: string, next: string, revokeTokens: boolean) => identityApi.changePassword(current, next, revokeTokens);

/** Change password: the current one proves it is the user, the new one is typed twice. */
export function PasswordSection() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const [revokeTokens, setRevokeTokens] = useState(false);
  const [done, setDone] = useState<PasswordChanged | null>(null);
  const action = useAction(changePassword);
  const formRef = useRef<HTMLFormElement>(null);
  const [attempt, setAttempt] = useState(0);
  useFocusInvalid(formRef, (action.error || mismatch) && attempt);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    setAttempt((n) => n + 1);
    if (next !== confirm) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    const res = await action.run(current, next, revokeTokens);
    if (res.ok) {
      setCurrent('');
      setNext('');
      setConfirm('');
      setRevokeTokens(false);
      setDone(res.value);
    }
  };

  const errors = action.fieldErrors;
  return (
    <section className="card section" aria-labelledby="password-title">
      <h2 id="password-title">Password</h2>
      <form ref={formRef} className="form form--narrow" onSubmit={(e) => void submit(e)}>
        {done && (
          <Notice>
            Your password has been changed; your other sessions were signed out.{' '}
            {done.tokensRevoked > 0 && `${done.tokensRevoked} API token(s) were revoked. `}
            {done.tokensKept > 0
              ? `${done.tokensKept} API token(s) still work: a password change does not end them. Revoke them under API tokens if they may be known to someone else.`
              : 'You have no API tokens that still work.'}
          </Notice>
        )}
        <ErrorAlert error={action.error} fields={['currentPassword', 'newPassword']} />
        <TextField
          label="Current password"
          type="password"
          name="currentPassword"
          autoComplete="current-password"
          required
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          error={errors.currentPassword}
        />
        <TextField
          label="New password"
          type="password"
          name="newPassword"
          autoComplete="new-password"
          required
          value={next}
          onChange={(e) => setNext(e.target.value)}
          error={errors.newPassword}
        />
        <TextField
          label="Repeat new password"
          type="password"
          name="confirmPassword"
          autoComplete="new-password"
          required
          value={confirm}
          onChange={(e) => setConfirm(e.target.value)}
          error={mismatch ? 'The two new passwords differ.' : undefined}
        />
        <label className="check">
          <input type="checkbox" name="revokeTokens" checked={revokeTokens} onChange={(e) => setRevokeTokens(e.target.checked)} />
          <span>
            Also revoke all my API tokens
            <span className="check__help">API tokens keep working after a password change unless you revoke them.</span>
          </span>
        </label>
        <div className="form__actions">
          <button type="submit" className="button button--primary" disabled={action.pending}>
            {action.pending ? 'Changing…' : 'Change password'}
          </button>
        </div>
      </form>
    </section>
  );
}
