/**
 * What one sign-in costs: argon2id verify with DevFlow's parameters (printed),
 * beside a full POST /api/v1/auth/login through the HTTP stack, in one run.
 * Target: ≤ 250 ms per login on this machine.
 * Run: node --import tsx bench/login.ts [--n 20]
 */
import { ARGON2_PARAMS, hashPassword, verifyPassword } from '../packages/server/src/modules/identity/passwords.js';
import { setupOwner, startTestApp, TEST_PASSWORD } from '../packages/server/test/support/app.js';

const i = process.argv.indexOf('--n');
const n = i >= 0 ? Number(process.argv[i + 1]) : 20;

function stats(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const pick = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  return { mean: s.reduce((a, b) => a + b, 0) / s.length, p50: pick(0.5), p95: pick(0.95), max: s.at(-1) ?? 0 };
}

const hash = await hashPassword(TEST_PASSWORD);
const verify: number[] = [];
for (let k = 0; k < n; k++) {
  const t0 = performance.now();
  await verifyPassword(hash, TEST_PASSWORD);
  verify.push(performance.now() - t0);
}

const t = await startTestApp('sqlite', { loginPerMinute: 100_000 });
await setupOwner(t);
const login: number[] = [];
for (let k = 0; k < n; k++) {
  const t0 = performance.now();
  const res = await t.request('POST', '/api/v1/auth/login', { body: { email: 'owner@example.test', password: TEST_PASSWORD } });
  login.push(performance.now() - t0);
  if (res.status !== 200) throw new Error(`login failed: ${res.status}`);
}
await t.close();

const { algorithm, ...params } = ARGON2_PARAMS;
console.log(`\nargon2id parameters: memoryCost ${params.memoryCost} KiB, timeCost ${params.timeCost}, parallelism ${params.parallelism} (algorithm ${algorithm} = argon2id)`);
console.log(`${n} runs each, milliseconds\n`);
console.log('what'.padEnd(30), 'mean'.padStart(8), 'p50'.padStart(8), 'p95'.padStart(8), 'max'.padStart(8));
for (const [name, ms] of [['argon2id verify alone', verify], ['POST /api/v1/auth/login', login]] as const) {
  const s = stats(ms);
  console.log(name.padEnd(30), s.mean.toFixed(1).padStart(8), s.p50.toFixed(1).padStart(8), s.p95.toFixed(1).padStart(8), s.max.toFixed(1).padStart(8));
}
const p95 = stats(login).p95;
console.log(`\nlogin p95 ${p95.toFixed(1)} ms — target ≤ 250 ms: ${p95 <= 250 ? 'met' : 'NOT met'}`);
