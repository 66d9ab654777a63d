import { auditEventSchema, pageOf } from '@devflow/contracts';
import { serializerCompiler as zodSerializerCompiler } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { compileEmit, responseSerializerCompiler } from './response-serializer.js';

const route = (schema: z.ZodType) => ({ schema, method: 'GET', url: '/x', httpStatus: '200' });
const fast = (schema: z.ZodType) => responseSerializerCompiler(route(schema));
const zod = (schema: z.ZodType) => zodSerializerCompiler(route(schema));

const row = {
  id: 'aud_1',
  organizationId: 'org_1',
  actorType: 'user',
  actorId: 'usr_1',
  actorEmail: null,
  action: 'token.create',
  targetType: 'token',
  targetId: 'tok_1',
  ip: '127.0.0.1',
  userAgent: null,
  diff: { name: 'ci', nested: { private: 'kept as the schema says unknown' } },
  createdAt: '2026-11-27T10:00:00.000Z',
};

describe('response serializer', () => {
  it('writes what zod writes for a page of audit events, leaving out undeclared keys', () => {
    const schema = pageOf(auditEventSchema);
    const data = { data: [{ ...row, token_hash: 'secret' }, { ...row, id: 'aud_2', password_hash: 'x' }], nextCursor: null, extra: 1 };
    const out = fast(schema)(data);
    expect(out).toBe(zod(schema)(data));
    expect(out).not.toContain('secret');
    expect(out).not.toContain('password_hash');
    expect(out).not.toContain('extra');
  });

  it('handles optional, nullable, enums, literals, records, unions and integers like zod', () => {
    const schema = z.object({
      a: z.string().optional(),
      b: z.number().int().nullable(),
      c: z.enum(['x', 'y']),
      d: z.literal('k'),
      e: z.record(z.string(), z.object({ n: z.number() })),
      f: z.union([z.object({ kind: z.literal('one'), one: z.string() }), z.object({ kind: z.literal('two'), two: z.boolean() })]),
      g: z.array(z.string()).readonly(),
    });
    const data = { b: 3, c: 'y', d: 'k', e: { p: { n: 1.5, hidden: true } }, f: { kind: 'two', two: false, hidden: 1 }, g: ['a'], hidden: 'no' };
    expect(compileEmit(schema)).toBeDefined();
    expect(fast(schema)(data)).toBe(zod(schema)(data));
    expect(fast(schema)(data)).not.toContain('hidden');
  });

  it('reports a value that does not fit its schema the way zod does', () => {
    const schema = z.object({ id: z.string(), count: z.number().int() });
    expect(() => fast(schema)({ id: 'x', count: 1.5 })).toThrow(/serializ|schema|response/i);
    expect(() => fast(schema)({ count: 1 })).toThrow();
    expect(fast(schema)({ id: 'x', count: 1 })).toBe('{"id":"x","count":1}');
    const email = z.object({ email: z.email() });
    expect(() => fast(email)({ email: 'not an email' })).toThrow();
    expect(fast(email)({ email: 'a@example.test' })).toBe('{"email":"a@example.test"}');
  });

  it('writes what zod writes for missing optional keys, undefined in arrays and unknown values', () => {
    const schema = z.object({ a: z.string().optional(), u: z.unknown(), list: z.array(z.unknown()), n: z.number().nullable() });
    for (const data of [{ u: 1, list: [undefined, 1, { x: new Date(0) }], n: null }, { a: 'x', u: { deep: [1, 'two'] }, list: [], n: 0.5 }]) {
      expect(fast(schema)(data)).toBe(zod(schema)(data));
    }
    expect(() => zod(schema)({ list: [], n: null })).toThrow();
    expect(() => fast(schema)({ list: [], n: null })).toThrow();
  });

  it('leaves schemas it does not compile to zod', () => {
    const schema = z.object({ at: z.string().transform((s) => s.length) });
    expect(compileEmit(schema)).toBeUndefined();
    expect(compileEmit(z.looseObject({ a: z.string() }))).toBeUndefined();
    const withDefault = z.object({ n: z.number().default(1) });
    expect(compileEmit(withDefault)).toBeUndefined();
    expect(fast(withDefault)({ n: 2, x: 1 })).toBe(zod(withDefault)({ n: 2, x: 1 }));
  });
});
