import { describe, expect, it } from 'vitest';
import { daysLeft, expiryTone } from './certificate-expiry';

describe('certificate expiry', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('counts whole days left', () => {
    expect(daysLeft('2026-01-08T12:00:00Z', now)).toBe(7);
    expect(daysLeft('2025-12-31T00:00:00Z', now)).toBe(-1);
  });
  it('is red under 7 days, amber under 21', () => {
    expect(expiryTone(-3)).toBe('danger');
    expect(expiryTone(6)).toBe('danger');
    expect(expiryTone(7)).toBe('warning');
    expect(expiryTone(20)).toBe('warning');
    expect(expiryTone(21)).toBe('ok');
  });
});
