import { createRequire } from 'node:module';
import type ssh2Types from 'ssh2';

const require = createRequire(import.meta.url);
let loaded: typeof ssh2Types | undefined;

/**
 * ssh2, loaded on first use: importing it instantiates a WebAssembly Poly1305
 * module with a 16 MiB heap, which an idle control plane with no server
 * contact should not carry (see bench/idle-rss.ts).
 */
export function ssh2(): typeof ssh2Types {
  loaded ??= require('ssh2') as typeof ssh2Types;
  return loaded;
}
