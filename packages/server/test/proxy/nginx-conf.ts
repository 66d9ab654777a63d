/**
 * A small parser of nginx configuration text for the tests: directives and
 * blocks as a tree, so assertions read "the HTTPS server's acme location"
 * rather than grepping lines. It also proves the text is well-formed
 * (balanced braces, every directive ended by `;`).
 */

export interface Directive {
  name: string;
  args: string[];
  /** Present for blocks (`server { … }`). */
  children?: Directive[];
}

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '{' || c === '}' || c === ';') {
      tokens.push(c);
      i++;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      let value = '';
      while (j < text.length && text[j] !== c) {
        if (text[j] === '\\') j++;
        value += text[j];
        j++;
      }
      if (j >= text.length) throw new Error(`unterminated string at ${i}`);
      tokens.push(`\u0000${value}`);
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !/[\s{};]/.test(text[j] as string)) j++;
      tokens.push(text.slice(i, j));
      i = j;
    }
  }
  return tokens;
}

const unquote = (t: string) => (t.startsWith('\u0000') ? t.slice(1) : t);

/** Parses a whole file; throws on malformed text. */
export function parseNginx(text: string): Directive[] {
  const tokens = tokenize(text);
  let pos = 0;
  const parseList = (nested: boolean): Directive[] => {
    const out: Directive[] = [];
    while (pos < tokens.length) {
      if (tokens[pos] === '}') {
        if (!nested) throw new Error('unexpected }');
        pos++;
        return out;
      }
      const words: string[] = [];
      while (pos < tokens.length && tokens[pos] !== ';' && tokens[pos] !== '{' && tokens[pos] !== '}') words.push(unquote(tokens[pos++] as string));
      const end = tokens[pos++];
      if (words.length === 0) throw new Error(`empty directive before ${end}`);
      const [name, ...args] = words as [string, ...string[]];
      if (end === ';') out.push({ name, args });
      else if (end === '{') out.push({ name, args, children: parseList(true) });
      else throw new Error(`directive ${name} is not terminated`);
    }
    if (nested) throw new Error('missing }');
    return out;
  };
  return parseList(false);
}

/** Directives named `name` directly inside `list`. */
export function all(list: readonly Directive[] | Directive, name: string): Directive[] {
  const items = Array.isArray(list) ? list : ((list as Directive).children ?? []);
  return items.filter((d) => d.name === name);
}

/** The argument lists of every `name` directive, each joined by a space. */
export function values(list: readonly Directive[] | Directive, name: string): string[] {
  return all(list, name).map((d) => d.args.join(' '));
}

/** The server blocks of a file. */
export function servers(text: string): Directive[] {
  return all(parseNginx(text), 'server');
}

/** The server block answering `name` on a port (plain or ssl). */
export function serverFor(text: string, name: string, tls: boolean): Directive {
  const found = servers(text).filter(
    (s) => values(s, 'server_name').some((v) => v.split(' ').includes(name)) && all(s, 'listen').some((l) => l.args.includes('ssl')) === tls,
  );
  if (found.length !== 1) throw new Error(`${found.length} ${tls ? 'https' : 'http'} servers for ${name}`);
  return found[0] as Directive;
}

/** The location whose arguments are exactly `match` (e.g. `^~ /.well-known/acme-challenge/`). */
export function location(server: Directive, match: string): Directive | undefined {
  return all(server, 'location').find((l) => l.args.join(' ') === match);
}

/** Header names and values set with add_header in a block. */
export function headers(block: Directive): Record<string, string> {
  return Object.fromEntries(all(block, 'add_header').map((d) => [d.args[0] as string, d.args[1] as string]));
}
