// Runtime-specific file access for the data loaders: node:fs in Node, Deno.readFile in Deno, fetch in browsers.
import { detectRuntime, type RuntimeName } from '../platform/runtime.js';
import { importRuntimeModule } from '../platform/runtime-import.js';
import { DataError } from './errors.js';

/** Reads whole files from one runtime; `undefined` means "not there", any other failure throws. */
export interface FileReader {
  runtime: RuntimeName;
  /** Joins a directory (path or URL) and a relative name. */
  join(dir: string, name: string): string;
  /** The file's bytes, or undefined when it does not exist. */
  tryRead(path: string): Promise<Uint8Array | undefined>;
  /** An environment variable, where the runtime has them and allows reading them. */
  env(name: string): string | undefined;
}

interface DenoLike {
  readFile(path: string): Promise<Uint8Array>;
  env: { get(name: string): string | undefined };
}

const joinPath = (dir: string, name: string): string => (dir === '' ? name : `${dir.replace(/[\\/]+$/, '')}/${name}`);

function nodeReader(): FileReader {
  return {
    runtime: 'node',
    join: joinPath,
    async tryRead(path) {
      const fs = await importRuntimeModule('node:fs/promises');
      try {
        const buffer = await fs.readFile(path);
        return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      } catch (error) {
        const code = (error as { code?: string }).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
        throw new DataError(path, `cannot be read: ${(error as Error).message}`);
      }
    },
    env: (name) => (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name],
  };
}

function denoReader(): FileReader {
  const deno = (globalThis as unknown as { Deno: DenoLike }).Deno;
  return {
    runtime: 'deno',
    join: joinPath,
    async tryRead(path) {
      try {
        return await deno.readFile(path);
      } catch (error) {
        const name = (error as Error).name;
        if (name === 'NotFound') return undefined;
        if (name === 'NotCapable' || name === 'PermissionDenied') {
          // Deno without --allow-read for this path: say so, rather than looking elsewhere and blaming the next place.
          throw new DataError(
            path,
            `cannot be read: Deno needs read permission (deno run --allow-read=${path.replace(/\/[^/]*$/, '') || path}): ${(error as Error).message}`,
          );
        }
        throw new DataError(path, `cannot be read: ${(error as Error).message}`);
      }
    },
    env(name) {
      try {
        return deno.env.get(name);
      } catch {
        return undefined; // no --allow-env: behave as if unset
      }
    },
  };
}

function browserReader(): FileReader {
  const base = (globalThis as { location?: { href: string } }).location?.href;
  return {
    runtime: 'browser',
    join: (dir, name) => new URL(name, new URL(dir.endsWith('/') ? dir : `${dir}/`, base)).href,
    async tryRead(url) {
      let response: Response;
      try {
        response = await fetch(url);
      } catch (error) {
        throw new DataError(url, `cannot be fetched: ${(error as Error).message}`);
      }
      if (response.status === 404) return undefined;
      if (!response.ok) throw new DataError(url, `cannot be fetched: HTTP ${response.status} ${response.statusText}`);
      return new Uint8Array(await response.arrayBuffer());
    },
    env: () => undefined,
  };
}

/** The reader for the runtime the code is running in. */
export function fileReader(runtime: RuntimeName = detectRuntime()): FileReader {
  if (runtime === 'node') return nodeReader();
  if (runtime === 'deno') return denoReader();
  return browserReader();
}

/** The package's root directory (two levels above both src/data/ and build/dist/), or undefined outside file URLs. */
export function packageRoot(): string | undefined {
  // Through a variable: bundlers read `new URL('literal', import.meta.url)` as an asset to emit, and Vite resolves this
  // folder to the package's main file, copying the whole engine into a browser build as an unused asset.
  const moduleUrl = import.meta.url;
  const url = new URL('../../', moduleUrl);
  return url.protocol === 'file:' ? decodeURIComponent(url.pathname).replace(/\/$/, '') : undefined;
}

/** The folder holding the npm package `name`, as Node resolves it from this package; undefined when not installed. */
export async function nodePackageDir(name: string): Promise<string | undefined> {
  try {
    const { createRequire } = await importRuntimeModule('node:module');
    const require = createRequire(import.meta.url);
    return require.resolve(`${name}/package.json`).replace(/[\\/]package\.json$/, '');
  } catch {
    return undefined;
  }
}
