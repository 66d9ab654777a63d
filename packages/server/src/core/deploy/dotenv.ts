/**
 * Renders environment variables as a dotenv file that phpdotenv (Laravel),
 * Symfony Dotenv and others read back exactly, without interpolating
 * anything (Symfony Dotenv even runs `$(…)` in unquoted and double-quoted
 * values): values are single-quoted (literal in every parser) unless they
 * contain a single quote or a line break, then double-quoted with `\`, `"`,
 * `$` and line breaks escaped.
 */

const PLAIN = /^[A-Za-z0-9_./:@%+,=-]*$/;

/** One value as dotenv text. */
export function quoteDotenvValue(value: string): string {
  if (value === '') return "''";
  if (PLAIN.test(value)) return value;
  if (!value.includes("'") && !/[\r\n]/.test(value)) return `'${value}'`;
  const escaped = value
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\$/g, '\\$')
    .replace(/\r/g, '\\r')
    .replace(/\n/g, '\\n');
  return `"${escaped}"`;
}

/** The whole file: a header, then `KEY=value` lines sorted by key. */
export function renderDotenv(vars: Readonly<Record<string, string>>): string {
  const lines = ['# Written by DevFlow at every deployment: edit the variables in DevFlow, not here.'];
  for (const key of Object.keys(vars).sort()) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new TypeError(`Invalid variable name ${JSON.stringify(key)}.`);
    lines.push(`${key}=${quoteDotenvValue(vars[key] as string)}`);
  }
  return `${lines.join('\n')}\n`;
}
