// Loads a module that exists only in some runtimes (Node's built-ins, the Dawn and Vega packages), invisibly to bundlers.
//
// A literal `import('node:fs/promises')` is followed by every bundler: a downstream browser build would try to resolve
// and bundle it, and fail. Here the specifier reaches `import()` as a variable, so esbuild (ours and the user's), Vite,
// Rollup and webpack all leave the call as it is; the comments tell Vite and webpack not to warn about it. The import
// still resolves at run time relative to the built bundle, so `webgpu` and `vega` come from node_modules in Node and
// through npm: in Deno, exactly as a literal import would.

/** The runtime-only modules the engine loads, by specifier: call sites get the module's type from the specifier alone. */
export interface RuntimeModules {
  'node:crypto': typeof import('node:crypto');
  'node:fs': typeof import('node:fs');
  'node:fs/promises': typeof import('node:fs/promises');
  'node:http': typeof import('node:http');
  'node:module': typeof import('node:module');
  'node:os': typeof import('node:os');
  'node:path': typeof import('node:path');
  'node:worker_threads': typeof import('node:worker_threads');
  vega: typeof import('vega');
  'vega-lite': typeof import('vega-lite');
  webgpu: typeof import('webgpu');
}

/** `import(specifier)`, left for the runtime to resolve: only call it on paths that run in a runtime that has the module. */
export function importRuntimeModule<Specifier extends keyof RuntimeModules>(specifier: Specifier): Promise<RuntimeModules[Specifier]> {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ specifier) as Promise<RuntimeModules[Specifier]>;
}
