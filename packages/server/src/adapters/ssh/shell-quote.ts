/** Characters that never need quoting in a POSIX shell word (no `=`, so a first word is never an assignment). */
const SAFE = /^[A-Za-z0-9_/.,:+@%^-]+$/;

/**
 * Quotes one argument for a POSIX shell: safe words as they are, everything
 * else inside single quotes, where nothing is special; a single quote becomes
 * `'\''`. NUL cannot be passed in an argument and is refused.
 */
export function quoteArg(arg: string): string {
  if (typeof arg !== 'string') throw new TypeError(`Command arguments must be strings, got ${typeof arg}.`);
  if (arg.includes('\0')) throw new TypeError('A command argument cannot contain a NUL byte.');
  if (arg !== '' && SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * The one function that turns an argv array into shell text. Every remote
 * command goes through it, so no value (branch, path, name) is ever
 * interpreted by the remote shell.
 */
export function shellQuote(argv: readonly string[]): string {
  return argv.map(quoteArg).join(' ');
}
