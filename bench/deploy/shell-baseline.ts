/**
 * The baseline of issue #5: the same release steps as a plain shell script
 * over ONE ssh session (`ssh -i key -p PORT root@127.0.0.1 'sh -s' < script`):
 * lock (mkdir), fetch into a cached bare mirror, git archive | tar -x into
 * releases/<id>, link shared storage/ and .env, point `release` and curl it
 * through a private nginx listener, switch `current` (ln -sfn + mv -T),
 * unlock, prune old releases; the project's Unix user is checked (created
 * once) and owns shared storage, as DevFlow does. The Laravel steps DevFlow
 * runs for this repository run too, as the project's user: `artisan migrate
 * --force` and `artisan optimize` before the switch, a second request after
 * it (DevFlow's public check) and `artisan queue:restart`: the issue asks for
 * a script "doing the same steps". No database writes, no logs, no step
 * records: what a deploy tool adds is the difference.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LabServer } from '../../packages/server/test/support/lab.js';

/** $1 base, $2 repository URL, $3 release id, $4 releases to keep, $5 private health port (0: no check), $6 the project's Unix user. */
export const DEPLOY_SH = `set -e
B=$1 URL=$2 RID=$3 KEEP=$4 HP=$5 U=$6
mkdir -p "$B/releases" "$B/shared"
id -u "$U" >/dev/null 2>&1 || useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$U"
mkdir "$B/.lock" 2>/dev/null || { echo "locked by another deploy" >&2; exit 75; }
trap 'rm -rf "$B/.lock"' EXIT
if [ -d "$B/repo" ]; then
  git --git-dir="$B/repo" fetch -q --prune --force origin '+refs/heads/*:refs/heads/*'
else
  git clone -q --mirror "$URL" "$B/repo"
fi
C=$(git --git-dir="$B/repo" rev-parse 'main^{commit}')
R="$B/releases/$RID"
mkdir "$R"
git --git-dir="$B/repo" archive --format=tar "$C" | tar -x -C "$R" --no-same-owner
if [ ! -d "$B/shared/storage" ]; then
  mkdir -p "$B/shared/storage"
  if [ -d "$R/storage" ]; then cp -a "$R/storage/." "$B/shared/storage/"; fi
  chown -R "$U:$U" "$B/shared/storage"
fi
if [ ! -e "$B/shared/.env" ]; then
  if [ -f "$R/.env.example" ]; then cp "$R/.env.example" "$B/shared/.env"; else : > "$B/shared/.env"; fi
fi
chgrp "$U" "$B/shared/.env" && chmod 0640 "$B/shared/.env"
rm -rf "$R/storage" "$R/.env"
ln -s "$B/shared/storage" "$R/storage"
ln -s "$B/shared/.env" "$R/.env"
cd "$R"
if [ -d database/migrations ]; then runuser -u "$U" -- php artisan migrate --force; fi
runuser -u "$U" -- php artisan optimize
cd "$B"
if [ "$HP" != 0 ]; then
  ln -sfn "releases/$RID" release.tmp && mv -T release.tmp release
  i=0
  until curl -fsS -o /dev/null --max-time 5 "http://127.0.0.1:$HP/"; do
    i=$((i + 1)); [ "$i" -ge 3 ] && { echo "health check failed" >&2; exit 1; }; sleep 1
  done
fi
ln -sfn "releases/$RID" current.tmp && mv -T current.tmp current
if [ "$HP" != 0 ]; then curl -fsS -o /dev/null --max-time 5 "http://127.0.0.1:$HP/"; fi
(cd current && runuser -u "$U" -- php artisan queue:restart)
rm -rf "$B/.lock"
trap - EXIT
ls -1 releases | sort | head -n "-$KEEP" | while read -r old; do rm -rf "releases/$old"; done
echo "deployed $C as $RID"`;

export interface ShellBaseline {
  /** Runs one deployment; resolves with the wall time in ms. Rejects on a non-zero exit. */
  deploy(releaseId: string): Promise<number>;
  /** Whether the curl health check runs (false: it was skipped, see `why`). */
  healthCheck: boolean;
  why: string;
  cleanup(): void;
}

/**
 * Prepares the baseline beside DevFlow's environment: its own key in root's
 * authorized_keys, its own directory `<devflow base>/.bench-script` (inside the
 * environment's directory, so the site's PHP-FPM pool's open_basedir admits it),
 * and a copy of DevFlow's private preview listener on another loopback port that
 * serves `.bench-script/release`. Setup is not timed.
 */
export async function prepareShellBaseline(vps: LabServer, o: { base: string; repoUrl: string; previewPort: number; keep: number; user: string }): Promise<ShellBaseline> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'devflow-bench-ssh-'));
  const key = path.join(dir, 'id');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const pub = readFileSync(`${key}.pub`, 'utf8').trim();
  await vps.exec(['sh', '-c', 'mkdir -p /root/.ssh && cat >> /root/.ssh/authorized_keys', 'add-key'], { input: `${pub}\n` });
  const sb = `${o.base}/.bench-script`;
  const port = o.previewPort + 5000;
  const setup = await vps.exec([
    'sh',
    '-c',
    `f=$(grep -rl "listen 127.0.0.1:$3 " /etc/nginx/ 2>/dev/null | head -n 1)
[ -n "$f" ] || { echo "no preview listener on port $3"; exit 1; }
out="$(dirname "$f")/zz-bench-script-$(basename "$f")"
sed -e "s#$1/release#$2/release#g" -e "s#127.0.0.1:$3 #127.0.0.1:$4 #" "$f" > "$out"
if nginx -t >/dev/null 2>&1 && service nginx reload >/dev/null 2>&1; then echo "$out"; else rm -f "$out"; echo "nginx -t refused the copy"; exit 1; fi`,
    'bench-preview',
    o.base,
    sb,
    String(o.previewPort),
    String(port),
  ]);
  const healthCheck = setup.code === 0;
  const why = healthCheck ? `curl http://127.0.0.1:${port}/ (a copy of DevFlow's preview listener serving .bench-script/release)` : `health check skipped: ${setup.stdout.trim() || setup.stderr.trim()}`;
  const sshArgs = ['-i', key, '-p', String(vps.port), '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR', '-o', 'ConnectTimeout=10'];
  return {
    healthCheck,
    why,
    deploy: (releaseId) =>
      new Promise((resolve, reject) => {
        const t0 = performance.now();
        const child = spawn('ssh', [...sshArgs, `root@${vps.host}`, `sh -s -- ${sb} ${o.repoUrl} ${releaseId} ${o.keep} ${healthCheck ? port : 0} ${o.user}`], { stdio: ['pipe', 'pipe', 'pipe'] });
        let err = '';
        child.stderr.on('data', (c: Buffer) => (err += c.toString()));
        child.stdout.resume();
        const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
        child.on('error', reject);
        child.on('close', (code) => {
          clearTimeout(timer);
          const ms = performance.now() - t0;
          if (code === 0) resolve(ms);
          else reject(new Error(`shell deploy exited ${code}: ${err.trim()}`));
        });
        child.stdin.end(DEPLOY_SH);
      }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
