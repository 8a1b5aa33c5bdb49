export { startKilnServer, type KilnServerOptions, type RunningKilnServer } from './kiln-server.ts';
