import { useEffect, useRef, useState, type FormEvent } from 'react';
import { identityApi } from '../api/identity';
import type { LoginInput } from '@devflow/contracts';
import { ErrorAlert, Notice } from '../components/alert';
import { AuthLayout } from '../components/auth-layout';
import { TextField } from '../components/field';
import { useAction } from '../lib/use-action';
import { useFocusInvalid } from '../lib/use-focus-invalid';
import { Link, navigate, safeNext, useLocation } from '../router/router';
import { useSession } from '../session/session';

const TOTP_REQUIRED = 'auth.totp_required';
/** Many failed sign-ins for this account: a password with a second-factor code still gets in now. */
const ACCOUNT_SLOWED = 'auth.account_slowed';

type Step = { kind: 'password' } | { kind: 'second-factor'; method: 'totp' | 'recovery' };

/** Sign-in with email and password, then a TOTP or recovery code when the account has 2FA. */
export function LoginPage() {
  const session = useSession();
  const { search } = useLocation();
  const next = safeNext(search.get('next'));
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [step, setStep] = useState<Step>({ kind: 'password' });
  const [setupUnknown, setSetupUnknown] = useState(false);
  const login = useAction(identityApi.login);
  const formRef = useRef<HTMLFormElement>(null);
  useFocusInvalid(formRef, login.error);

  // A fresh installation has no user yet: send the visitor to the setup page.
  useEffect(() => {
    const ctrl = new AbortController();
    identityApi.setupStatus(ctrl.signal).then(
      (s) => {
        if (s.required) navigate('/setup', { replace: true });
      },
      () => {
        if (!ctrl.signal.aborted) setSetupUnknown(true);
      },
    );
    return () => ctrl.abort();
  }, []);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const input: LoginInput = { email, password };
    if (step.kind === 'second-factor') {
      if (step.method === 'totp') input.totp = code.replace(/\s/g, '');
      else input.recoveryCode = code.trim();
    }
    const res = await login.run(input);
    if (res.ok) {
      await session.started(res.value);
      navigate(next, { replace: true });
    } else if (res.error.code === TOTP_REQUIRED) {
      login.reset();
      setCode('');
      setStep({ kind: 'second-factor', method: 'totp' });
    } else if (res.error.code === ACCOUNT_SLOWED && step.kind === 'password') {
      // Keep the error: it says to wait, or to add a code (shown next to the code field).
      setCode('');
      setStep({ kind: 'second-factor', method: 'totp' });
    }
  };

  const switchMethod = () => {
    if (step.kind !== 'second-factor') return;
    login.reset();
    setCode('');
    setStep({ kind: 'second-factor', method: step.method === 'totp' ? 'recovery' : 'totp' });
  };

  const errors = login.fieldErrors;
  // A wrong code answers a problem without field errors: show it next to the code field.
  const codeError =
    step.kind === 'second-factor' && login.error && login.error.errors.length === 0 ? login.error.detail : errors.totp ?? errors.recoveryCode;

  if (step.kind === 'second-factor') {
    const totp = step.method === 'totp';
    return (
      <AuthLayout
        title="Two-factor authentication"
        intro={
          <p>
            {totp
              ? 'Enter the 6-digit code from your authenticator app.'
              : 'Enter one of the recovery codes you saved when you turned on two-factor authentication. Each code works once.'}
          </p>
        }
      >
        <form ref={formRef} className="form" onSubmit={(e) => void submit(e)}>
          {login.error && login.error.errors.length > 0 && <ErrorAlert error={login.error} fields={['totp', 'recoveryCode']} />}
          {totp ? (
            <TextField
              key="totp"
              label="Authentication code"
              name="totp"
              autoComplete="one-time-code"
              inputMode="numeric"
              pattern="[0-9 ]{6,7}"
              maxLength={7}
              required
              autoFocus
              value={code}
              onChange={(e) => setCode(e.target.value)}
              error={codeError}
              className="input--code"
            />
          ) : (
            <TextField
              key="recovery"
              label="Recovery code"
              name="recoveryCode"
              autoComplete="off"
              spellCheck={false}
              autoCapitalize="off"
              required
              autoFocus
              value={code}
              onChange={(e) => setCode(e.target.value)}
              error={codeError}
            />
          )}
          <button type="submit" className="button button--primary button--block" disabled={login.pending}>
            {login.pending ? 'Verifying…' : 'Verify'}
          </button>
          <div className="form__links">
            <button type="button" className="button button--link" onClick={switchMethod}>
              {totp ? 'Use a recovery code instead' : 'Use the authenticator app instead'}
            </button>
            <button
              type="button"
              className="button button--link"
              onClick={() => {
                login.reset();
                setStep({ kind: 'password' });
              }}
            >
              Back to sign in
            </button>
          </div>
        </form>
      </AuthLayout>
    );
  }

  return (
    <AuthLayout
      title="Sign in"
      footer={
        setupUnknown ? (
          <p>
            New installation? <Link to="/setup">Create the first account</Link>
          </p>
        ) : undefined
      }
    >
      {search.get('setup') === 'done' && <Notice tone="info">DevFlow Pro is already set up. Sign in with your account.</Notice>}
      {search.get('signedOut') === '1' && <Notice tone="info">You have been signed out.</Notice>}
      {search.get('joined') === '1' && <Notice>Your account is ready. Sign in to continue.</Notice>}
      <form ref={formRef} className="form" onSubmit={(e) => void submit(e)}>
        <ErrorAlert error={login.error} fields={['email', 'password']} />
        <TextField
          label="Email"
          name="email"
          type="email"
          autoComplete="username"
          inputMode="email"
          required
          autoFocus
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={errors.email}
        />
        <TextField
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={errors.password}
        />
        <button type="submit" className="button button--primary button--block" disabled={login.pending}>
          {login.pending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </AuthLayout>
  );
}
