// `emergence serve --static DIR`: the playground as static files (page, data sets, data/index.json, header rules) for
// any web server, written to a temporary folder first and renamed into place whole.
import { EngineError } from '../errors.js';
import { importRuntimeModule } from '../platform/runtime-import.js';
import { buildDataIndex, type DataIndexOptions } from './data-index.js';
import { defaultPageDir, ISOLATION_HEADERS } from './server.js';
import type { PlaygroundDataIndex } from './types.js';

export interface StaticSiteOptions extends DataIndexOptions {
  /** The built page (default <package>/build/playground). */
  pageDir?: string;
  /** Replace `dir` when it exists (default: refuse). */
  force?: boolean;
}

export interface StaticSite {
  dir: string;
  index: PlaygroundDataIndex;
  /** Files written and their total size. */
  files: number;
  bytes: number;
}

/** How to serve the site, written beside it (README.txt), with the header rules for hosts that read `_headers` files. */
const SERVING_NOTE = `The emergence-engine playground as static files.

Serve this folder over http://127.0.0.1 / localhost or https (WebGPU needs a secure context; file:// does not work).
For WebAssembly threads, send these headers with every file (the _headers file states them for Netlify and
Cloudflare Pages); without them the page still works, on one thread:
${Object.entries(ISOLATION_HEADERS)
  .map(([name, value]) => `  ${name}: ${value}`)
  .join('\n')}
data/index.json lists the data sets copied into data/.
`;

/** Writes the page and every data set found (see buildDataIndex) into `dir`, which must not exist unless options.force. */
export async function writeStaticSite(dir: string, options: StaticSiteOptions = {}): Promise<StaticSite> {
  const fs = await importRuntimeModule('node:fs/promises');
  const path = await importRuntimeModule('node:path');
  const target = path.resolve(dir);
  const exists = await fs.stat(target).then(
    () => true,
    () => false,
  );
  if (exists && !options.force) throw new EngineError(`emergence serve --static: ${target} exists; pass --force to replace it`);
  const pageDir = path.resolve(options.pageDir ?? defaultPageDir());
  const pageFiles = await fs.readdir(pageDir).catch(() => [] as string[]);
  if (!pageFiles.includes('index.html')) {
    throw new EngineError(`emergence serve --static: ${pageDir}/index.html is missing: build the page first (npm run build)`);
  }
  const { index, files } = await buildDataIndex(options);
  const temporary = `${target}.partial-${Date.now().toString(36)}`;
  let count = 0;
  let bytes = 0;
  try {
    await fs.mkdir(path.join(temporary, 'data'), { recursive: true });
    for (const name of pageFiles) {
      const from = path.join(pageDir, name);
      if (!(await fs.stat(from)).isFile()) continue;
      await fs.copyFile(from, path.join(temporary, name));
      count++;
      bytes += (await fs.stat(from)).size;
    }
    for (const [url, from] of files) {
      const to = path.join(temporary, 'data', ...url.split('/'));
      await fs.mkdir(path.dirname(to), { recursive: true });
      await fs.copyFile(from, to);
      count++;
      bytes += (await fs.stat(from)).size;
    }
    await fs.writeFile(path.join(temporary, 'data/index.json'), `${JSON.stringify(index, null, 2)}\n`);
    const headers = `/*\n${Object.entries(ISOLATION_HEADERS)
      .map(([name, value]) => `  ${name}: ${value}`)
      .join('\n')}\n`;
    await fs.writeFile(path.join(temporary, '_headers'), headers);
    await fs.writeFile(path.join(temporary, 'README.txt'), SERVING_NOTE);
    count += 3;
    if (exists) await fs.rm(target, { recursive: true, force: true });
    await fs.rename(temporary, target);
  } catch (error) {
    await fs.rm(temporary, { recursive: true, force: true });
    throw error;
  }
  return { dir: target, index, files: count, bytes };
}
