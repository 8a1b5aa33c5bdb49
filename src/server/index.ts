export { startKilnServer, type KilnServerOptions, type RunningKilnServer } from './kiln-server.ts';
export { createApiApp, createApiHandler, type ApiErrorBody } from './api/create-api-handler.ts';
export {
  queryChangelog,
  queryDiff,
  queryDigest,
  queryImages,
  querySearch,
  queryTagAt,
  queryTags,
  queryVersions,
} from './api/history-queries.ts';
export { createServeFactory, pullCommands, type ServeFactory, type ServeFactoryOptions } from './serve-factory.ts';
