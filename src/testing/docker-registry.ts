import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { freePort } from './free-port.ts';

/** A registry under test: where it listens and how to stop it. */
export type RunningRegistry = {
  /** `127.0.0.1:PORT`, as in a reference. */
  readonly host: string;
  readonly url: string;
  close(): Promise<void>;
};

export const DOCKER_REGISTRY_BIN = '/usr/bin/docker-registry';

export type DockerRegistryOptions = {
  /** An htpasswd file (bcrypt) to demand basic auth with. */
  readonly htpasswd?: string;
};

/**
 * Starts Debian's docker-registry (distribution 2.8) on a free loopback port with
 * filesystem storage in a temp directory and deletes enabled; resolves once `/v2/`
 * answers. close() stops it and removes the storage.
 */
export async function startDockerRegistry(options: DockerRegistryOptions = {}): Promise<RunningRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'kiln-docker-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const auth = options.htpasswd !== undefined ? `auth:\n  htpasswd:\n    realm: kiln-test\n    path: ${options.htpasswd}\n` : '';
  const config = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${host}`,
    auth,
  ].join('\n');
  const configPath = join(dir, 'config.yml');
  await writeFile(configPath, config);
  const child = spawn(DOCKER_REGISTRY_BIN, ['serve', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-4000);
  });
  const url = `http://${host}`;
  try {
    await waitUntilUp(url, child, () => stderr);
  } catch (e) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    host,
    url,
    async close() {
      await stop(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function waitUntilUp(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${stderr()}`);
    try {
      const res = await fetch(`${url}/v2/`);
      await res.arrayBuffer();
      if (res.status === 200 || res.status === 401) return;
    } catch {
      // not listening yet
    }
    await delay(25);
  }
  throw new Error(`docker-registry did not answer on ${url}/v2/ within 10 s: ${stderr()}`);
}

/** Stops a child process: SIGTERM, then SIGKILL if it lingers. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}
