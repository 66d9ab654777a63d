import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { core } from 'zod';

type RouteSchema = core.$ZodType | { properties: core.$ZodType };
/** Copies the declared parts of a value, or throws MISMATCH when the value does not fit the schema. */
type Pick = (value: unknown) => unknown;

const MISMATCH = Symbol('response does not match its schema');
const mismatch = (): never => {
  throw MISMATCH;
};

/**
 * Serializes responses with a function compiled once per route schema that
 * copies only the declared keys (so no private column ever leaks, as with
 * zod's encode) and checks every value's type, then `JSON.stringify`.
 * zod walks every row through its generic machinery and builds issue lists;
 * this is several times cheaper on lists. Whenever the fast path is unsure —
 * a schema kind it does not know (transforms, defaults, lazy, intersections…)
 * or a value that does not fit — the route falls back to zod's own
 * serializer, which produces the same output or the usual serialization error.
 * String formats and length limits are not re-checked on the way out.
 */
export const responseSerializerCompiler: FastifySerializerCompiler<RouteSchema> = (route) => {
  const slow = zodSerializerCompiler(route);
  const schema = 'properties' in route.schema && !('_zod' in route.schema) ? route.schema.properties : (route.schema as core.$ZodType);
  const pick = compilePick(schema);
  if (!pick) return slow;
  return (data) => {
    let picked: unknown;
    try {
      picked = pick(data);
    } catch (err) {
      if (err === MISMATCH) return slow(data);
      throw err;
    }
    return JSON.stringify(picked);
  };
};

/** The compiled copier of a schema, or undefined when a part of it is not supported. */
export function compilePick(schema: core.$ZodType, depth = 0): Pick | undefined {
  if (depth > 32) return undefined;
  const s = schema as core.$ZodTypes;
  const def = s._zod.def;
  switch (def.type) {
    case 'string':
      if (hasChecks(def)) return checked(schema, 'string');
      return (v) => (typeof v === 'string' ? v : mismatch());
    case 'number':
      if (hasChecks(def)) return checked(schema, 'number');
      return (v) => (typeof v === 'number' && Number.isFinite(v) ? v : mismatch());
    case 'boolean':
      if (hasChecks(def)) return checked(schema, 'boolean');
      return (v) => (typeof v === 'boolean' ? v : mismatch());
    case 'null':
      return (v) => (v === null ? v : mismatch());
    case 'unknown':
    case 'any':
      return (v) => v;
    case 'enum': {
      const allowed = new Set<unknown>(Object.values(def.entries));
      return (v) => (allowed.has(v) ? v : mismatch());
    }
    case 'literal': {
      const allowed = new Set<unknown>(def.values);
      return (v) => (allowed.has(v) ? v : mismatch());
    }
    case 'nullable': {
      const inner = compilePick(def.innerType, depth + 1);
      return inner && ((v) => (v === null ? null : inner(v)));
    }
    case 'optional': {
      const inner = compilePick(def.innerType, depth + 1);
      return inner && ((v) => (v === undefined ? undefined : inner(v)));
    }
    case 'readonly':
      return compilePick(def.innerType, depth + 1);
    case 'array': {
      const item = compilePick(def.element, depth + 1);
      if (!item) return undefined;
      return (v) => {
        if (!Array.isArray(v)) return mismatch();
        const out = new Array<unknown>(v.length);
        for (let i = 0; i < v.length; i++) out[i] = item(v[i]);
        return out;
      };
    }
    case 'object': {
      // A catchall (loose or strict objects) changes what happens to unknown keys: leave those to zod.
      if (def.catchall) return undefined;
      const fields: [string, Pick][] = [];
      for (const [key, field] of Object.entries(def.shape)) {
        const pick = compilePick(field, depth + 1);
        if (!pick) return undefined;
        fields.push([key, pick]);
      }
      return (v) => {
        if (typeof v !== 'object' || v === null || Array.isArray(v)) return mismatch();
        const src = v as Record<string, unknown>;
        const out: Record<string, unknown> = {};
        // A missing key reads as undefined: an error unless the field is optional or accepts anything.
        for (const [key, pick] of fields) out[key] = pick(src[key]);
        return out;
      };
    }
    case 'record': {
      if (def.keyType._zod.def.type !== 'string' || def.mode === 'loose') return undefined;
      const value = compilePick(def.valueType, depth + 1);
      if (!value) return undefined;
      return (v) => {
        if (typeof v !== 'object' || v === null || Array.isArray(v)) return mismatch();
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) out[k] = value(x);
        return out;
      };
    }
    case 'union': {
      if (def.inclusive === false) return undefined;
      const options: Pick[] = [];
      for (const o of def.options) {
        const pick = compilePick(o, depth + 1);
        if (!pick) return undefined;
        options.push(pick);
      }
      return (v) => {
        for (const pick of options) {
          try {
            return pick(v);
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

function checked(schema: core.$ZodType, type: 'string' | 'number' | 'boolean'): Pick {
  return (v) => (typeof v === type && core.safeParse(schema, v).success ? v : mismatch());
}
