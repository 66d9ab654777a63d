import { describe, expect, it } from 'vitest';
import { ansiClasses, parseAnsi, stripAnsi } from './ansi';

describe('parseAnsi', () => {
  it('keeps plain text as one run', () => {
    expect(parseAnsi('hello')).toEqual([{ text: 'hello', style: expect.objectContaining({ fg: null, bold: false }) }]);
  });

  it('splits runs at colour changes and resets', () => {
    const spans = parseAnsi('a \u001b[1;31merror\u001b[0m done');
    expect(spans.map((s) => s.text)).toEqual(['a ', 'error', ' done']);
    expect(ansiClasses(spans[1]!.style)).toBe('ansi-fg-1 ansi-bold');
    expect(ansiClasses(spans[2]!.style)).toBe('');
  });

  it('maps bright and 256-colour palette entries, ignores truecolour', () => {
    expect(parseAnsi('\u001b[92mok')[0]!.style.fg).toBe(10);
    expect(parseAnsi('\u001b[38;5;4mx')[0]!.style.fg).toBe(4);
    const t = parseAnsi('\u001b[38;2;1;2;3;1mx')[0]!.style;
    expect(t.fg).toBeNull();
    expect(t.bold).toBe(true);
  });

  it('drops other escape sequences', () => {
    expect(stripAnsi('\u001b[2K\u001b[1Gline\u001b]0;title\u0007!')).toBe('line!');
    expect(parseAnsi('\u001b[2Kx').map((s) => s.text)).toEqual(['x']);
  });
});
