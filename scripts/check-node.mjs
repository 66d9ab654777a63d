// `npm start` runs this before building: on a Node.js older than the one
// package.json's `engines.node` names, say so instead of failing in the build.
import fs from 'node:fs';

const range = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')).engines.node;
const need = range.replace(/^>=\s*/, '').split('.').map(Number);
const have = process.versions.node.split('.').map(Number);
// The first part that differs decides; equal parts go on to the next.
const differs = need.findIndex((n, i) => (have[i] ?? 0) !== n);
const older = differs >= 0 && (have[differs] ?? 0) < need[differs];
if (older) {
  console.error(`DevFlow needs Node.js ${need.join('.')} or newer (package.json engines: "${range}"); this is Node.js v${process.versions.node}. Install a current LTS release of Node.js.`);
  process.exit(1);
}
