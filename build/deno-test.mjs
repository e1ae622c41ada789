// `npm run test:deno`: bundles the test cases, then runs test/deno/*.test.ts with the Deno binary from the `deno` npm package.
// Extra arguments go to `deno test` (for example --filter wasm). Exits with Deno's status.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTests } from './build-tests.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const deno = join(root, 'node_modules/deno/deno');
if (!existsSync(deno)) {
  console.error('deno-test: node_modules/deno/deno is missing; run `npm install`');
  process.exit(1);
}

await buildTests();
// --no-check: tsc (npm run check) type-checks these files; Deno's own checker cannot resolve 'emergence-engine' types.
const args = ['test', '--allow-all', '--no-check', ...process.argv.slice(2), 'test/deno/'];
const result = spawnSync(deno, args, { cwd: root, stdio: 'inherit' });
if (result.error) throw result.error;
process.exit(result.status ?? 1);
