// Runs the benchmarks that need no lab server, one after another, printing their figures.
// Lab benchmarks (bench/ssh-*.ts, bench/deploy/) are run by name; see bench/README.md.
import { spawnSync } from 'node:child_process';

const only = process.argv.slice(2);
const benches = ['bench/idle-rss.ts', 'bench/http-list.ts', 'bench/login.ts'].filter((b) => !only.length || only.some((o) => b.includes(o)));
spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
let failed = 0;
for (const b of benches) {
  console.log(`\n### ${b}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', b], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
