import { describe, expect, it } from 'vitest';
import { commonJsExports } from './commonjs.js';

describe('commonJsExports', () => {
  const exportsObject = { Client: class {}, axios: {} };

  it('reads module.exports from a bundled namespace that holds only `default`', () => {
    expect(commonJsExports({ default: exportsObject } as unknown as typeof exportsObject).Client).toBe(exportsObject.Client);
  });

  it('reads module.exports from Node’s namespace (default plus named exports), and takes an ES module’s namespace as it is', () => {
    expect(commonJsExports({ ...exportsObject, default: exportsObject })).toBe(exportsObject);
    const esm = { Client: exportsObject.Client };
    expect(commonJsExports(esm)).toBe(esm);
  });

  it('works on the real package in the sources (Node’s own interop)', async () => {
    const acme = commonJsExports(await import('acme-client'));
    expect(typeof acme.Client).toBe('function');
  });
});
