#!/usr/bin/env node
// The `emergence` command: runs the CLI of the built package (build/dist/index.js) with Node's streams, files and signals.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from '../build/dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  interactive: Boolean(process.stderr.isTTY),
  columns: process.stderr.columns,
  async writeFile(path, text) {
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, text);
    await rename(temporary, path);
  },
  onInterrupt(handler) {
    let count = 0;
    const listener = () => {
      // A second Ctrl-C quits at once.
      if (++count > 1) process.exit(130);
      handler();
    };
    process.on('SIGINT', listener);
    return () => process.off('SIGINT', listener);
  },
  runBench(args, json) {
    const script = join(root, 'build/bench.mjs');
    if (!existsSync(script)) {
      return Promise.reject(
        new Error(`${script} is missing: the benchmarks ship with the repository, not the npm package (clone it and run npm run bench)`),
      );
    }
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [script, ...args], {
        stdio: ['inherit', json ? 'inherit' : 'ignore', 'inherit'],
      });
      child.on('error', reject);
      child.on('exit', (code, signal) => resolve(signal === 'SIGINT' ? 130 : (code ?? 1)));
    });
  },
};

process.exitCode = await runCli(process.argv.slice(2), io);
