// `emergence serve`: an HTTP server (Node's node:http, also under Deno) for the playground page, the engine bundle and the
// local data sets, with the cross-origin isolation headers that WebAssembly threads need.
import { packageRoot } from '../data/files.js';
import { importRuntimeModule } from '../platform/runtime-import.js';
import { EngineError } from '../errors.js';
import { buildDataIndex, type DataIndexOptions } from './data-index.js';
import type { PlaygroundDataIndex } from './types.js';

export interface ServeOptions extends DataIndexOptions {
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** Default '127.0.0.1' (a secure context for WebGPU, reachable only from this machine). */
  host?: string;
  /** The built page (default <package>/build/playground). */
  pageDir?: string;
  /** More folders to serve: URL prefix ('/examples/') -> folder. */
  mounts?: Record<string, string>;
  /** Called with one line per request that failed (404, 405) or errored; default silent. */
  log?: (line: string) => void;
}

export interface PlaygroundServer {
  /** 'http://127.0.0.1:8080/' */
  url: string;
  port: number;
  index: PlaygroundDataIndex;
  close(): Promise<void>;
}

/** Headers every response carries: cross-origin isolation (SharedArrayBuffer for WebAssembly threads). */
export const ISOLATION_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.wgsl': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
};

/** The folder of the built playground page inside this package. */
export function defaultPageDir(): string {
  const root = packageRoot();
  if (!root) throw new EngineError('emergence serve: cannot locate the package folder (not loaded from a file URL); pass pageDir');
  return `${root}/build/playground`;
}

/** The content type for a file name. */
export function contentType(path: string): string {
  const dot = path.lastIndexOf('.');
  return (dot >= 0 && CONTENT_TYPES[path.slice(dot).toLowerCase()]) || 'application/octet-stream';
}

/**
 * Starts the server: `/` is the playground page (pageDir), `/data/index.json` lists the data sets found on this machine
 * and `/data/<name>/<file>` serves their files, `/dist/` the engine bundle, plus options.mounts. GET and HEAD only;
 * paths cannot leave their folders.
 */
export async function serve(options: ServeOptions = {}): Promise<PlaygroundServer> {
  const http = await importRuntimeModule('node:http');
  const fs = await importRuntimeModule('node:fs');
  const path = await importRuntimeModule('node:path');
  const pageDir = path.resolve(options.pageDir ?? defaultPageDir());
  if (!fs.existsSync(path.join(pageDir, 'index.html'))) {
    throw new EngineError(`emergence serve: ${pageDir}/index.html is missing: build the page first (npm run build)`);
  }
  const root = packageRoot();
  const mounts: [string, string][] = [['/', pageDir]];
  if (root) mounts.push(['/dist/', path.join(root, 'build/dist')]);
  for (const [prefix, dir] of Object.entries(options.mounts ?? {})) {
    if (!prefix.startsWith('/') || !prefix.endsWith('/'))
      throw new EngineError(`emergence serve: mount '${prefix}' must start and end with '/'`);
    mounts.push([prefix, path.resolve(dir)]);
  }
  // Longest prefix first, so '/dist/' wins over '/'.
  mounts.sort((a, b) => b[0].length - a[0].length);
  const { index, files } = await buildDataIndex(options);
  const indexJson = new TextEncoder().encode(`${JSON.stringify(index, null, 2)}\n`);
  const log = options.log ?? (() => {});

  /** The file a URL path names, or undefined. */
  const resolve = (urlPath: string): string | undefined => {
    if (urlPath.startsWith('/data/')) return files.get(urlPath.slice('/data/'.length));
    for (const [prefix, dir] of mounts) {
      if (!urlPath.startsWith(prefix)) continue;
      const relative = urlPath.slice(prefix.length) || 'index.html';
      const file = path.resolve(dir, relative.endsWith('/') ? `${relative}index.html` : relative);
      if (file !== dir && !file.startsWith(dir + path.sep)) return undefined;
      return file;
    }
    return undefined;
  };

  const server = http.createServer((request, response) => {
    for (const [name, value] of Object.entries(ISOLATION_HEADERS)) response.setHeader(name, value);
    response.setHeader('Cache-Control', 'no-cache');
    const method = request.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD') {
      log(`405 ${method} ${request.url}`);
      response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('only GET and HEAD\n');
      return;
    }
    let urlPath: string;
    try {
      urlPath = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    } catch {
      response.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8' }).end('bad URL\n');
      return;
    }
    if (urlPath === '/favicon.ico') return void response.writeHead(204).end();
    if (urlPath === '/data/index.json') {
      response.writeHead(200, { 'Content-Type': CONTENT_TYPES['.json'], 'Content-Length': indexJson.byteLength });
      return void response.end(method === 'HEAD' ? undefined : indexJson);
    }
    const file = resolve(urlPath);
    fs.stat(file ?? '', (error, stats) => {
      if (!file || error || !stats.isFile()) {
        log(`404 ${urlPath}`);
        response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`not found: ${urlPath}\n`);
        return;
      }
      response.writeHead(200, { 'Content-Type': contentType(file), 'Content-Length': stats.size });
      if (method === 'HEAD') return void response.end();
      const stream = fs.createReadStream(file);
      stream.on('error', (streamError) => {
        log(`error reading ${file}: ${streamError.message}`);
        response.destroy(streamError);
      });
      stream.pipe(response);
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((done, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      fail(
        new EngineError(
          error.code === 'EADDRINUSE'
            ? `emergence serve: port ${options.port ?? 8080} on ${host} is in use: pass another --port (0 picks a free one)`
            : `emergence serve: cannot listen on ${host}:${options.port ?? 8080}: ${error.message}`,
        ),
      ),
    );
    server.listen(options.port ?? 8080, host, () => done());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : (options.port ?? 8080);
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/`,
    port,
    index,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections?.();
        server.close(() => done());
      }),
  };
}
