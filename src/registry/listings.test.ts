import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { errorCode, pushImage, putManifest, startTestRegistry, type TestRegistry } from './test-kit.ts';

describe('registry listings', () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await startTestRegistry();
  });
  after(async () => {
    await reg.stop();
  });

  test('tags are sorted and paged with n, last and a Link to the next page', async () => {
    const img = await pushImage(reg.url, 'paged/repo', 'v1');
    for (const tag of ['b', 'a', 'c', 'V2', '1.0', 'latest']) await putManifest(reg.url, 'paged/repo', tag, img.bytes);
    const all = (await (await fetch(`${reg.url}/v2/paged/repo/tags/list`)).json()) as { name: string; tags: string[] };
    assert.equal(all.name, 'paged/repo');
    assert.deepEqual(all.tags, ['1.0', 'V2', 'a', 'b', 'c', 'latest', 'v1']);

    const seen: string[] = [];
    let next: string | null = '/v2/paged/repo/tags/list?n=3';
    let pages = 0;
    while (next !== null) {
      const res: Response = await fetch(`${reg.url}${next}`);
      const body = (await res.json()) as { tags: string[] };
      assert.ok(body.tags.length <= 3);
      seen.push(...body.tags);
      const link = res.headers.get('link');
      next = link === null ? null : (/^<([^>]+)>; rel="next"$/.exec(link)?.[1] ?? assert.fail(`bad Link ${link}`));
      pages++;
    }
    assert.deepEqual(seen, all.tags);
    assert.equal(pages, 3);

    const afterB = (await (await fetch(`${reg.url}/v2/paged/repo/tags/list?last=b`)).json()) as { tags: string[] };
    assert.deepEqual(afterB.tags, ['c', 'latest', 'v1']);
    const lastPage = await fetch(`${reg.url}/v2/paged/repo/tags/list?n=3&last=c`);
    assert.equal(lastPage.headers.get('link'), null);
    assert.deepEqual(((await lastPage.json()) as { tags: string[] }).tags, ['latest', 'v1']);
    const zero = await fetch(`${reg.url}/v2/paged/repo/tags/list?n=0`);
    assert.deepEqual(((await zero.json()) as { tags: string[] }).tags, []);
  });

  test('tags of an unknown repository are NAME_UNKNOWN', async () => {
    const res = await fetch(`${reg.url}/v2/no/such/repo/tags/list`);
    assert.equal(res.status, 404);
    assert.equal(await errorCode(res), 'NAME_UNKNOWN');
  });

  test('the catalog lists every repository, sorted and paged', async () => {
    for (const name of ['zeta', 'alpha/one', 'alpha/one/deeper', 'mid']) await pushImage(reg.url, name, 'x');
    const all = (await (await fetch(`${reg.url}/v2/_catalog`)).json()) as { repositories: string[] };
    assert.deepEqual(all.repositories, ['alpha/one', 'alpha/one/deeper', 'mid', 'paged/repo', 'zeta']);
    const first = await fetch(`${reg.url}/v2/_catalog?n=2`);
    assert.deepEqual(((await first.json()) as { repositories: string[] }).repositories, ['alpha/one', 'alpha/one/deeper']);
    assert.equal(first.headers.get('link'), '</v2/_catalog?n=2&last=alpha%2Fone%2Fdeeper>; rel="next"');
    const second = await fetch(`${reg.url}/v2/_catalog?n=2&last=alpha%2Fone%2Fdeeper`);
    assert.deepEqual(((await second.json()) as { repositories: string[] }).repositories, ['mid', 'paged/repo']);
  });
});
