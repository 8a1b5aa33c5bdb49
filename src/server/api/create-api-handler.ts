import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { isInputError, isKilnError } from '../../errors/index.ts';
import type { KilnDatabase } from '../../store/index.ts';
import type { CycleControl } from '../../factory/queue/index.ts';
import { addCycleRoutes } from './cycle-routes.ts';
import {
  queryChangelog,
  queryDiff,
  queryDigest,
  queryImages,
  querySearch,
  queryTagAt,
  queryTags,
  queryVersions,
} from './history-queries.ts';

export type ApiErrorBody = { readonly error: { readonly code: string; readonly message: string } };

/** KilnError codes decide the status: bad input 400, unknown thing 404, the rest 500. */
function statusOf(error: unknown): ContentfulStatusCode {
  if (!isKilnError(error)) return 500;
  if (isInputError(error.code)) return 400;
  return error.code === 'NOT_FOUND' ? 404 : 500;
}

function errorBody(error: unknown): ApiErrorBody {
  if (isKilnError(error)) return { error: { code: error.code, message: error.message } };
  // not one of ours: a bug; the details go to the log, not to the client
  return { error: { code: 'INTERNAL', message: 'internal error' } };
}

/** The `/api/v1/` routes over the history database, as a Hono app (JSON only). */
/** With `cycles` (kiln serve --config), `/cycles` triggers and reports factory cycles. */
export function createApiApp(store: KilnDatabase, onError: (error: unknown) => void = () => undefined, cycles?: CycleControl): Hono {
  const db = store.db;
  const app = new Hono().basePath('/api/v1');
  const image = (c: Context) => c.req.param('name') ?? '';
  // Image names and repositories may contain `/`, so their params match greedily ({.+});
  // the fixed suffix after them picks the route.
  app.get('/images', async (c) => c.json(await queryImages(db)));
  app.get('/images/:name{.+}/tags', async (c) => c.json(await queryTags(db, image(c))));
  app.get('/images/:name{.+}/versions', async (c) => c.json(await queryVersions(db, image(c))));
  app.get('/images/:name{.+}/versions/:version/changelog', async (c) =>
    c.json(await queryChangelog(db, image(c), c.req.param('version'), c.req.query('variant'))),
  );
  app.get('/digests/:digest', async (c) => c.json(await queryDigest(db, c.req.param('digest'))));
  app.get('/diff', async (c) => c.json(await queryDiff(db, c.req.query('from'), c.req.query('to'))));
  app.get('/search', async (c) => c.json(await querySearch(db, c.req.query('q'))));
  app.get('/tags/:repository{.+}/:tag/at', async (c) =>
    c.json(await queryTagAt(db, c.req.param('repository'), c.req.param('tag'), c.req.query('time'))),
  );
  addCycleRoutes(app, store, cycles);
  app.notFound((c) => c.json({ error: { code: 'NOT_FOUND', message: `no such API path: ${c.req.path.slice(0, 200)}` } } satisfies ApiErrorBody, 404));
  app.onError((error, c) => {
    const status = statusOf(error);
    if (status === 500) onError(error);
    return c.json(errorBody(error), status);
  });
  return app;
}

/**
 * The API as a node request handler for kiln-server's dispatcher. Hono's node adapter
 * would otherwise replace the global Request and Response with its own; kiln's registry
 * client uses the real ones in the same process, so that is turned off.
 */
export function createApiHandler(
  store: KilnDatabase,
  onError?: (error: unknown) => void,
  cycles?: CycleControl,
): (req: IncomingMessage, res: ServerResponse) => void {
  const listener = getRequestListener(createApiApp(store, onError, cycles).fetch, { overrideGlobalObjects: false });
  return (req, res) => {
    void listener(req, res);
  };
}
