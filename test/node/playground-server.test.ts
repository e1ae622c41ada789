// The playground's server and static site (`emergence serve`, playground.serve, playground.writeStaticSite): routes,
// isolation headers, data index, confinement to the served folders, atomic static output, and the CLI around them.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { data, playground, type PlaygroundDataIndex, type PlaygroundServer } from 'emergence-engine';
import { temporaryDir } from '../support/temporary.js';

const root = join(import.meta.dirname, '../..');
const cli = (...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/emergence.mjs'), ...args], { cwd: root, encoding: 'utf8' });

/** A stand-in page folder and a data folder holding MNIST-named files (tiny, valid IDX) so the tests do not depend on builds. */
function fixtures() {
  const pageDir = temporaryDir('emergence-page-');
  writeFileSync(join(pageDir, 'index.html'), '<!doctype html><title>playground</title>');
  writeFileSync(join(pageDir, 'app.js'), 'export {};\n');
  const dataDir = temporaryDir('emergence-data-');
  const images = (count: number) => {
    const bytes = new Uint8Array(16 + count * 784);
    new DataView(bytes.buffer).setUint32(0, 0x803);
    new DataView(bytes.buffer).setUint32(4, count);
    new DataView(bytes.buffer).setUint32(8, 28);
    new DataView(bytes.buffer).setUint32(12, 28);
    bytes.fill(7, 16);
    return bytes;
  };
  const labels = (count: number) => {
    const bytes = new Uint8Array(8 + count);
    new DataView(bytes.buffer).setUint32(0, 0x801);
    new DataView(bytes.buffer).setUint32(4, count);
    bytes.fill(3, 8);
    return bytes;
  };
  mkdirSync(join(dataDir, 'mnist'));
  writeFileSync(join(dataDir, 'mnist/train-images-idx3-ubyte'), images(3));
  writeFileSync(join(dataDir, 'mnist/train-labels-idx1-ubyte'), labels(3));
  writeFileSync(join(dataDir, 'mnist/t10k-images-idx3-ubyte'), images(2));
  writeFileSync(join(dataDir, 'mnist/t10k-labels-idx1-ubyte'), labels(2));
  return { pageDir, dataDir };
}

describe('playground.serve', () => {
  let server: PlaygroundServer;
  let extra: string;
  const { pageDir, dataDir } = fixtures();
  beforeAll(async () => {
    extra = temporaryDir('emergence-mount-');
    writeFileSync(join(extra, 'note.txt'), 'mounted');
    // Only the local MNIST files: knownPlaces stay on, but dataDir is searched first, so mnist comes from the fixtures.
    server = await playground.serve({ port: 0, pageDir, dataDir, datasets: ['mnist'], mounts: { '/extra/': extra } });
  });
  afterAll(() => server?.close());

  const get = (path: string, init?: RequestInit) => fetch(new URL(path, server.url), init);

  it('serves the page with the cross-origin isolation headers on every response, 404 included', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('<title>playground</title>');
    for (const response of [page, await get('/app.js'), await get('/missing.js')]) {
      expect(response.headers.get('cross-origin-opener-policy')).toBe('same-origin');
      expect(response.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
      expect(response.headers.get('cross-origin-resource-policy')).toBe('same-origin');
    }
    expect((await get('/app.js')).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await get('/missing.js')).status).toBe(404);
    expect(await (await get('/extra/note.txt')).text()).toBe('mounted');
  });

  it('lists the data sets in data/index.json and serves their files byte for byte; data.fromFiles reads them', async () => {
    const index = (await (await get('/data/index.json')).json()) as PlaygroundDataIndex;
    expect(index).toEqual(server.index);
    expect(index.datasets.map((set) => set.name)).toEqual(['mnist']);
    const [mnist] = index.datasets;
    expect(mnist.shape).toEqual([1, 28, 28]);
    expect(mnist.splits.test.map((file) => file.url)).toEqual(['mnist/t10k-images-idx3-ubyte', 'mnist/t10k-labels-idx1-ubyte']);
    const files: Record<string, Uint8Array> = {};
    for (const file of mnist.splits.test) {
      const bytes = new Uint8Array(await (await get(`/data/${file.url}`)).arrayBuffer());
      expect(bytes.byteLength).toBe(file.bytes);
      expect(bytes).toEqual(new Uint8Array(readFileSync(join(dataDir, file.url))));
      files[file.name] = bytes;
    }
    const test = await data.fromFiles('mnist', files, { split: 'test' });
    expect(test.count).toBe(2);
    expect(Array.from(test.labels)).toEqual([3, 3]);
  });

  it('keeps requests inside the served folders and answers only GET and HEAD', async () => {
    for (const path of [
      '/../package.json',
      '/%2e%2e/package.json',
      '/extra/..%2f..%2fpackage.json',
      '/data/../package.json',
      '/data/mnist/../../x',
    ]) {
      const response = await get(path);
      expect(response.status, path).toBe(404);
    }
    const head = await get('/app.js', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String('export {};\n'.length));
    const post = await get('/', { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('names a port in use and a missing page folder', async () => {
    await expect(playground.serve({ port: server.port, pageDir, datasets: [] })).rejects.toThrow(
      `port ${server.port} on 127.0.0.1 is in use`,
    );
    await expect(playground.serve({ port: 0, pageDir: join(pageDir, 'nowhere'), datasets: [] })).rejects.toThrow('index.html is missing');
  });
});

describe('playground.writeStaticSite', () => {
  it('writes the page, the data, data/index.json and the header rules, whole, and refuses an existing folder', async () => {
    const { pageDir, dataDir } = fixtures();
    const out = join(temporaryDir('emergence-static-'), 'site');
    const site = await playground.writeStaticSite(out, { pageDir, dataDir, datasets: ['mnist'] });
    expect(site.dir).toBe(out);
    expect(readdirSync(out).sort()).toEqual(['README.txt', '_headers', 'app.js', 'data', 'index.html']);
    expect(readdirSync(join(out, 'data/mnist')).sort()).toEqual([
      't10k-images-idx3-ubyte',
      't10k-labels-idx1-ubyte',
      'train-images-idx3-ubyte',
      'train-labels-idx1-ubyte',
    ]);
    const index = JSON.parse(readFileSync(join(out, 'data/index.json'), 'utf8')) as PlaygroundDataIndex;
    for (const file of index.datasets[0].splits.train) expect(readFileSync(join(out, 'data', file.url)).byteLength).toBe(file.bytes);
    expect(readFileSync(join(out, '_headers'), 'utf8')).toContain('Cross-Origin-Embedder-Policy: require-corp');
    expect(site.files).toBe(2 + 4 + 3);
    // Nothing beside the site: the temporary folder was renamed into place.
    expect(readdirSync(join(out, '..'))).toEqual(['site']);
    await expect(playground.writeStaticSite(out, { pageDir, dataDir, datasets: ['mnist'] })).rejects.toThrow('exists; pass --force');
    writeFileSync(join(out, 'stale.txt'), 'old');
    await playground.writeStaticSite(out, { pageDir, dataDir, datasets: ['mnist'], force: true });
    expect(existsSync(join(out, 'stale.txt'))).toBe(false);
  });

  it('lists a data set it cannot find under missing, with where it looked', async () => {
    const emptyData = temporaryDir('emergence-nodata-');
    const index = await playground.dataIndex({ dataDir: emptyData, datasets: ['cifar10'], cacheDir: emptyData });
    if (index.index.datasets.length === 0) {
      expect(index.index.missing[0].name).toBe('cifar10');
      expect(index.index.missing[0].reason).toContain('files not found');
    } else {
      // The repository's CIFAR-10 subset sits beside the checkout (../shared): then it is found among the known places.
      expect(index.index.datasets[0].splits.train[0].name).toBe('data_batch_1.bin');
    }
  });
});

describe('emergence serve', () => {
  it('--help describes it; bad options are usage errors', () => {
    const help = cli('serve', '--help');
    expect(help.status).toBe(0);
    for (const option of ['--port', '--host', '--data-dir', '--static', '--force', '--backend', '--seed', '--json'])
      expect(help.stdout).toContain(option);
    expect(cli('serve', '--force').stderr).toContain('--force goes with --static DIR');
    expect(cli('serve', '--datasets', 'mnist,imagenet').stderr).toContain("unknown data set 'imagenet'");
    expect(cli('serve', '--port', '70000').status).toBe(2);
  });

  it('serves the built playground until Ctrl-C, printing its URL (--json), and exits 0', async () => {
    const child = spawn(
      process.execPath,
      [join(root, 'bin/emergence.mjs'), 'serve', '--port', '0', '--json', '--datasets', 'mnist', '--seed', '3'],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const [line] = await Promise.race([
      new Promise<string[]>((resolve) => createInterface({ input: child.stdout }).once('line', (first) => resolve([first]))),
      new Promise<string[]>((_, reject) => child.once('exit', (code) => reject(new Error(`serve exited ${code}: ${stderr}`)))),
    ]);
    const started = JSON.parse(line) as { url: string; port: number; data: PlaygroundDataIndex };
    expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?seed=3$/);
    expect(started.data.datasets.map((set) => set.name)).toEqual(['mnist']);
    const page = await fetch(started.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    const bundle = await fetch(new URL('/dist/index.js', started.url), { method: 'HEAD' });
    expect(bundle.status).toBe(200);
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exit).toBe(0);
    expect(stderr).toContain('serve: stopped');
  });

  it('--static DIR writes the built page and the local data sets', () => {
    const out = join(temporaryDir('emergence-cli-static-'), 'site');
    const run = cli('serve', '--static', out, '--datasets', 'mnist', '--json');
    expect(run.status, run.stderr).toBe(0);
    const result = JSON.parse(run.stdout) as { dir: string; files: number; data: PlaygroundDataIndex };
    expect(result.dir).toBe(out);
    expect(existsSync(join(out, 'index.html'))).toBe(true);
    expect(existsSync(join(out, 'data/mnist/train-images-idx3-ubyte'))).toBe(true);
    expect(result.data.datasets[0].splits.train.reduce((sum, file) => sum + file.bytes, 0)).toBe(47_040_016 + 60_008);
  });
});
