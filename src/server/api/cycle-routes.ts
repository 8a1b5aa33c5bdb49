import type { Hono } from 'hono';
import { z } from 'zod';
import { describeZodIssues, KilnError } from '../../errors/index.ts';
import { parseInstant } from '../../factory/index.ts';
import { cycleResults, type KilnDatabase } from '../../store/index.ts';
import { TriggerSchema, type CycleControl } from '../../factory/queue/index.ts';

const TriggerBody = z.strictObject({
  images: z.array(z.string().min(1)).min(1).optional(),
  now: z.string().optional(),
  /** Default `{ "kind": "manual", "by": "api" }`; an urgent fix limits the cycle to image versions containing its packages. */
  trigger: TriggerSchema.optional(),
});
const EXPECTED = '{ "images": [NAME...], "now": ISO-TIME, "trigger": { "kind": "urgent-fix", "advisory": ID, "packages": [NAME...] } }, all optional';

/**
 * `POST /api/v1/cycles` (202 and the cycle's id: queued on the job queue, where any
 * kiln serve or kiln worker runs it) and `GET /api/v1/cycles/{id}` (its status and the
 * results recorded so far).
 */
export function addCycleRoutes(app: Hono, store: KilnDatabase, cycles: CycleControl | undefined): void {
  app.post('/cycles', async (c) => {
    if (cycles === undefined) throw new KilnError('NOT_FOUND', 'this server runs no factory: start kiln serve with --config kiln.yaml');
    if (Number(c.req.header('content-length') ?? 0) > 64 * 1024) throw new KilnError('INPUT_INVALID', 'POST /api/v1/cycles: the body is larger than 65536 bytes');
    const text = await c.req.text();
    // a trigger is a few hundred bytes; anything near a megabyte is not one
    if (text.length > 64 * 1024) throw new KilnError('INPUT_INVALID', `POST /api/v1/cycles: the body is ${text.length} bytes; at most 65536 are accepted`);
    let json: unknown = {};
    if (text.trim() !== '') {
      try {
        json = JSON.parse(text);
      } catch (cause) {
        throw new KilnError('INPUT_INVALID', `POST /api/v1/cycles: the body is not JSON (expected ${EXPECTED})`, { cause });
      }
    }
    const parsed = TriggerBody.safeParse(json);
    if (!parsed.success) {
      throw new KilnError('INPUT_INVALID', `POST /api/v1/cycles: expected ${EXPECTED}: ${describeZodIssues(parsed.error)}`);
    }
    const { images, now, trigger } = parsed.data;
    if (now !== undefined) parseInstant(now, 'now');
    const cycleId = await cycles.trigger({ ...(images !== undefined && { images }), ...(now !== undefined && { now }), ...(trigger !== undefined && { trigger }) });
    return c.json({ id: cycleId, status: (await cycles.status(cycleId))?.status ?? 'queued', url: `/api/v1/cycles/${cycleId}` }, 202);
  });
  app.get('/cycles/:id', async (c) => {
    const id = c.req.param('id');
    const state = await cycles?.status(id);
    const results = await cycleResults(store.db, id);
    // a cycle of an earlier `kiln serve` (or `kiln factory run`) is known by its results alone
    if (state === undefined && results.length === 0) throw new KilnError('NOT_FOUND', `no such cycle: ${id.slice(0, 100)}`);
    return c.json({
      id,
      status: state?.status ?? 'done',
      ...(state?.error !== undefined && { error: state.error }),
      results: results.map((r) => ({ image: r.image, line: r.line, version: r.version, variant: r.variant, status: r.status, reason: r.reason, digest: r.digest, at: r.at.toISOString() })),
    });
  });
}
