/**
 * Which environment-variable values a deployment log masks. Masking every
 * value blanked out `production` and `127.0.0.1` wherever they appeared in
 * paths and URLs, which made logs unreadable without hiding anything. The
 * rule: mask a value when its name says it is secret, when it looks random,
 * or when it is 8 characters or longer; never when it is a plain value
 * (a boolean, a short number, an IP address, a common configuration word).
 */

/** Words that mark a variable's value as secret wherever they appear in its name (`APP_SECRET`, `GITHUB_TOKEN`). */
const SECRET_WORD = /SECRET|PASSWORD|PASSWD|PASSPHRASE|TOKEN|PRIVATE|CREDENTIAL|APIKEY|SALT|AUTH|SIGNING|COOKIE/;
/** Short words that do the same as a whole part of the name only (`APP_KEY`, `DB_PASS`, not `MONKEY_ISLAND`). */
const SECRET_PART = /(^|_)(KEY|KEYS|PASS|PWD|DSN|PIN|OTP|HASH|CERT|CREDS)(_|$)/;
/** Names whose value is a connection string that usually carries a password. */
const CONNECTION_NAME = /(^|_)(DATABASE_URL|REDIS_URL|MONGODB_URI|MONGO_URL|AMQP_URL|BROKER_URL|CACHE_URL|QUEUE_URL)$/;
/** `scheme://user:password@host` or `scheme://token@host`: credentials in a URL. */
const URL_WITH_CREDENTIALS = /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]+@/i;

/**
 * Words that configure frameworks and are never secret; masking them would
 * only hide what the log is about (environment names, drivers, hosts).
 */
const COMMON_WORDS = new Set(
  [
    'production', 'staging', 'development', 'testing', 'local', 'localhost', 'preview', 'sandbox',
    'debug', 'info', 'notice', 'warning', 'error', 'critical', 'emergency',
    'mysql', 'mariadb', 'pgsql', 'postgres', 'postgresql', 'sqlite', 'redis', 'memcached', 'database', 'file', 'array', 'cookie',
    'sync', 'smtp', 'sendmail', 'mailgun', 'postmark', 'log', 'stack', 'single', 'daily', 'stderr', 'syslog', 'errorlog',
    'public', 'private', 'null', 'none', 'default', 'lax', 'strict', 'utf8', 'utf8mb4', 'utf-8', 'en', 'en_us', 'utc',
    'true', 'false', 'yes', 'no', 'on', 'off', 'enabled', 'disabled',
  ],
);

/** Booleans, short numbers, versions and addresses: configuration, not secrets. */
function isPlainValue(value: string): boolean {
  const v = value.trim();
  if (COMMON_WORDS.has(v.toLowerCase())) return true;
  if (/^-?\d{1,7}(\.\d+)?$/.test(v)) return true; // ports, counts, timeouts (8+ digits may be an account number or PIN)
  if (/^(\d{1,3}\.){3}\d{1,3}(\/\d{1,2})?$/.test(v)) return true; // IPv4, with a prefix length
  if (/^[0-9a-f:]+$/i.test(v) && v.includes('::')) return true; // IPv6 such as ::1 or fe80::1
  return false;
}

/**
 * True when a value looks generated rather than chosen: upper and lower
 * case with digits, or many distinct characters for its length. Catches
 * short random secrets whose name does not say so (`X9fQ2k`).
 */
export function looksRandom(value: string): boolean {
  if (value.length < 6) return false;
  const classes = [/[a-z]/, /[A-Z]/, /\d/].filter((re) => re.test(value)).length;
  if (classes === 3) return true;
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let entropy = 0;
  for (const n of counts.values()) entropy -= (n / value.length) * Math.log2(n / value.length);
  // Bits per character of a random alphanumeric string are ~5.9; English words and paths stay below ~3.5.
  return entropy >= 3.8 && /\d/.test(value) && /[a-z]/i.test(value);
}

/** True when the variable's name says its value is secret (keys, passwords, tokens, connection strings…). */
export function isSecretName(name: string): boolean {
  const n = name.toUpperCase();
  return SECRET_WORD.test(n) || SECRET_PART.test(n) || CONNECTION_NAME.test(n);
}

/** Whether a deployment log must mask this variable's value. */
export function shouldMaskVariable(name: string, value: string): boolean {
  if (!value.trim()) return false;
  if (isSecretName(name)) return true;
  if (URL_WITH_CREDENTIALS.test(value.trim())) return true;
  if (isPlainValue(value)) return false;
  return value.length >= 8 || looksRandom(value);
}

/** The values of `variables` a deployment log must mask. */
export function secretValues(variables: Readonly<Record<string, string>>): string[] {
  return Object.entries(variables)
    .filter(([name, value]) => shouldMaskVariable(name, value))
    .map(([, value]) => value);
}
