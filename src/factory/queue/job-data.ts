import { z } from 'zod';
import { describeZodIssues, KilnError } from '../../errors/index.ts';
import type { Trigger } from '../trigger.ts';

/** The queue of whole cycles: plan the catalog, then one image job per image. */
export const CYCLE_QUEUE = 'kiln-cycle';
/** The queue of one image's lines and variants within a cycle; one active job per image. */
export const IMAGE_QUEUE = 'kiln-image';

/** CVE-2026-1234, GHSA-abcd-efgh-ijkl, DSA-5678-1, …: letters, digits and . _ : - only. */
export const ADVISORY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{1,79}$/;

/** A cycle's trigger as JSON (job payloads, the API's POST /cycles body). */
export const TriggerSchema: z.ZodType<Trigger> = z.union([
  z.strictObject({ kind: z.literal('schedule') }),
  z.strictObject({ kind: z.literal('manual'), by: z.string().min(1).max(200) }),
  z.strictObject({ kind: z.literal('urgent-fix'), advisory: z.string().regex(ADVISORY_ID, 'an advisory id such as CVE-2026-1234'), packages: z.array(z.string().min(1)).min(1) }),
  z.strictObject({
    kind: z.literal('package-updated'),
    packages: z.array(z.strictObject({ name: z.string().min(1), from: z.string().optional(), to: z.string().min(1) })).min(1),
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
  /** The image's entry file in the catalog directory: the job loads that one entry. */
  file: z.string().regex(/^[^/\\]+\.ya?ml$/, 'a file name in the catalog directory').optional(),
  /** The image versions the cycle planned to build; the job plans them again and builds what still needs it. */
  items: z.array(z.object({ line: z.string(), variant: z.string() })).optional(),
});
export type ImageJobData = z.infer<typeof ImageJobData>;

/** Job payloads come back from the database: parsed at the edge like any other input. */
export function parseJobData<T>(schema: z.ZodType<T>, queue: string, id: string, data: unknown): T {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  throw new KilnError('INPUT_INVALID', `job ${id} in ${queue}: unexpected payload (${describeZodIssues(parsed.error)})`);
}
