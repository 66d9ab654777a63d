import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildKillCommand, buildRemoteCommand, encodeEnv, PID_MARK, takePid } from '../../src/adapters/ssh/remote-command.js';
import { quoteArg, shellQuote } from '../../src/adapters/ssh/shell-quote.js';
import { HOSTILE } from './hostile-values.js';


/** Runs text in a local POSIX sh and returns what printf saw as arguments. */
function echoArgs(argv: string[]): string[] {
  const res = spawnSync('sh', ['-c', `printf '%s\\0' ${shellQuote(argv)}`], { encoding: 'utf8' });
  expect(res.status).toBe(0);
  return res.stdout.split('\0').slice(0, -1);
}

describe('shellQuote', () => {
  it('leaves safe words alone and single-quotes everything else', () => {
    expect(quoteArg('nginx')).toBe('nginx');
    expect(quoteArg('/srv/devflow/apps')).toBe('/srv/devflow/apps');
    expect(quoteArg('8.2')).toBe('8.2');
    expect(quoteArg('')).toBe("''");
    expect(quoteArg('a b')).toBe("'a b'");
    expect(quoteArg("it's")).toBe("'it'\\''s'");
    expect(quoteArg('A=1')).toBe("'A=1'");
    expect(quoteArg('~root')).toBe("'~root'");
    expect(shellQuote(['echo', 'a b', '$x'])).toBe("echo 'a b' '$x'");
  });

  it('refuses NUL bytes and non-strings', () => {
    expect(() => quoteArg('a\0b')).toThrow(/NUL/);
    expect(() => quoteArg(1 as unknown as string)).toThrow(TypeError);
  });

  it('round-trips every hostile value through a real sh exactly, running nothing', () => {
    expect(echoArgs(HOSTILE)).toEqual(HOSTILE);
    for (const h of HOSTILE) expect(echoArgs(['x', h, 'y'])).toEqual(['x', h, 'y']);
  });

  it('round-trips random printable and control strings', () => {
    const chars = ' !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~\n\tabcXYZ019éß';
    for (let i = 0; i < 200; i++) {
      const arg = Array.from({ length: 1 + (i % 17) }, (_, j) => chars[(i * 31 + j * 7) % chars.length]).join('');
      expect(echoArgs([arg])).toEqual([arg]);
    }
  });
});

describe('remote command wrapper', () => {
  /** Runs the wrapper locally the way sshd would (`$SHELL -c <command>`). */
  function runLocally(argv: string[], env: Record<string, string> = {}, stdin = '', cwd?: string) {
    const e = encodeEnv(env);
    const command = buildRemoteCommand(argv, { sudo: false, envCount: e.count, cwd });
    return spawnSync('sh', ['-c', command], { input: Buffer.concat([e.payload, Buffer.from(stdin)]), encoding: 'utf8' });
  }

  it('reports its pid first on stderr, then runs argv verbatim', () => {
    const res = runLocally(['printf', '%s|', ...HOSTILE]);
    expect(res.status).toBe(0);
    expect(res.stdout).toBe(HOSTILE.map((h) => `${h}|`).join(''));
    const r = takePid(res.stderr);
    expect(r.complete).toBe(true);
    expect(r.pid).toBeGreaterThan(1);
    expect(r.rest).toBe('');
  });

  it('exports env values from stdin (never argv) and leaves the rest of stdin to the command', () => {
    const secret = 'p@ss $(touch /tmp/pwned) `x`\n"quoted" \'single\'';
    const e = encodeEnv({ SECRET: secret, EMPTY: '' });
    expect(buildRemoteCommand(['true'], { sudo: false, envCount: e.count })).not.toContain('p@ss');
    const res = runLocally(['sh', '-c', 'printf "%s|%s|" "$SECRET" "$EMPTY"; cat'], { SECRET: secret, EMPTY: '' }, 'rest of stdin');
    expect(res.stdout).toBe(`${secret}||rest of stdin`);
  });

  it('changes directory when asked and fails clearly when it cannot', () => {
    expect(runLocally(['pwd'], {}, '', '/tmp').stdout.trim()).toBe('/tmp');
    expect(runLocally(['pwd'], {}, '', '/does/not/exist').status).toBe(96);
  });

  it('refuses invalid env names and empty argv', () => {
    expect(() => encodeEnv({ 'A;B': 'x' })).toThrow(/Invalid environment variable/);
    expect(() => encodeEnv({ '1A': 'x' })).toThrow();
    expect(() => buildRemoteCommand([], { sudo: false, envCount: 0 })).toThrow();
  });

  it('puts sudo -n in front for non-root users and never kills pid 0/1', () => {
    expect(buildRemoteCommand(['id'], { sudo: true, envCount: 0 })).toMatch(/^exec sudo -n -- sh -c /);
    expect(buildKillCommand(1234, false)).toContain('1234');
    expect(() => buildKillCommand(1, false)).toThrow();
    expect(() => buildKillCommand(0, true)).toThrow();
  });

  it('takePid waits for a whole marker line and passes other stderr through', () => {
    expect(takePid(PID_MARK.slice(0, 3))).toEqual({ pid: undefined, rest: '', complete: false });
    expect(takePid(`${PID_MARK}42`)).toEqual({ pid: undefined, rest: '', complete: false });
    expect(takePid(`${PID_MARK}42\nwarn\n`)).toEqual({ pid: 42, rest: 'warn\n', complete: true });
    expect(takePid('sudo: a password is required\n')).toEqual({ pid: undefined, rest: 'sudo: a password is required\n', complete: true });
  });
});
