// A run folder's files through node:fs (Node and Deno): whole-file writes via a temporary name, missing files as undefined.
import { importRuntimeModule } from '../platform/runtime-import.js';
import type { RunFiles } from './types.js';

/** `name` inside `dir`; an absolute name stays as it is. */
const joinPath = (dir: string, name: string): string =>
  name.startsWith('/') || /^[A-Za-z]:[\\/]/.test(name) ? name : `${dir.replace(/[\\/]+$/, '')}/${name}`;

let temporaryCounter = 0;

/** RunFiles over the folder `dir` (created on the first write). */
export function nodeRunFiles(dir: string): RunFiles {
  const fs = () => importRuntimeModule('node:fs/promises');
  const read = async <T>(path: string, reader: (full: string) => Promise<T>): Promise<T | undefined> => {
    try {
      return await reader(joinPath(dir, path));
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      throw new Error(`${joinPath(dir, path)}: cannot be read: ${(error as Error).message}`);
    }
  };
  return {
    dir,
    readText: (path) => read(path, async (full) => (await fs()).readFile(full, 'utf8')),
    readBytes: (path) =>
      read(path, async (full) => {
        const buffer = await (await fs()).readFile(full);
        return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      }),
    async write(path, content) {
      const { mkdir, rename, writeFile } = await fs();
      const full = joinPath(dir, path);
      await mkdir(full.slice(0, Math.max(full.lastIndexOf('/'), 0)) || '.', { recursive: true });
      const pid = (globalThis as { process?: { pid?: number } }).process?.pid ?? 0;
      const temporary = `${full}.${pid}.${temporaryCounter++}.tmp`;
      await writeFile(temporary, content);
      await rename(temporary, full);
    },
    async remove(path) {
      await (await fs()).rm(joinPath(dir, path), { force: true });
    },
  };
}
