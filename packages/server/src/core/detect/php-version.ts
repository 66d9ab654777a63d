/**
 * Version constraints as Composer writes them (`^8.1`, `>=8.2 <8.4`,
 * `~8.3.0`, `8.2.*`, `^8.1 || ^8.2`): the lowest version they allow.
 */

/** The lowest major.minor a Composer constraint accepts, or null when it names none. */
export function lowestVersion(constraint: string | undefined | null): { major: number; minor: number } | null {
  if (!constraint || typeof constraint !== 'string') return null;
  let best: { major: number; minor: number } | null = null;
  for (const alternative of constraint.split(/\|\|?/)) {
    // Within one alternative, every atom must hold: the lower bound is the largest lower bound named.
    let low: { major: number; minor: number } | null = null;
    for (const atom of alternative.trim().split(/[\s,]+/)) {
      if (!atom || atom.startsWith('<') || atom.startsWith('!=')) continue;
      const m = /^(?:\^|~|>=|>|==?)?v?(\d+)(?:\.(\d+|\*|x))?/.exec(atom);
      if (!m) continue;
      const v = { major: Number(m[1]), minor: m[2] === undefined || m[2] === '*' || m[2] === 'x' ? 0 : Number(m[2]) };
      if (!low || compare(v, low) > 0) low = v;
    }
    if (low && (!best || compare(low, best) < 0)) best = low;
  }
  return best;
}

function compare(a: { major: number; minor: number }, b: { major: number; minor: number }): number {
  return a.major - b.major || a.minor - b.minor;
}

/** `8.2` for `^8.2.5`; null when the constraint names no version. */
export function phpVersionOf(constraint: string | undefined | null): string | null {
  const v = lowestVersion(constraint);
  return v ? `${v.major}.${v.minor}` : null;
}

/** The major version of a package from composer.lock (`v11.3.0` → `11`). */
export function majorOfLocked(version: string | undefined): string | null {
  const m = /^v?(\d+)\./.exec(version ?? '');
  return m ? (m[1] as string) : null;
}
