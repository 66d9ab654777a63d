/**
 * A tiny ANSI SGR parser: splits a log line into text runs with the colour
 * and weight the escape codes asked for. Other escape sequences (cursor
 * moves, OSC titles) are dropped; unknown SGR parameters are ignored.
 */
export interface AnsiStyle {
  fg: number | null;
  bg: number | null;
  bold: boolean;
  dim: boolean;
  italic: boolean;
  underline: boolean;
}

export interface AnsiSpan {
  text: string;
  style: AnsiStyle;
}

const PLAIN: AnsiStyle = { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false };
// CSI … final byte, or OSC … BEL/ST, or a lone two-byte escape.
// eslint-disable-next-line no-control-regex
const ESCAPE = /\u001b(?:\[([0-9;:?]*)([@-~])|\][^\u0007\u001b]*(?:\u0007|\u001b\\)|[@-Z\\-_])/g;

function applySgr(style: AnsiStyle, params: string): AnsiStyle {
  const codes = params === '' ? [0] : params.split(/[;:]/).map((p) => (p === '' ? 0 : Number(p)));
  const s = { ...style };
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i] ?? 0;
    if (c === 0) Object.assign(s, PLAIN);
    else if (c === 1) s.bold = true;
    else if (c === 2) s.dim = true;
    else if (c === 3) s.italic = true;
    else if (c === 4) s.underline = true;
    else if (c === 22) s.bold = s.dim = false;
    else if (c === 23) s.italic = false;
    else if (c === 24) s.underline = false;
    else if (c >= 30 && c <= 37) s.fg = c - 30;
    else if (c >= 90 && c <= 97) s.fg = c - 90 + 8;
    else if (c === 39) s.fg = null;
    else if (c >= 40 && c <= 47) s.bg = c - 40;
    else if (c >= 100 && c <= 107) s.bg = c - 100 + 8;
    else if (c === 49) s.bg = null;
    else if (c === 38 || c === 48) {
      // 38;5;n (256 colours: the first 16 map to the palette) or 38;2;r;g;b (ignored).
      const mode = codes[i + 1];
      if (mode === 5) {
        const n = codes[i + 2] ?? 0;
        if (n < 16) {
          if (c === 38) s.fg = n;
          else s.bg = n;
        }
        i += 2;
      } else if (mode === 2) i += 4;
    }
  }
  return s;
}

/** The runs of `line`, with the style each run has after its escape codes. */
export function parseAnsi(line: string): AnsiSpan[] {
  const spans: AnsiSpan[] = [];
  let style = PLAIN;
  let last = 0;
  const push = (text: string) => {
    if (!text) return;
    const prev = spans[spans.length - 1];
    if (prev && prev.style === style) prev.text += text;
    else spans.push({ text, style });
  };
  for (const m of line.matchAll(ESCAPE)) {
    push(line.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[2] === 'm') style = applySgr(style, m[1] ?? '');
  }
  push(line.slice(last));
  return spans;
}

/** The text of `line` without escape codes (what search matches against). */
export function stripAnsi(line: string): string {
  return line.replace(ESCAPE, '');
}

/** CSS classes of a style: `ansi-fg-1 ansi-bold`… (empty for plain text). */
export function ansiClasses(style: AnsiStyle): string {
  const c: string[] = [];
  if (style.fg !== null) c.push(`ansi-fg-${style.fg}`);
  if (style.bg !== null) c.push(`ansi-bg-${style.bg}`);
  if (style.bold) c.push('ansi-bold');
  if (style.dim) c.push('ansi-dim');
  if (style.italic) c.push('ansi-italic');
  if (style.underline) c.push('ansi-underline');
  return c.join(' ');
}
