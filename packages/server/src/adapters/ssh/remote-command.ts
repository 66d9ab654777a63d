import { shellQuote } from './shell-quote.js';

/** First line the wrapper writes to stderr: the remote PID, so a cancelled command can be killed. */
export const PID_MARK = '\u001fdevflow-pid:';

/**
 * The POSIX sh wrapper around every command. Positional parameters:
 * `$1` number of env variables on stdin, `$2` working directory (or ''), then argv.
 * It reports its PID (sshd made it a session leader, so its session holds every
 * process the command starts), reads `KEY=<base64>` lines from stdin and exports
 * them (values never appear in argv or `ps`), then execs argv. The rest of stdin
 * belongs to the command.
 */
const WRAPPER = [
  `printf '${PID_MARK.replace('\u001f', '\\037')}%s\\n' "$$" >&2`,
  'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; export PATH',
  '__n=$1; __d=$2; shift 2',
  'while [ "$__n" -gt 0 ]; do',
  '  IFS= read -r __l || exit 97',
  '  __k=${__l%%=*}',
  '  __v=$(printf %s "${__l#*=}" | base64 -d; printf x) || exit 97',
  '  export "$__k=${__v%x}"',
  '  __n=$((__n - 1))',
  'done',
  'unset __n __l __k __v',
  'if [ -n "$__d" ]; then cd -- "$__d" || exit 96; fi',
  'unset __d',
  'exec "$@"',
].join('\n');

/**
 * Kills everything a command started: its session (sshd made the wrapper a
 * session leader), its process group, then the PID itself. `$1` is the PID.
 */
const KILLER = [
  'p=$1',
  's=$(ps -o sid= -p "$p" 2>/dev/null | tr -d " ")',
  'g=$(ps -o pgid= -p "$p" 2>/dev/null | tr -d " ")',
  'if [ -n "$s" ] && [ "$s" -gt 1 ] && command -v pkill >/dev/null 2>&1; then pkill -KILL -s "$s"; fi',
  'if [ -n "$g" ] && [ "$g" -gt 1 ]; then kill -KILL -- "-$g" 2>/dev/null; fi',
  'kill -KILL "$p" 2>/dev/null',
  'exit 0',
].join('\n');

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The exec request text for argv: wrapper, optional sudo, every value quoted by shellQuote. */
export function buildRemoteCommand(
  argv: readonly string[],
  opts: { sudo: boolean; envCount: number; cwd?: string | undefined },
): string {
  if (argv.length === 0) throw new TypeError('A command needs at least one argument.');
  const inner = ['sh', '-c', WRAPPER, 'devflow', String(opts.envCount), opts.cwd ?? '', ...argv];
  return `exec ${shellQuote(opts.sudo ? ['sudo', '-n', '--', ...inner] : inner)}`;
}

/** The exec request text that kills the process tree of `pid`. */
export function buildKillCommand(pid: number, sudo: boolean): string {
  if (!Number.isInteger(pid) || pid <= 1) throw new TypeError(`Refusing to kill pid ${pid}.`);
  const argv = ['sh', '-c', KILLER, 'devflow-kill', String(pid)];
  return `exec ${shellQuote(sudo ? ['sudo', '-n', '--', ...argv] : argv)}`;
}

/** The stdin prefix that carries env variables to the wrapper. */
export function encodeEnv(env: Readonly<Record<string, string>> | undefined): { count: number; payload: Buffer } {
  const entries = Object.entries(env ?? {});
  for (const [k] of entries) {
    if (!ENV_KEY.test(k)) throw new TypeError(`Invalid environment variable name: ${JSON.stringify(k)}.`);
  }
  const text = entries.map(([k, v]) => `${k}=${Buffer.from(v, 'utf8').toString('base64')}\n`).join('');
  return { count: entries.length, payload: Buffer.from(text, 'utf8') };
}

/**
 * Takes the PID line off the start of stderr. Returns the PID once the whole
 * line is there, and what remains of stderr after it.
 */
export function takePid(stderrHead: string): { pid: number | undefined; rest: string; complete: boolean } {
  if (!stderrHead.startsWith(PID_MARK)) {
    // Not (yet) the marker: incomplete only while the head could still become it.
    if (PID_MARK.startsWith(stderrHead)) return { pid: undefined, rest: '', complete: false };
    return { pid: undefined, rest: stderrHead, complete: true };
  }
  const nl = stderrHead.indexOf('\n');
  if (nl < 0) return { pid: undefined, rest: '', complete: false };
  const pid = Number(stderrHead.slice(PID_MARK.length, nl));
  return { pid: Number.isInteger(pid) && pid > 1 ? pid : undefined, rest: stderrHead.slice(nl + 1), complete: true };
}
