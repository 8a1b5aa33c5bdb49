import { spawn } from 'node:child_process';

/**
 * The proxy lines of an `apt-config dump`, as apt.conf statements ready for mmdebstrap's
 * --aptopt (which does not read the host's apt.conf.d). Values are never logged: a proxy
 * URL can carry credentials.
 */
export function parseAptProxyConfig(dump: string): string[] {
  const out: string[] = [];
  for (const line of dump.split('\n')) {
    // Acquire::http::Proxy "http://proxy:3128"; and per-host Acquire::http::Proxy::host "DIRECT";
    if (/^Acquire::(https?|ftp)::Proxy(::[^\s"]+)?\s+"[^"]*";$/i.test(line.trim())) out.push(line.trim());
  }
  return out;
}

/** The host apt's proxy settings; none when apt-config is missing or sets none. */
export async function readAptProxySettings(): Promise<string[]> {
  const dump = await new Promise<string>((resolve) => {
    const child = spawn('apt-config', ['dump'], { env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' }, stdio: ['ignore', 'pipe', 'ignore'] });
    let text = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (s: string) => (text += s));
    child.once('error', () => resolve(''));
    child.once('close', (code) => resolve(code === 0 ? text : ''));
  });
  return parseAptProxyConfig(dump);
}

/** Proxy variables of kiln's own environment that apt honours too; passed to mmdebstrap as they are. */
export function proxyEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['http_proxy', 'https_proxy', 'no_proxy', 'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY']) {
    const v = env[name];
    if (v !== undefined && v !== '') out[name] = v;
  }
  return out;
}
