/** The oldest Node.js the server runs on; the root package.json's `engines.node` says the same (a test keeps them equal). */
export const REQUIRED_NODE = '20.11';

/** A message naming the Node.js that `devflow` needs, or undefined when `version` (e.g. process.versions.node) is recent enough. */
export function nodeVersionProblem(version: string, required: string = REQUIRED_NODE): string | undefined {
  const have = version.replace(/^v/, '').split('.').map(Number);
  const need = required.split('.').map(Number);
  for (let i = 0; i < need.length; i++) {
    const h = have[i] ?? 0;
    const n = need[i] ?? 0;
    if (h > n) return undefined;
    if (h < n) return `devflow needs Node.js ${required} or newer; this is Node.js ${version.replace(/^v?/, 'v')}. Install a current LTS release of Node.js and start it again.`;
  }
  return undefined;
}
