/**
 * On a Node.js older than the one package.json declares, `devflow` (the
 * bundle) and `npm start` (scripts/check-node.mjs, before it builds) say which
 * Node they need instead of failing somewhere inside. An older Node is
 * simulated by a preload that changes process.versions.node.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../../../bench/lib/processes.js';
import { nodeVersionProblem, REQUIRED_NODE } from '../../src/node-version.js';
import { requireBundle } from './support/artifact.js';

const asNode = (version: string) => `data:text/javascript,Object.defineProperty(process.versions,"node",{value:"${version}"})`;

describe('the Node.js version devflow needs', () => {
  it('is the one package.json declares, and the check compares it part by part', () => {
    const engines = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
    expect(engines).toBe(`>=${REQUIRED_NODE}`);
    expect(nodeVersionProblem('20.11.0')).toBeUndefined();
    expect(nodeVersionProblem('20.20.2')).toBeUndefined();
    expect(nodeVersionProblem('22.1.0')).toBeUndefined();
    expect(nodeVersionProblem('20.10.9')).toMatch(/needs Node\.js 20\.11 or newer; this is Node\.js v20\.10\.9/);
    expect(nodeVersionProblem('18.19.0')).toMatch(/needs Node\.js 20\.11 or newer/);
  });

  it('is named by the bundle and by `npm start` on an older Node, before anything else runs', () => {
    const bin = spawnSync(process.execPath, ['--import', asNode('18.19.0'), requireBundle(), 'serve'], { encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH } });
    expect(bin.status).toBe(1);
    expect(bin.stderr.trim()).toBe('devflow needs Node.js 20.11 or newer; this is Node.js v18.19.0. Install a current LTS release of Node.js and start it again.');
    const start = spawnSync(process.execPath, ['--import', asNode('18.19.0'), path.join(repoRoot, 'scripts/check-node.mjs')], { encoding: 'utf8', timeout: 30_000 });
    expect(start.status).toBe(1);
    expect(start.stderr).toMatch(/needs Node\.js 20\.11 or newer \(package\.json engines: ">=20\.11"\); this is Node\.js v18\.19\.0/);
    const current = spawnSync(process.execPath, [requireBundle(), '--version'], { encoding: 'utf8', timeout: 30_000 });
    expect(current.status, current.stderr).toBe(0);
  });
});
