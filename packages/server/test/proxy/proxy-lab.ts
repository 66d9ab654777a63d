/** Fixtures of the proxy lab tests: a lab server with an environment on disk, and curl from inside it. */
import { generateEd25519 } from '../../src/adapters/ssh/key-material.js';
import type { SshTarget } from '../../src/adapters/ssh/ssh-executor.js';
import { Ssh2Executor } from '../../src/adapters/ssh/ssh2-executor.js';
import type { SiteSpec } from '../../src/core/nginx/site-spec.js';
import { phpFpmSocketPath } from '../../src/core/php-fpm/php-fpm-paths.js';
import type { PoolSpec } from '../../src/core/php-fpm/pool-config.js';
import { startServer, type LabServer } from '../support/lab.js';

export const ENV_ROOT = '/srv/devflow/shop/production';
export const ACME_WEBROOT = '/var/lib/devflow/acme';

/** What a lab test works with: the server, an executor logged in as root, and the target. */
export interface ProxyLab {
  vps: LabServer;
  ssh: Ssh2Executor;
  target: SshTarget;
  publicKey: string;
  privateKey: string;
  close(): Promise<void>;
}

/** Runs a fixed fixture script inside the server (docker exec), failing loudly. */
export async function sh(vps: LabServer, script: string, ...args: string[]): Promise<string> {
  const res = await vps.exec(['sh', '-c', script, 'fixture', ...args]);
  if (res.code !== 0) throw new Error(`fixture failed (${res.code}): ${res.stderr}${res.stdout}`);
  return res.stdout;
}

/** A response seen by curl inside the server. */
export interface CurlResult {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** curl from inside the server (the only place its nginx listens). Extra args go before the URL. */
export async function curl(vps: LabServer, url: string, ...args: string[]): Promise<CurlResult> {
  const res = await vps.exec(['curl', '-sS', '-i', '--max-time', '5', ...args, url]);
  if (res.code !== 0) throw new Error(`curl ${url} failed (${res.code}): ${res.stderr}`);
  const cut = res.stdout.indexOf('\r\n\r\n');
  const head = res.stdout.slice(0, cut).split('\r\n');
  const status = Number(/^HTTP\/\S+ (\d{3})/.exec(head[0] ?? '')?.[1]);
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status, headers, body: res.stdout.slice(cut + 4) };
}

/**
 * An environment as the release strategy lays it out: two releases whose
 * index.php prints a marker, `current` → r1, a Unix user for the pool, an
 * ACME token and a maintenance page.
 */
const ENVIRONMENT = `
set -e
root=$1; acme=$2
id -u shop >/dev/null 2>&1 || useradd --system --user-group --no-create-home --shell /usr/sbin/nologin shop
for r in r1 r2; do
  mkdir -p "$root/releases/$r/public"
  cat > "$root/releases/$r/public/index.php" <<PHP
<?php
header('Content-Type: text/plain');
echo "release $r\\n";
echo 'user=' . posix_getpwuid(posix_geteuid())['name'] . "\\n";
echo 'document_root=' . \\$_SERVER['DOCUMENT_ROOT'] . "\\n";
echo 'script=' . \\$_SERVER['SCRIPT_FILENAME'] . "\\n";
echo 'open_basedir=' . ini_get('open_basedir') . "\\n";
echo 'exec=' . (function_exists('exec') ? 'yes' : 'no') . "\\n";
echo 'passwd=' . (@file_get_contents('/etc/passwd') === false ? 'blocked' : 'readable') . "\\n";
PHP
  echo "static $r" > "$root/releases/$r/public/hello.txt"
  echo "secret" > "$root/releases/$r/public/.env"
done
ln -sfn releases/r1 "$root/current"
ln -sfn releases/r2 "$root/release"
echo '<h1>Back soon</h1>' > "$root/maintenance.html"
mkdir -p "$acme/.well-known/acme-challenge"
echo 'token-for-acme' > "$acme/.well-known/acme-challenge/tok123"
chown -R shop:shop "$root"
`;

/** Starts a lab server with the environment, an executor and a pinned target. */
export async function startProxyLab(): Promise<ProxyLab> {
  const key = generateEd25519('proxy-lab-test');
  const vps = await startServer({ authorizedKey: key.publicKey });
  try {
    await sh(vps, ENVIRONMENT, ENV_ROOT, ACME_WEBROOT);
    const ssh = new Ssh2Executor({ connectTimeoutMs: 5000 });
    const base: SshTarget = { id: `${vps.name}:root`, host: vps.host, port: vps.port, user: 'root', privateKey: key.privateKey, hostKeyFingerprint: null };
    const { hostKeyFingerprint } = await ssh.connect(base);
    return {
      vps,
      ssh,
      target: { ...base, hostKeyFingerprint },
      publicKey: key.publicKey,
      privateKey: key.privateKey,
      async close() {
        await ssh.destroy();
        await vps.stop();
      },
    };
  } catch (err) {
    await vps.stop();
    throw err;
  }
}

/** The Laravel-style site of the environment on `app.test`. */
export function shopSite(over: Partial<SiteSpec> = {}): SiteSpec {
  return {
    id: 'env_shop_production',
    slug: 'shop-production',
    serverNames: ['app.test'],
    app: { kind: 'php', framework: 'laravel', documentRoot: `${ENV_ROOT}/current/public`, fpmSocket: phpFpmSocketPath('8.2', 'shop-production') },
    acmeWebroot: ACME_WEBROOT,
    ...over,
  };
}

/** The environment's pool. */
export function shopPool(over: Partial<PoolSpec> = {}): PoolSpec {
  return { id: 'env_shop_production', slug: 'shop-production', phpVersion: '8.2', user: 'shop', group: 'shop', rootDir: ENV_ROOT, disableFunctions: ['exec'], ...over };
}

/** nginx's worker pids and php-fpm's master pid: unchanged means nothing was reloaded. */
export async function servicePids(vps: LabServer): Promise<string> {
  return sh(vps, 'echo "nginx: $(pgrep -P "$(cat /run/nginx.pid)" | sort | tr "\\n" " ") fpm: $(cat /run/php/php8.2-fpm.pid) $(pgrep -P "$(cat /run/php/php8.2-fpm.pid)" | sort | tr "\\n" " ")"');
}

/** The file's content inside the server, or null when it does not exist. */
export async function fileAt(vps: LabServer, path: string): Promise<string | null> {
  const res = await vps.exec(['cat', '--', path]);
  return res.code === 0 ? res.stdout : null;
}

/** Names in a directory, hidden ones included. */
export async function listDir(vps: LabServer, dir: string): Promise<string[]> {
  return (await sh(vps, 'ls -A -- "$1"', dir)).split('\n').filter(Boolean);
}
