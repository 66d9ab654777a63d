/**
 * The exports object of a CommonJS package loaded with `import()`. Node gives
 * `module.exports` as `default` plus the named exports it could detect; the
 * esbuild bundle (scripts/bundle.mjs) gives only `default`. Reading names off
 * the namespace therefore works from the sources and breaks in the artifact
 * users run (`s.Client is not a constructor`): every lazy `import()` of a
 * CommonJS package goes through here.
 */
export function commonJsExports<M extends object>(namespace: M): M {
  const wrapped = (namespace as { default?: unknown }).default;
  return (wrapped !== null && (typeof wrapped === 'object' || typeof wrapped === 'function') ? wrapped : namespace) as M;
}
