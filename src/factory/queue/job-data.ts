import { z } from 'zod';
import { KilnError } from '../../errors/index.ts';
import type { Trigger } from '../trigger.ts';

/** The queue of whole cycles: plan the catalog, then one image job per image. */
export const CYCLE_QUEUE = 'kiln-cycle';
/** The queue of one image's lines and variants within a cycle; one active job per image. */
export const IMAGE_QUEUE = 'kiln-image';

const TriggerSchema: z.ZodType<Trigger> = z.union([
  z.object({ kind: z.literal('schedule') }),
  z.object({ kind: z.literal('manual'), by: z.string() }),
  z.object({ kind: z.literal('urgent-fix'), advisory: z.string(), packages: z.array(z.string()) }),
  z.object({
    kind: z.literal('package-updated'),
    packages: z.array(z.object({ name: z.string(), from: z.string().optional(), to: z.string() })),
  }),
]) as unknown as z.ZodType<Trigger>;

const isoTime = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO-8601 time');

export const CycleJobData = z.object({
  cycleId: z.string().min(1),
  /** Only these catalog images; all when absent. */
  images: z.array(z.string()).optional(),
  /** The cycle's clock; absent: the time the job starts. */
  now: isoTime.optional(),
  trigger: TriggerSchema,
});
export type CycleJobData = z.infer<typeof CycleJobData>;

export const ImageJobData = z.object({
  cycleId: z.string().min(1),
  image: z.string().min(1),
  now: isoTime,
  trigger: TriggerSchema,
});
export type ImageJobData = z.infer<typeof ImageJobData>;

/** Job payloads come back from the database: parsed at the edge like any other input. */
export function parseJobData<T>(schema: z.ZodType<T>, queue: string, id: string, data: unknown): T {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'data'}: ${i.message}`).join('; ');
  throw new KilnError('INPUT_INVALID', `job ${id} in ${queue}: unexpected payload (${issues})`);
}
