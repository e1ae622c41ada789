// Vitest runs the Node side of the test suite against the built bundle, as users import it.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    alias: { 'emergence-engine': fileURLToPath(new URL('./build/dist/index.js', import.meta.url)) },
  },
  test: {
    include: ['test/node/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default'],
  },
});
