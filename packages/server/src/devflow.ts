#!/usr/bin/env node
// The `devflow` command's entry: it checks the Node.js version before loading
// anything else, since on an older Node the rest may fail to load with an
// error that does not say why.
import { nodeVersionProblem } from './node-version.js';

const problem = nodeVersionProblem(process.versions.node);
if (problem) {
  console.error(problem);
  process.exit(1);
}
await import('./main.js');
