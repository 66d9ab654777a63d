import { describe, expect, it } from 'vitest';
import { isPlainText, plainText } from './common.js';
import { branchName, deploymentRejectBody } from './deployments.js';
import { organizationCreateBody, tokenCreateBody } from './identity.js';

const bad = ['Acme\0', 'Acme\r\nSet-Cookie: x=1', 'line\nbreak', 'tab\there', 'esc\u001b[31m', 'del\u007f', 'half \uD800 pair', 'low \uDC00'];
const good = ['Acme', 'Acme Corp', 'Zürich Ünïcode', 'emoji 🚀 ok', '日本語', 'a-b_c.d/e'];

describe('the shared plain-text rule', () => {
  it('refuses NUL, CR/LF, other control characters and lone surrogates', () => {
    for (const s of bad) expect(isPlainText(s), JSON.stringify(s)).toBe(false);
    for (const s of good) expect(isPlainText(s), s).toBe(true);
  });

  it('is used by names, free text and branches, with a field error', () => {
    for (const s of bad) {
      const org = organizationCreateBody.safeParse({ name: s });
      expect(org.success).toBe(false);
      expect(org.error?.issues[0]?.path).toEqual(['name']);
      expect(tokenCreateBody.safeParse({ name: s, abilities: ['read'] }).success).toBe(false);
      expect(deploymentRejectBody.safeParse({ reason: s }).success).toBe(false);
      expect(branchName.safeParse(`feature/${s}`).success).toBe(false);
    }
    expect(organizationCreateBody.parse({ name: '  Zürich 🚀 ' })).toEqual({ name: 'Zürich 🚀' });
    expect(branchName.safeParse('feature/zürich').success).toBe(true);
    expect(plainText(5).safeParse('abcdef').success).toBe(false);
  });
});
