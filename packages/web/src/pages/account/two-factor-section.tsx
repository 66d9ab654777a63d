import { useRef, useState, type FormEvent } from 'react';
import { identityApi } from '../../api/identity';
import type { TotpEnrolment } from '@devflow/contracts';
import { ErrorAlert, Notice } from '../../components/alert';
import { CopyButton } from '../../components/copy-button';
import { TextField } from '../../components/field';
import { QrCode } from '../../components/qr-code';
import { groupsOf4 } from '../../lib/format';
import { useAction } from '../../lib/use-action';
import { useFocusInvalid } from '../../lib/use-focus-invalid';
import { useMe, useSession } from '../../session/session';

type Phase = { kind: 'idle' } | { kind: 'enrolling'; enrolment: TotpEnrolment } | { kind: 'recovery'; codes: string[] };

const disableTotp = (password: string, code: string) => identityApi.disableTotp(password, code);

/** TOTP enrolment (QR code, confirm with a code, recovery codes shown once) and disabling it. */
export function TwoFactorSection() {
  const me = useMe();
  const session = useSession();
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  const [code, setCode] = useState('');
  const [password, setPassword] = useState('');
  const [disableCode, setDisableCode] = useState('');
  const [disabled, setDisabled] = useState(false);
  const begin = useAction(identityApi.beginTotp);
  const confirm = useAction(identityApi.confirmTotp);
  const disable = useAction(disableTotp);
  const enabled = me.user.twoFactorEnabled;
  const confirmForm = useRef<HTMLFormElement>(null);
  const disableForm = useRef<HTMLFormElement>(null);
  useFocusInvalid(confirmForm, confirm.error);
  useFocusInvalid(disableForm, disable.error);

  const start = async () => {
    setDisabled(false);
    const res = await begin.run();
    if (res.ok) {
      setCode('');
      confirm.reset();
      setPhase({ kind: 'enrolling', enrolment: res.value });
    }
  };

  const submitConfirm = async (e: FormEvent) => {
    e.preventDefault();
    const res = await confirm.run(code.replace(/\s/g, ''));
    if (res.ok) {
      setCode('');
      setPhase({ kind: 'recovery', codes: res.value.recoveryCodes });
      await session.refresh();
    }
  };

  const submitDisable = async (e: FormEvent) => {
    e.preventDefault();
    const res = await disable.run(password, disableCode.replace(/\s/g, ''));
    if (res.ok) {
      setPassword('');
      setDisableCode('');
      setDisabled(true);
      await session.refresh();
    }
  };

  let body;
  if (phase.kind === 'recovery') {
    body = (
      <>
        <Notice>Two-factor authentication is on.</Notice>
        <h3>Save your recovery codes</h3>
        <p>
          Each code signs you in once if you lose your authenticator. <strong>They are shown only now</strong>: store them in
          your password manager.
        </p>
        <ul className="recovery-codes" aria-label="Recovery codes">
          {phase.codes.map((c) => (
            <li key={c}>
              <code>{c}</code>
            </li>
          ))}
        </ul>
        <div className="form__actions">
          <CopyButton text={phase.codes.join('\n')} label="Copy codes" />
          <button type="button" className="button button--primary" onClick={() => setPhase({ kind: 'idle' })}>
            I have saved them
          </button>
        </div>
      </>
    );
  } else if (phase.kind === 'enrolling') {
    const { secret, otpauthUrl } = phase.enrolment;
    body = (
      <div className="totp-enrol">
        <ol className="steps">
          <li>
            <p>Scan this QR code with an authenticator app (1Password, Bitwarden, Aegis, Google Authenticator…).</p>
            <div className="totp-enrol__qr">
              <QrCode value={otpauthUrl} label="QR code for your authenticator app" />
            </div>
            <p className="totp-enrol__secret">
              Cannot scan it? Enter this key: <code>{groupsOf4(secret)}</code> <CopyButton text={secret} label="Copy key" />
            </p>
          </li>
          <li>
            <form ref={confirmForm} className="form form--narrow" onSubmit={(e) => void submitConfirm(e)}>
              <TextField
                label="Enter the 6-digit code the app shows"
                name="code"
                autoComplete="one-time-code"
                inputMode="numeric"
                pattern="[0-9 ]{6,7}"
                maxLength={7}
                required
                value={code}
                onChange={(e) => setCode(e.target.value)}
                error={confirm.fieldErrors.code ?? (confirm.error && !confirm.error.errors.length ? confirm.error.detail : undefined)}
                className="input--code"
              />
              <div className="form__actions">
                <button type="submit" className="button button--primary" disabled={confirm.pending}>
                  {confirm.pending ? 'Checking…' : 'Turn on'}
                </button>
                <button type="button" className="button button--ghost" onClick={() => setPhase({ kind: 'idle' })}>
                  Cancel
                </button>
              </div>
            </form>
          </li>
        </ol>
      </div>
    );
  } else if (enabled) {
    body = (
      <>
        <p>
          <span className="badge badge--success">On</span> Signing in asks for a code from your authenticator app.
        </p>
        <form ref={disableForm} className="form form--narrow" onSubmit={(e) => void submitDisable(e)} aria-labelledby="totp-disable-title">
          <h3 id="totp-disable-title">Turn off two-factor authentication</h3>
          <ErrorAlert error={disable.error} fields={['password', 'code']} />
          <TextField
            label="Password"
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            error={disable.fieldErrors.password}
          />
          <TextField
            label="Authentication code"
            name="code"
            autoComplete="one-time-code"
            inputMode="numeric"
            required
            value={disableCode}
            onChange={(e) => setDisableCode(e.target.value)}
            error={disable.fieldErrors.code}
            className="input--code"
          />
          <div className="form__actions">
            <button type="submit" className="button button--danger" disabled={disable.pending}>
              {disable.pending ? 'Turning off…' : 'Turn off'}
            </button>
          </div>
        </form>
      </>
    );
  } else {
    body = (
      <>
        {disabled && <Notice tone="info">Two-factor authentication is off.</Notice>}
        <p>
          <span className="badge">Off</span> Protect your account with a second step at sign-in: a code from an authenticator
          app.
        </p>
        <ErrorAlert error={begin.error} />
        <div className="form__actions">
          <button type="button" className="button button--primary" onClick={() => void start()} disabled={begin.pending}>
            {begin.pending ? 'Starting…' : 'Set up two-factor authentication'}
          </button>
        </div>
      </>
    );
  }

  return (
    <section className="card section" aria-labelledby="totp-title">
      <h2 id="totp-title">Two-factor authentication</h2>
      {body}
    </section>
  );
}
