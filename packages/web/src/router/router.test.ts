import { describe, expect, it } from 'vitest';
import { isActive, safeNext } from './router';

describe('router helpers', () => {
  it('keeps ?next= on this origin', () => {
    expect(safeNext('/settings/audit?x=1')).toBe('/settings/audit?x=1');
    expect(safeNext(null)).toBe('/');
    expect(safeNext('https://evil.example/')).toBe('/');
    expect(safeNext('//evil.example/')).toBe('/');
    expect(safeNext('/\\evil.example')).toBe('/');
    expect(safeNext('javascript:alert(1)')).toBe('/');
  });

  it('marks a section active on its sub-paths only', () => {
    expect(isActive('/settings/members', '/settings')).toBe(true);
    expect(isActive('/settings', '/settings')).toBe(true);
    expect(isActive('/settingsx', '/settings')).toBe(false);
    expect(isActive('/servers', '/')).toBe(false);
    expect(isActive('/', '/')).toBe(true);
  });
});
