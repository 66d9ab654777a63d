/** Which release directories to delete after a deployment: keep the newest N good ones, never the live or previous one. */

export interface KeptRelease {
  id: string;
  status: 'active' | 'inactive' | 'failed' | 'pruned';
}

/**
 * Release ids to remove from a server. `onDisk` are directory names under
 * releases/ (ids sort by creation time); `known` are the release records.
 * Keeps the `keep` newest releases that were good, plus `protect` (current,
 * previous, the one being deployed). Failed and unknown directories go.
 */
export function releasesToPrune(onDisk: readonly string[], known: readonly KeptRelease[], keep: number, protect: readonly (string | null | undefined)[]): string[] {
  const statusOf = new Map(known.map((r) => [r.id, r.status]));
  const protectedIds = new Set(protect.filter((p): p is string => !!p));
  const good = [...onDisk].filter((id) => {
    const s = statusOf.get(id);
    return s === 'active' || s === 'inactive';
  });
  good.sort().reverse();
  const kept = new Set([...good.slice(0, Math.max(1, keep)), ...protectedIds]);
  return [...onDisk].filter((id) => !kept.has(id)).sort();
}
