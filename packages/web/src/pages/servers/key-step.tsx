import { useId, useRef, useState, type FormEvent } from 'react';
import { sshKeysApi } from '../../api/ssh-keys';
import type { SshKey, SshKeyInput } from '@devflow/contracts';
import { ErrorAlert } from '../../components/alert';
import { TextAreaField, TextField } from '../../components/field';
import { useAction } from '../../lib/use-action';
import { useFocusInvalid } from '../../lib/use-focus-invalid';
import { useResource } from '../../lib/use-resource';
import { KeyInstructions } from './key-instructions';

type Choice = string | 'generate' | 'import';

/**
 * Step 1 of adding a server: pick one of the organization's SSH keys, or
 * generate or import one, then show how to install its public key.
 */
export function KeyStep({
  organizationId,
  chosen,
  onChosen,
  onNext,
}: {
  organizationId: string;
  chosen: SshKey | null;
  onChosen(key: SshKey | null): void;
  onNext(): void;
}) {
  const radioName = useId();
  const keys = useResource(`ssh-keys:${organizationId}`, (signal) => sshKeysApi.list(organizationId, signal));
  const [picked, setPicked] = useState<Choice | null>(chosen?.id ?? null);
  const [name, setName] = useState('');
  const [privateKey, setPrivateKey] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const create = useAction(sshKeysApi.create);
  const formRef = useRef<HTMLFormElement>(null);
  useFocusInvalid(formRef, create.error);

  const list = keys.data?.data ?? [];
  // Until the user picks: the chosen key, else generate a first one when there is none.
  const choice: Choice | null = picked ?? (keys.data ? (list.length ? null : 'generate') : null);

  const pick = (c: Choice) => {
    setPicked(c);
    create.reset();
    onChosen(list.find((k) => k.id === c) ?? null);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const input: SshKeyInput = { organizationId, name: name.trim() };
    if (choice === 'import') {
      input.privateKey = privateKey;
      if (passphrase) input.passphrase = passphrase;
    }
    const res = await create.run(input);
    if (!res.ok) return;
    const key = res.value;
    if (keys.data) keys.set({ ...keys.data, data: [...list, key] });
    setPicked(key.id);
    setName('');
    setPrivateKey('');
    setPassphrase('');
    onChosen(key);
  };

  return (
    <>
      <ErrorAlert error={keys.error} />
      {keys.loading && (
        <p className="muted" role="status">
          Loading SSH keys…
        </p>
      )}
      {keys.data && (
        <fieldset className="fieldset">
          <legend>Which key should DevFlow sign in with?</legend>
          <div className="radios">
            {list.map((k) => (
              <label key={k.id} className="check">
                <input type="radio" name={radioName} value={k.id} checked={choice === k.id} onChange={() => pick(k.id)} />
                <span>
                  {k.name}
                  <span className="check__help">
                    {k.type} · <code>{k.fingerprint}</code>
                  </span>
                </span>
              </label>
            ))}
            <label className="check">
              <input type="radio" name={radioName} value="generate" checked={choice === 'generate'} onChange={() => pick('generate')} />
              <span>
                Generate a new key
                <span className="check__help">An ed25519 key pair; the private key never leaves DevFlow.</span>
              </span>
            </label>
            <label className="check">
              <input type="radio" name={radioName} value="import" checked={choice === 'import'} onChange={() => pick('import')} />
              <span>
                Import a private key
                <span className="check__help">OpenSSH or PEM; it is stored encrypted and never shown again.</span>
              </span>
            </label>
          </div>
        </fieldset>
      )}

      {(choice === 'generate' || choice === 'import') && (
        <form ref={formRef} className="form" onSubmit={(e) => void submit(e)}>
          <ErrorAlert error={create.error} fields={['name', 'privateKey', 'passphrase']} />
          <TextField
            label="Key name"
            name="name"
            required
            maxLength={100}
            placeholder="e.g. production servers"
            value={name}
            onChange={(e) => setName(e.target.value)}
            error={create.fieldErrors.name}
          />
          {choice === 'import' && (
            <>
              <TextAreaField
                label="Private key"
                name="privateKey"
                required
                rows={6}
                spellCheck={false}
                autoComplete="off"
                placeholder="-----BEGIN OPENSSH PRIVATE KEY-----"
                className="textarea--code"
                value={privateKey}
                onChange={(e) => setPrivateKey(e.target.value)}
                error={create.fieldErrors.privateKey}
              />
              <TextField
                label="Passphrase"
                name="passphrase"
                type="password"
                autoComplete="off"
                hint="Only if the key is encrypted. Used once to decrypt it; never stored."
                value={passphrase}
                onChange={(e) => setPassphrase(e.target.value)}
                error={create.fieldErrors.passphrase}
              />
            </>
          )}
          <div className="form__actions">
            <button type="submit" className="button button--secondary" disabled={create.pending}>
              {choice === 'import' ? (create.pending ? 'Importing…' : 'Import key') : create.pending ? 'Generating…' : 'Generate key'}
            </button>
          </div>
        </form>
      )}

      {chosen && <KeyInstructions sshKey={chosen} />}

      <div className="form__actions">
        <button type="button" className="button button--primary" disabled={!chosen} onClick={onNext}>
          Continue
        </button>
        {!chosen && <span className="muted">Choose, generate or import a key first.</span>}
      </div>
    </>
  );
}
