import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateEd25519 } from '../../src/adapters/ssh/key-material.js';
import { CommandFailedError, SshError } from '../../src/adapters/ssh/ssh-errors.js';
import { Ssh2Executor } from '../../src/adapters/ssh/ssh2-executor.js';
import type { SshTarget } from '../../src/adapters/ssh/ssh-executor.js';
import { labAvailable, type LabServer } from '../support/lab.js';
import { HOSTILE } from './hostile-values.js';
import { addUser, processes, pwned, sleep, startServer, targetOf, waitFor } from './lab-fixtures.js';

const lab = await labAvailable();

describe.skipIf(!lab)('SshExecutor (ssh2) against real OpenSSH', () => {
  const key = generateEd25519('executor-test');
  let vps: LabServer;
  let ssh: Ssh2Executor;
  let root: SshTarget;
  let deploy: SshTarget;

  beforeAll(async () => {
    vps = await startServer({ authorizedKey: key.publicKey });
    await addUser(vps, 'deploy', key.publicKey, true);
    await addUser(vps, 'nosudo', key.publicKey, false);
    ssh = new Ssh2Executor({ connectTimeoutMs: 5000 });
    const { hostKeyFingerprint } = await ssh.connect(targetOf(vps, key.privateKey));
    root = targetOf(vps, key.privateKey, 'root', hostKeyFingerprint);
    deploy = targetOf(vps, key.privateKey, 'deploy', hostKeyFingerprint);
  });
  afterAll(async () => {
    await ssh?.destroy();
    await vps?.stop();
  });

  it('passes hostile values in every argument verbatim and executes none of them (root and sudo)', async () => {
    for (const target of [root, deploy]) {
      const res = await ssh.exec(target, ['printf', '%s\\n', ...HOSTILE]);
      expect(res.stdout).toBe(HOSTILE.map((h) => `${h}\n`).join(''));
      const env = Object.fromEntries(HOSTILE.map((h, i) => [`V${i}`, h]));
      const viaEnv = await ssh.exec(target, ['sh', '-c', 'for i in $(seq 0 22); do eval "printf \'%s|\' \\"\\$V$i\\""; done'], { env });
      expect(viaEnv.stdout).toBe(HOSTILE.map((h) => `${h}|`).join(''));
      const viaStdin = await ssh.exec(target, ['cat'], { stdin: HOSTILE.join('\n') });
      expect(viaStdin.stdout).toBe(HOSTILE.join('\n'));
      const dir = '/tmp/dir $(touch /tmp/pwned) `x` ; "q" \'s\'';
      await ssh.exec(target, ['mkdir', '-p', '--', dir], { sudo: true });
      expect((await ssh.exec(target, ['pwd'], { cwd: dir })).stdout.trim()).toBe(dir);
    }
    expect(await pwned(vps)).toBe(false);
  });

  it('keeps secrets out of argv and ps, and masks them in errors', async () => {
    const secret = `s3cret-${randomBytes(6).toString('hex')}`;
    const running = ssh.exec(root, ['sh', '-c', 'sleep 2; printf "%s" "$TOKEN" >&2; exit 3'], { env: { TOKEN: secret } });
    await sleep(800);
    const ps = await vps.exec(['ps', '-eo', 'args']);
    expect(ps.stdout).not.toContain(secret);
    const err = await running.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CommandFailedError);
    const failed = err as CommandFailedError;
    expect(failed.code).toBe('ssh.command_failed');
    expect(failed.exitCode).toBe(3);
    expect(failed.argv).toEqual(['sh', '-c', 'sleep 2; printf "%s" "$TOKEN" >&2; exit 3']);
    expect(failed.stderrTail).toBe('***');
    expect(JSON.stringify(failed.meta)).not.toContain(secret);
  });

  it('streams stdout and stderr and returns exit codes', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const res = await ssh.exec(root, ['sh', '-c', 'for i in 1 2 3; do echo out$i; echo err$i >&2; sleep 0.1; done; exit 7'], {
      check: false,
      onStdout: (c) => out.push(c),
      onStderr: (c) => err.push(c),
    });
    expect(res.exitCode).toBe(7);
    expect(out.join('')).toBe('out1\nout2\nout3\n');
    expect(err.join('')).toBe('err1\nerr2\nerr3\n');
    expect(res.stderr).toBe('err1\nerr2\nerr3\n');
  });

  it('a timeout kills the remote process tree (checked with ps)', async () => {
    for (const target of [root, deploy]) {
      const started = Date.now();
      const err = await ssh.exec(target, ['sh', '-c', 'sleep 301 & sleep 302; wait'], { timeoutMs: 1500 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SshError);
      expect((err as SshError).code).toBe('ssh.command_timeout');
      expect(Date.now() - started).toBeLessThan(6000);
      await waitFor('sleep 301/302 gone', async () => (await processes(vps, /sleep 30[12]/)).length === 0, 5000);
    }
  });

  it('cancelling through an AbortSignal kills the remote process (checked with ps)', async () => {
    for (const target of [root, deploy]) {
      const ac = new AbortController();
      const running = ssh.exec(target, ['sh', '-c', 'trap "" HUP TERM; sleep 303 & sleep 304; wait'], { signal: ac.signal, timeoutMs: 60_000 });
      await waitFor('sleep 303 running', async () => (await processes(vps, /sleep 303/)).length > 0, 5000);
      ac.abort();
      const err = await running.catch((e: unknown) => e);
      expect((err as SshError).code).toBe('ssh.cancelled');
      await waitFor('sleep 303/304 gone', async () => (await processes(vps, /sleep 30[34]/)).length === 0, 5000);
    }
    const pre = new AbortController();
    pre.abort();
    await expect(ssh.exec(root, ['touch', '/tmp/never'], { signal: pre.signal })).rejects.toMatchObject({ code: 'ssh.cancelled' });
    expect((await vps.exec(['test', '-e', '/tmp/never'])).code).toBe(1);
  });

  it('runs non-root commands through sudo -n, and says so clearly when sudo is not allowed', async () => {
    expect((await ssh.exec(deploy, ['id', '-un'])).stdout.trim()).toBe('root');
    expect((await ssh.exec(deploy, ['id', '-un'], { sudo: false })).stdout.trim()).toBe('deploy');
    const nosudo = { ...deploy, id: 'nosudo', user: 'nosudo' };
    const err = await ssh.exec(nosudo, ['id', '-un']).catch((e: unknown) => e);
    expect((err as SshError).code).toBe('ssh.sudo_failed');
    expect((err as SshError).message).toContain('passwordless sudo');
  });

  it('uploads and downloads over SFTP', async () => {
    const data = randomBytes(300_000);
    await ssh.upload(root, '/tmp/upload.bin', data, { mode: 0o600 });
    const sum = await vps.exec(['sh', '-c', 'sha256sum /tmp/upload.bin | cut -d" " -f1; stat -c %a /tmp/upload.bin']);
    const [hash, mode] = sum.stdout.trim().split('\n');
    expect(hash).toBe((await import('node:crypto')).createHash('sha256').update(data).digest('hex'));
    expect(mode).toBe('600');
    expect((await ssh.download(root, '/tmp/upload.bin')).equals(data)).toBe(true);
    await expect(ssh.download(root, '/tmp/missing.bin')).rejects.toMatchObject({ code: 'ssh.transfer_failed' });
    await expect(ssh.download(root, '/tmp/upload.bin', { maxBytes: 1000 })).rejects.toMatchObject({ code: 'ssh.transfer_failed' });
  });

  it('carries many concurrent channels over one pooled connection and reconnects after it drops', async () => {
    const pooled = new Ssh2Executor({ connectTimeoutMs: 5000 });
    try {
      const target = { ...root, id: 'pool-test' };
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => pooled.exec(target, ['sh', '-c', `sleep 0.3; echo ${i}`])));
      expect(results.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
      expect(pooled.connections).toBe(1);
      // Kill the server side of the connection (as a network drop or sshd restart would).
      await vps.exec(['sh', '-c', 'pkill -f "sshd: root@notty" || true']);
      await sleep(300);
      expect((await pooled.exec(target, ['echo', 'back'])).stdout).toBe('back\n');
      expect(pooled.connections).toBe(1);
    } finally {
      await pooled.destroy();
    }
  });
});
