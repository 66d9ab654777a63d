import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { core } from 'zod';

type RouteSchema = core.$ZodType | { properties: core.$ZodType };
/**
 * Writes the declared parts of a value as JSON (undefined: leave the key out), or throws
 * MISMATCH when the value does not fit the schema.
 */
type Emit = (value: unknown) => string | undefined;

const MISMATCH = Symbol('response does not match its schema');
const mismatch = (): never => {
  throw MISMATCH;
};
const json = (v: unknown): string => JSON.stringify(v);

/**
 * Serializes responses with a function compiled once per route schema that
 * writes only the declared keys (so no private column ever leaks, as with
 * zod's encode) and checks every value's type, straight to JSON text.
 * zod walks every row through its generic machinery, copies it and builds
 * issue lists, then JSON.stringify walks the copy again; this is several
 * times cheaper on lists. Whenever the fast path is unsure — a schema kind it
 * does not know (transforms, defaults, lazy, intersections…) or a value that
 * does not fit — the route falls back to zod's own serializer, which writes
 * the same text or raises the usual serialization error. String formats,
 * lengths and refinements are checked by zod on the value itself.
 */
export const responseSerializerCompiler: FastifySerializerCompiler<RouteSchema> = (route) => {
  const slow = zodSerializerCompiler(route);
  const schema = 'properties' in route.schema && !('_zod' in route.schema) ? route.schema.properties : (route.schema as core.$ZodType);
  const emit = compileEmit(schema);
  if (!emit) return slow;
  return (data) => {
    try {
      return emit(data) as string;
    } catch (err) {
      if (err === MISMATCH) return slow(data);
      throw err;
    }
  };
};

/** The compiled JSON writer of a schema, or undefined when a part of it is not supported. */
export function compileEmit(schema: core.$ZodType, depth = 0): Emit | undefined {
  if (depth > 32) return undefined;
  const s = schema as core.$ZodTypes;
  const def = s._zod.def;
  switch (def.type) {
    case 'string':
      if (hasChecks(def)) return checked(schema, 'string');
      return (v) => (typeof v === 'string' ? json(v) : mismatch());
    case 'number':
      if (hasChecks(def)) return checked(schema, 'number');
      return (v) => (typeof v === 'number' && Number.isFinite(v) ? json(v) : mismatch());
    case 'boolean':
      if (hasChecks(def)) return checked(schema, 'boolean');
      return (v) => (v === true ? 'true' : v === false ? 'false' : mismatch());
    case 'null':
      return (v) => (v === null ? 'null' : mismatch());
    case 'unknown':
    case 'any':
      return json;
    case 'enum': {
      const allowed = new Set<unknown>(Object.values(def.entries));
      return (v) => (allowed.has(v) ? json(v) : mismatch());
    }
    case 'literal': {
      const allowed = new Set<unknown>(def.values);
      return (v) => (allowed.has(v) ? json(v) : mismatch());
    }
    case 'nullable': {
      const inner = compileEmit(def.innerType, depth + 1);
      return inner && ((v) => (v === null ? 'null' : inner(v)));
    }
    case 'optional': {
      const inner = compileEmit(def.innerType, depth + 1);
      return inner && ((v) => (v === undefined ? undefined : inner(v)));
    }
    case 'readonly':
      return compileEmit(def.innerType, depth + 1);
    case 'array': {
      const item = compileEmit(def.element, depth + 1);
      if (!item) return undefined;
      return (v) => {
        if (!Array.isArray(v)) return mismatch();
        let out = '[';
        for (let i = 0; i < v.length; i++) out += (i ? ',' : '') + (item(v[i]) ?? 'null');
        return out + ']';
      };
    }
    case 'object': {
      // A catchall (loose or strict objects) changes what happens to unknown keys: leave those to zod.
      if (def.catchall) return undefined;
      const fields: [string, string, Emit, boolean][] = [];
      for (const [key, field] of Object.entries(def.shape)) {
        const emit = compileEmit(field, depth + 1);
        if (!emit) return undefined;
        fields.push([key, json(key) + ':', emit, field._zod.optout === 'optional']);
      }
      return (v) => {
        if (typeof v !== 'object' || v === null || Array.isArray(v)) return mismatch();
        const src = v as Record<string, unknown>;
        let out = '';
        for (const [key, prefix, emit, optional] of fields) {
          const text = emit(src[key]);
          if (text !== undefined) out += (out ? ',' : '') + prefix + text;
          // zod refuses a missing required key even when its type (unknown) would take undefined.
          else if (!optional) mismatch();
        }
        return '{' + out + '}';
      };
    }
    case 'record': {
      if (def.keyType._zod.def.type !== 'string' || hasChecks(def.keyType._zod.def) || def.mode === 'loose') return undefined;
      const value = compileEmit(def.valueType, depth + 1);
      if (!value) return undefined;
      return (v) => {
        if (typeof v !== 'object' || v === null || Array.isArray(v)) return mismatch();
        let out = '';
        for (const [k, x] of Object.entries(v)) {
          const text = value(x);
          if (text !== undefined) out += (out ? ',' : '') + json(k) + ':' + text;
        }
        return '{' + out + '}';
      };
    }
    case 'union': {
      if (def.inclusive === false) return undefined;
      const options: Emit[] = [];
      for (const o of def.options) {
        const emit = compileEmit(o, depth + 1);
        if (!emit) return undefined;
        options.push(emit);
      }
      return (v) => {
        for (const emit of options) {
          try {
            return emit(v);
          } catch (err) {
            if (err !== MISMATCH) throw err;
          }
        }
        return mismatch();
      };
    }
    default:
      return undefined;
  }
}

/** Formats (email, int…), lengths and refinements: zod checks the value itself. */
function hasChecks(def: core.$ZodTypeDef): boolean {
  return (def.checks?.length ?? 0) > 0 || 'format' in def;
}

function checked(schema: core.$ZodType, type: 'string' | 'number' | 'boolean'): Emit {
  return (v) => (typeof v === type && core.safeParse(schema, v).success ? json(v) : mismatch());
}
