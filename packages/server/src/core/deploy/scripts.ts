/**
 * Fixed POSIX sh scripts of the release strategy, run as
 * `sh -c SCRIPT NAME ARG…`. No user value is ever part of a script: branch
 * names, URLs, paths and commands arrive as positional parameters ($1…),
 * which the shell never re-parses. Secrets arrive on stdin.
 */

/** The argv that runs a fixed script with its arguments. */
export function script(text: string, name: string, ...args: string[]): string[] {
  return ['sh', '-c', text, name, ...args];
}

/**
 * Runs fixed scripts one after another in ONE remote command (one SSH channel
 * instead of several): groups of `count text name arg…`; stops at the first
 * script that fails, with its exit code. Each script gets exactly its own
 * arguments: `eval` only ever sees `"${N}"` references built from digits,
 * never a value. stdin goes to whichever script reads it first.
 */
export const SEQUENCE = `while [ $# -gt 0 ]; do
  n=$1 i=4 refs=
  while [ "$i" -lt $((n + 4)) ]; do refs="$refs \\"\\\${$i}\\""; i=$((i + 1)); done
  eval "sh -c \\"\\$2\\" \\"\\$3\\"$refs" || exit $?
  shift $((n + 3))
done`;

/** One argv running several `script()` argvs in order (see SEQUENCE). */
export function sequence(...scripts: string[][]): string[] {
  const args: string[] = [];
  for (const argv of scripts) {
    const [sh, c, text, name, ...rest] = argv;
    if (sh !== 'sh' || c !== '-c' || text === undefined || name === undefined) throw new TypeError('sequence() takes argvs made by script().');
    args.push(String(rest.length), text, name, ...rest);
  }
  return ['sh', '-c', SEQUENCE, 'sequence', ...args];
}

/** Marks sections of a script's output for `parseSections`. */
export const SECTION = '@@devflow:';

/**
 * $1 base, $2 the project's Unix user. Creates the layout and the project
 * user when missing (a system user with no home and no login shell; its own
 * group), and reports what the server has: tools, PHP-FPM versions, the live
 * release, release directories, service manager, and the project user
 * (`created`, `exists`, or nothing when it could not be created).
 * useradd is retried: another deployment may hold /etc/passwd's lock
 * (exit 10) or create the same user first (exit 9).
 */
export const PREPARE = `set -e
umask 022
mkdir -p -- "$1/releases" "$1/shared"
mkdir -p -m 0700 -- "$1/.devflow"
s() { printf '\\n${SECTION}%s\\n' "$1"; }
s tools
for t in git curl php composer npm yarn pnpm nginx runuser wp; do if command -v "$t" >/dev/null 2>&1; then echo "$t"; fi; done
s php-fpm
for d in /etc/php/*/fpm; do if [ -d "$d" ]; then v=\${d#/etc/php/}; echo "\${v%/fpm}"; fi; done
s current
readlink -- "$1/current" 2>/dev/null || true
s releases
ls -1 -- "$1/releases" 2>/dev/null || true
s service-manager
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then echo systemd; else echo service; fi
s project-user
if id -u "$2" >/dev/null 2>&1; then echo exists; exit 0; fi
n=0
while [ "$n" -lt 5 ] && [ "$(id -u)" = 0 ]; do
  n=$((n + 1))
  g=--user-group
  if getent group "$2" >/dev/null 2>&1; then g=--gid=$2; fi
  if useradd --system "$g" --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin --comment 'DevFlow project' -- "$2" >&2; then echo created; exit 0; fi
  if id -u "$2" >/dev/null 2>&1; then echo exists; exit 0; fi
  sleep 1
done
exit 0`;

/**
 * $1 base, $2 project user, $3 env file in shared/ ('' = none), then the
 * plan's `d:`/`w:` specs. Hands the env file's group and the shared and
 * writable directories of the live release to the project user when another
 * user owns them: an environment deployed before projects had their own user,
 * whose pool is re-rendered (maintenance) before its next deployment.
 * Reports on stderr, so PREPARE's sections before it stay parseable.
 */
export const ADOPT = `base=$1 user=$2 env=$3
shift 3
id -u "$user" >/dev/null 2>&1 || exit 0
g=$(id -gn "$user")
if [ -n "$env" ] && [ -e "$base/shared/$env" ]; then chgrp -- "$g" "$base/shared/$env"; fi
rel=$(readlink -f -- "$base/current" 2>/dev/null) || rel=
for spec in "$@"; do
  kind=\${spec%%:*}
  p=\${spec#*:}
  case $kind in
  d) dir=$base/shared/$p ;;
  w)
    [ -n "$rel" ] || continue
    dir=$(realpath -- "$rel/$p" 2>/dev/null) || continue
    case $dir in "$rel"/*|"$base/shared"/*) ;; *) continue ;; esac
    ;;
  *) continue ;;
  esac
  if [ -d "$dir" ] && [ "$(stat -c %U -- "$dir")" != "$user" ]; then chown -R -- "$user:$g" "$dir"; echo "handed $p to $user" >&2; fi
done
exit 0`;

/** $1 lock dir, $2 owner (deployment id). Exit 75 with `held by <owner>` when another deployment holds it. */
export const LOCK = `if mkdir -- "$1" 2>/dev/null; then printf '%s\\n' "$2" > "$1/owner"; echo "lock acquired"; exit 0; fi
owner=$(cat -- "$1/owner" 2>/dev/null || true)
if [ "$owner" = "$2" ]; then echo "lock already held by this deployment"; exit 0; fi
printf 'held by %s\\n' "$owner"
exit 75`;

/** $1 lock dir, $2 owner: removes the lock if that owner holds it (or anyone, when $2 is empty). */
export const UNLOCK = `owner=$(cat -- "$1/owner" 2>/dev/null || true)
if [ -z "$2" ] || [ "$owner" = "$2" ] || [ -z "$owner" ]; then rm -rf -- "$1"; echo "lock released"; else echo "lock held by $owner: left alone"; fi
exit 0`;

/** $1 target path; the file content is stdin. Written with mode 0600 (deploy key). */
export const WRITE_PRIVATE_FILE = `set -e
umask 077
cat > "$1.devflow-tmp"
mv -f -- "$1.devflow-tmp" "$1"`;

/**
 * $1 path, $2 project user; content on stdin. Written atomically with mode
 * 0640, owner the deploy user, group the project user's, so the project's
 * PHP can read it and other projects' users cannot.
 */
export const WRITE_ENV_FILE = `set -e
umask 027
mkdir -p -- "$(dirname -- "$1")"
cat > "$1.devflow-tmp"
if id -u "$2" >/dev/null 2>&1; then chgrp -- "$(id -gn "$2")" "$1.devflow-tmp"; fi
chmod 0640 "$1.devflow-tmp"
mv -f -- "$1.devflow-tmp" "$1"
echo "wrote $(basename -- "$1") (mode 0640)"`;

/** $1 path; the content is stdin. Written atomically with mode 0644 (the maintenance page). */
export const WRITE_PUBLIC_FILE = `set -e
umask 022
mkdir -p -- "$(dirname -- "$1")"
cat > "$1.devflow-tmp"
chmod 0644 "$1.devflow-tmp"
mv -f -- "$1.devflow-tmp" "$1"`;

/**
 * $1 mirror dir, $2 repository URL, $3 deploy key file, $4 allowed protocols,
 * $5 `stdin` when the first line of stdin is the HTTP header with the
 * repository's credentials (given to git through its environment).
 * Clones the mirror on first use, then fetches every branch and tag.
 */
export const FETCH = `set -e
export GIT_TERMINAL_PROMPT=0 GIT_ALLOW_PROTOCOL="$4"
if [ "$5" = stdin ]; then IFS= read -r auth; export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=http.extraHeader GIT_CONFIG_VALUE_0="$auth"; fi
export GIT_SSH_COMMAND="ssh -i $3 -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=$(dirname -- "$3")/known_hosts"
if git --git-dir="$1" rev-parse --git-dir >/dev/null 2>&1; then
  git --git-dir="$1" remote set-url origin "$2"
  git --git-dir="$1" fetch --prune --force origin '+refs/heads/*:refs/heads/*' '+refs/tags/*:refs/tags/*'
  echo "fetched into the cached mirror"
else
  rm -rf -- "$1"
  git clone --mirror --no-hardlinks -- "$2" "$1"
  echo "cloned the mirror"
fi`;

/**
 * $1 mirror, $2 ref (branch, tag or commit). Prints three lines: commit,
 * author, subject. Exit 3 when nothing matches.
 */
export const RESOLVE = `for r in "refs/heads/$2" "refs/tags/$2" "$2"; do
  c=$(git --git-dir="$1" rev-parse --verify --quiet --end-of-options "$r^{commit}" 2>/dev/null) || continue
  [ -n "$c" ] || continue
  git --git-dir="$1" log -1 --format='%H%n%an <%ae>%n%s' "$c"
  exit 0
done
echo "no branch, tag or commit named $2 in the repository" >&2
exit 3`;

/** $1 mirror, $2 commit, $3 release dir, $4 scratch dir. Exports the commit (no .git) into a new release directory. */
export const EXPORT = `set -e
mkdir -- "$3"
git --git-dir="$1" archive --format=tar -o "$4/export.tar" "$2"
tar -x -f "$4/export.tar" -C "$3" --no-same-owner
rm -f -- "$4/export.tar"
echo "exported $(find "$3" -type f | wc -l) files"`;

/**
 * $1 release dir. Prints the file listing (4 levels, no vendor/node_modules)
 * and the files detection reads, in sections.
 */
export const SNAPSHOT = `cd -- "$1" || exit 1
s() { printf '\\n${SECTION}%s\\n' "$1"; }
s files
find . -maxdepth 4 \\( -path ./vendor -o -path ./node_modules -o -path ./.git \\) -prune -o \\( -type f -o -type l \\) -print 2>/dev/null | head -n 20000
for f in composer.json composer.lock package.json; do
  if [ -f "$f" ] && [ "$(wc -c < "$f")" -le 4194304 ]; then s "file:$f"; cat -- "$f"; fi
done
exit 0`;

/**
 * $1 release, $2 shared root, $3 project user, then specs: `d:<dir>` shared dir,
 * `f:<file>` shared file, `e:<dir>` directory to create in shared/,
 * `w:<dir>` writable by the project user, `l:<link>=<target>` symlink in the release.
 * A shared path missing from shared/ is seeded from the release (Deployer's rule);
 * shared directories belong to the project user.
 */
export const LINK_SHARED = `set -e
rel=$1 shared=$2 web=$3
shift 3
for spec in "$@"; do
  kind=\${spec%%:*}
  p=\${spec#*:}
  case $kind in
  d)
    if [ ! -d "$shared/$p" ]; then
      mkdir -p -- "$shared/$p"
      if [ -d "$rel/$p" ] && [ ! -L "$rel/$p" ]; then cp -a -- "$rel/$p/." "$shared/$p/"; fi
    fi
    # Shared directories hold what the app writes at runtime (storage, logs, uploads): the project user owns them.
    if id -u "$web" >/dev/null 2>&1 && [ "$(stat -c %U -- "$shared/$p")" != "$web" ]; then chown -R -- "$web:$(id -gn "$web")" "$shared/$p"; fi
    rm -rf -- "$rel/$p"
    mkdir -p -- "$(dirname -- "$rel/$p")"
    ln -s -- "$shared/$p" "$rel/$p"
    echo "shared $p/"
    ;;
  f)
    mkdir -p -- "$(dirname -- "$shared/$p")"
    if [ ! -e "$shared/$p" ]; then
      if [ -f "$rel/$p" ] && [ ! -L "$rel/$p" ]; then cp -p -- "$rel/$p" "$shared/$p"; else : > "$shared/$p"; fi
    fi
    rm -rf -- "$rel/$p"
    mkdir -p -- "$(dirname -- "$rel/$p")"
    ln -s -- "$shared/$p" "$rel/$p"
    echo "shared $p"
    ;;
  e)
    mkdir -p -- "$shared/$p"
    ;;
  w)
    mkdir -p -- "$rel/$p"
    real=$(realpath -- "$rel/$p")
    case $real in
    "$rel"/*|"$shared"/*)
      # Owners change only when some file is not the project user's already: a rollback re-running this on a
      # kept release (and its shared storage) then reads the tree without writing to it.
      if id -u "$web" >/dev/null 2>&1; then
        g=$(id -gn "$web")
        if [ -n "$(find "$real" \\( ! -user "$web" -o ! -group "$g" \\) -print 2>/dev/null | head -n 1)" ]; then chown -R -- "$web:$g" "$real"; fi
      fi
      echo "writable $p" ;;
    *) echo "not making $p writable: it points outside the release ($real)" >&2 ;;
    esac
    ;;
  l)
    link=\${p%%=*}
    target=\${p#*=}
    if [ -d "$(dirname -- "$rel/$link")" ] && [ ! -e "$rel/$link" ]; then ln -s -- "$target" "$rel/$link"; echo "linked $link -> $target"; fi
    ;;
  esac
done`;

/**
 * Runs one planned command in the current directory (a release). $1
 * condition (`always`, `exists`, `command`), $2 its argument, $3 user to run
 * as ('' = the deploy user; else the project user, through runuser), then
 * argv. A command whose condition fails is skipped. As the project user, the
 * release is handed to that user first (builds write vendor/, node_modules/)
 * and HOME is <environment>/.home (caches of composer and npm), owned by it.
 * A root SSH user whose project user is missing refuses rather than run the
 * command as root.
 */
export const RUN = `kind=$1 arg=$2 as=$3
shift 3
case $kind in
exists) if [ ! -e "$arg" ]; then echo "skipped: $arg not found"; exit 0; fi ;;
command) if ! command -v "$arg" >/dev/null 2>&1; then echo "skipped: $arg is not installed"; exit 0; fi ;;
esac
if [ -n "$as" ] && [ "$(id -u)" = 0 ]; then
  if ! id -u "$as" >/dev/null 2>&1; then echo "the project user $as is missing: not running this command as root" >&2; exit 126; fi
  g=$(id -gn "$as")
  if [ "$(stat -c %U .)" != "$as" ]; then chown -R -- "$as:$g" .; fi
  home=$(cd ../.. && pwd)/.home
  if [ ! -d "$home" ]; then mkdir -p -m 0700 -- "$home"; chown -- "$as:$g" "$home"; fi
  exec runuser -u "$as" -- env HOME="$home" "$@"
fi
exec "$@"`;

/** $1 a command line: printed as `$ <line>` ahead of that command's output when several run in one sequence. */
export const ANNOUNCE = `printf '$ %s\\n' "$1"`;

/** composer install when composer.json is there and vendor/ is not (Packagist-free fixtures carry vendor/). */
export const COMPOSER_INSTALL = `if [ ! -f composer.json ]; then echo "no composer.json: nothing to install"; exit 0; fi
if [ -f vendor/autoload.php ]; then echo "vendor/ is in the release: composer install not needed"; exit 0; fi
if ! command -v composer >/dev/null 2>&1; then echo "composer.json needs composer install, but composer is not installed on this server" >&2; exit 127; fi
export COMPOSER_ALLOW_SUPERUSER=1 COMPOSER_NO_INTERACTION=1
exec composer install --no-dev --optimize-autoloader --no-interaction --prefer-dist --no-progress`;

/** $1 package manager, $2 script: installs node modules and runs the build script. */
export const NODE_BUILD = `set -e
if ! command -v "$1" >/dev/null 2>&1; then echo "package.json has a $2 script, but $1 is not installed on this server" >&2; exit 127; fi
case $1 in
npm) if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi ;;
yarn) yarn install --frozen-lockfile ;;
pnpm) pnpm install --frozen-lockfile ;;
esac
"$1" run "$2"`;

/** $1 base, $2 link name (current or release), $3 release id: points the link at the release atomically (rename over it). */
export const POINT_LINK = `set -e
cd -- "$1"
ln -sfn "releases/$3" "$2.devflow-tmp"
mv -T -- "$2.devflow-tmp" "$2"
echo "$2 -> releases/$3"`;

/** Printed by HEALTH_CHECK before a file PHP's open_basedir refused during the check. */
export const OPEN_BASEDIR_REFUSED = 'devflow-open-basedir-refused: ';

/**
 * $1 URL, $2 Host header, $3 attempts, $4 seconds per attempt, then error logs
 * to search. Succeeds on the first 2xx; otherwise prints the start of the body,
 * each file open_basedir refused in what the logs gained during the check,
 * then the last status.
 */
export const HEALTH_CHECK = `url=$1 host=$2 n=$3 t=$4
shift 4
sizes=
for f in "$@"; do sizes="$sizes$(stat -c %s -- "$f" 2>/dev/null || echo 0) "; done
body=$(mktemp)
trap 'rm -f "$body"' EXIT
i=0
code=000
while [ "$i" -lt "$n" ]; do
  i=$((i + 1))
  code=$(curl -sS -o "$body" -w '%{http_code}' --max-time "$t" -H "Host: $host" "$url" 2>/dev/null) || code=000
  case $code in 2??) echo "HTTP $code from $url (attempt $i)"; exit 0 ;; esac
  [ "$i" -lt "$n" ] && sleep 1
done
head -c 1500 "$body" >&2
echo >&2
for f in "$@"; do
  s0=\${sizes%% *}; sizes=\${sizes#* }
  tail -c +$((s0 + 1)) -- "$f" 2>/dev/null | grep -o 'open_basedir restriction in effect\\. File([^)]*)' | sort -u | sed 's/^.*File(\\(.*\\))$/${OPEN_BASEDIR_REFUSED}\\1/' >&2
done
echo "HTTP $code from $url after $n attempts" >&2
exit 1`;

/** $1 base: the release id `current` points to, or nothing. */
export const READ_CURRENT = `l=$(readlink -- "$1/current" 2>/dev/null) || exit 0
echo "\${l##*/}"`;

/** $1 releases dir, then release ids: removes those release directories. */
export const REMOVE_RELEASES = `set -e
dir=$1
shift
for id in "$@"; do
  case $id in ""|.|..|*/*) continue ;; esac
  if [ -e "$dir/$id" ]; then rm -rf -- "$dir/$id"; echo "removed release $id"; fi
done`;

/** $1 release dir: exit 0 when it exists. */
export const RELEASE_EXISTS = `if [ -d "$1" ]; then echo "release directory present"; exit 0; fi
echo "release directory $1 is missing on this server" >&2
exit 1`;

/** Splits output marked by `SECTION` lines into named sections. */
export function parseSections(output: string): Map<string, string> {
  const out = new Map<string, string>();
  let name: string | undefined;
  let buf: string[] = [];
  for (const line of output.split('\n')) {
    if (line.startsWith(SECTION)) {
      if (name !== undefined) out.set(name, buf.join('\n').replace(/\n+$/, ''));
      name = line.slice(SECTION.length);
      buf = [];
    } else if (name !== undefined) {
      buf.push(line);
    }
  }
  if (name !== undefined) out.set(name, buf.join('\n').replace(/\n+$/, ''));
  return out;
}

/** What PREPARE reported about a server. */
export interface ServerReport {
  tools: Set<string>;
  /** PHP versions with PHP-FPM installed (8.2, …). */
  phpFpmVersions: string[];
  currentRelease: string | null;
  releases: string[];
  serviceManager: 'systemd' | 'service';
  /** The project's Unix user: made by this run, already there, or missing (useradd failed or not root). */
  projectUser: 'created' | 'exists' | 'missing';
}

/** Reads PREPARE's output. */
export function parseServerReport(output: string): ServerReport {
  const s = parseSections(output);
  const lines = (k: string) => (s.get(k) ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
  const current = lines('current')[0];
  return {
    tools: new Set(lines('tools')),
    phpFpmVersions: lines('php-fpm'),
    currentRelease: current ? (current.split('/').pop() ?? null) : null,
    releases: lines('releases'),
    serviceManager: lines('service-manager')[0] === 'systemd' ? 'systemd' : 'service',
    projectUser: (['created', 'exists'] as const).find((v) => v === lines('project-user')[0]) ?? 'missing',
  };
}
