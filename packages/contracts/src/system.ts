import { z } from 'zod';

export const healthSchema = z
  .object({
    status: z.literal('ok'),
    database: z.enum(['sqlite', 'postgres']),
    version: z.string(),
  })
  .meta({ id: 'Health' });
export type Health = z.infer<typeof healthSchema>;

/** GET /api/v1/events: where a new stream resumes, for clients that cannot set the Last-Event-ID header. */
export const eventStreamQuery = z.object({ lastEventId: z.coerce.number().int().min(0).optional() });
