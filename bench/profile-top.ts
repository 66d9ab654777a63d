/**
 * Prints the functions with the most self time (and inclusive time of a few
 * named ones) from a V8 .cpuprofile, e.g. one written by
 * `BENCH_CPU_PROF=/tmp/prof node --import tsx bench/http-list.ts`.
 * Run: node --import tsx bench/profile-top.ts <file.cpuprofile> [--top 40]
 */
import fs from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const file = process.argv[2];
if (!file) throw new Error('usage: profile-top.ts <file.cpuprofile> [--top N]');
const topIdx = process.argv.indexOf('--top');
const top = topIdx >= 0 ? Number(process.argv[topIdx + 1]) : 40;
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);

const label = (n: ProfileNode) => {
  const f = n.callFrame;
  const where = f.url ? `${f.url.replace(/^.*\/(node_modules\/)?/, '')}:${f.lineNumber + 1}:${f.columnNumber + 1}` : '';
  return `${f.functionName || '(anonymous)'} ${where}`.trim();
};

const selfByLabel = new Map<string, number>();
for (const [id, us] of self) {
  const n = byId.get(id);
  if (n) selfByLabel.set(label(n), (selfByLabel.get(label(n)) ?? 0) + us);
}
console.log(`total ${(total / 1000).toFixed(0)} ms sampled\n\nself time:`);
for (const [name, us] of [...selfByLabel].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${((100 * us) / total).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`);
}

// Inclusive time per function name (each sample counted once per distinct name on its stack).
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const inclusive = new Map<string, number>();
for (const [id, us] of self) {
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const n = byId.get(cur);
    if (!n) break;
    const name = n.callFrame.functionName || '(anonymous)';
    if (seen.has(name)) continue;
    seen.add(name);
    inclusive.set(name, (inclusive.get(name) ?? 0) + us);
  }
}
console.log('\ninclusive time by function name:');
for (const [name, us] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) {
  console.log(`${((100 * us) / total).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`);
}
