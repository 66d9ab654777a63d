import { describe, expect, it } from 'vitest';
import { authorizeCommand, shellQuote } from './authorize-command';

describe('authorizeCommand', () => {
  it('appends the key line to ~/.ssh/authorized_keys with safe permissions', () => {
    expect(authorizeCommand(' ssh-ed25519 AAAAC3Nz devflow-lab \n')).toBe(
      "mkdir -p ~/.ssh && chmod 700 ~/.ssh && echo 'ssh-ed25519 AAAAC3Nz devflow-lab' >> ~/.ssh/authorized_keys && chmod 600 ~/.ssh/authorized_keys",
    );
  });

  it('quotes any text as one sh word: nothing expands inside single quotes, and a quote is closed, escaped, reopened', () => {
    expect(shellQuote('$(touch /tmp/x) `x` "y"')).toBe(`'$(touch /tmp/x) \`x\` "y"'`);
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});
