import { z } from 'zod';

/** A field error inside a problem document. */
export const fieldErrorSchema = z.object({ field: z.string(), message: z.string() });

/** RFC 9457 problem document, as every error response is shaped. */
export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().describe('Stable machine-readable error code, e.g. `request.validation`'),
    errors: z.array(fieldErrorSchema).optional(),
    requestId: z.string().optional(),
  })
  .meta({ id: 'Problem' });
export type ProblemBody = z.infer<typeof problemSchema>;
/** A field error inside a problem document; `field` is a dotted path such as `body.email`. */
export type FieldError = z.infer<typeof fieldErrorSchema>;

/** The body of a 204 answer: nothing. */
export const noContent = z.null().describe('No content');

/** An opaque id in a path. */
export const idParams = z.object({ id: z.string().min(1).max(64) });

/** `?limit=&cursor=` of every list. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
});
export type PageQuery = z.infer<typeof pageQuery>;

/** `{ data, nextCursor }` of every list, named `id` in the OpenAPI document (e.g. `ServerPage`). */
export function pageOf<T extends z.ZodType>(item: T, id: string) {
  return z.object({ data: z.array(item), nextCursor: z.string().nullable() }).meta({ id });
}

/** `{ data, nextCursor }` of every list, as clients read it. */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/** An ISO-8601 UTC timestamp. */
export const isoTime = z.string().describe('ISO-8601 UTC time');

/** `Last-Event-ID` of a resumed event stream (the id of the last event the client holds). */
export const lastEventIdHeaders = z.object({ 'last-event-id': z.coerce.number().int().min(0).optional() }).loose();

/** A UTF-16 half without its pair (a code point of category Cs, matched only when alone under the u flag). */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * True for text a person would type on one line: no control character (NUL,
 * CR/LF…) that could split a log line, a header or a config file, and no lone
 * surrogate that breaks UTF-8 on the way to the database or a server.
 */
export function isPlainText(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return false; // NUL, CR, LF, tab, ESC… and DEL
  }
  return !LONE_SURROGATE.test(text);
}

export const PLAIN_TEXT_MESSAGE = 'must not contain control characters (NUL, line breaks…) or broken Unicode';

/** The one refinement of every name, branch and free-text field: a field error on NUL, CR/LF or a lone surrogate. */
export function plainText(max: number, min = 1) {
  return z.string().trim().min(min).max(max).refine(isPlainText, PLAIN_TEXT_MESSAGE);
}
