import { useCallback, useSyncExternalStore } from 'react';
import { storage } from '../lib/storage';

export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'devflow.theme';
const listeners = new Set<() => void>();

function read(): ThemeChoice {
  const v = storage.get(KEY);
  return v === 'light' || v === 'dark' ? v : 'system';
}

/** Sets `data-theme` on <html>; without it the CSS follows prefers-color-scheme. */
function apply(choice: ThemeChoice): void {
  if (choice === 'system') document.documentElement.removeAttribute('data-theme');
  else document.documentElement.setAttribute('data-theme', choice);
}

/** The saved theme choice and a setter shared by every toggle on the page. */
export function useTheme(): [ThemeChoice, (choice: ThemeChoice) => void] {
  const choice = useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    read,
    () => 'system' as const,
  );
  const set = useCallback((next: ThemeChoice) => {
    storage.set(KEY, next === 'system' ? null : next);
    apply(next);
    for (const l of listeners) l();
  }, []);
  return [choice, set];
}
