// Every shaders/*.wgsl must compile in Naga (Deno's wgpu) and give a pipeline for each entry point.
type Validation = typeof import('../shaders/validate.js');

// The same helpers as the Tint test, bundled by build/build-tests.mjs.
const { compileErrors, computeEntryPoints, pipelineError }: Validation = await import(
  new URL('../../build/test/shader-validation.js', import.meta.url).href
);

const shaderDir = new URL('../../shaders/', import.meta.url);
const shaders: { name: string; source: string }[] = [];
for await (const entry of Deno.readDir(shaderDir)) {
  if (!entry.isFile || !entry.name.endsWith('.wgsl')) continue;
  shaders.push({ name: entry.name.slice(0, -'.wgsl'.length), source: await Deno.readTextFile(new URL(entry.name, shaderDir)) });
}
shaders.sort((a, b) => (a.name < b.name ? -1 : 1));

const requireWebGpu = Deno.env.get('EMERGENCE_REQUIRE_WEBGPU') === '1';
const adapter = await navigator.gpu?.requestAdapter();
if (!adapter) {
  if (requireWebGpu) throw new Error('Deno found no WebGPU adapter (install a Vulkan driver, e.g. mesa-vulkan-drivers for lavapipe)');
  console.warn('Naga shader validation skipped: no WebGPU adapter');
}
const device = await adapter?.requestDevice();
const ignore = !device;
const options = { ignore, sanitizeOps: false, sanitizeResources: false };

function fail(message: string): never {
  throw new Error(message);
}

Deno.test({
  name: 'naga › finds the shaders',
  ...options,
  fn: () => void (shaders.length > 0 || fail('no .wgsl files in shaders/')),
});
for (const { name, source } of shaders) {
  Deno.test({
    name: `naga › ${name}.wgsl compiles`,
    ...options,
    async fn() {
      const errors = await compileErrors(device!, name, source);
      if (errors.length > 0) fail(errors.join('\n'));
    },
  });
  const entryPoints = computeEntryPoints(source);
  Deno.test({
    name: `naga › ${name}.wgsl declares a @compute entry point`,
    ...options,
    fn: () => void (entryPoints.length > 0 || fail(`${name}.wgsl has no @compute entry point`)),
  });
  for (const entryPoint of entryPoints) {
    Deno.test({
      name: `naga › ${name}.wgsl: pipeline for ${entryPoint}`,
      ...options,
      async fn() {
        const error = await pipelineError(device!, name, source, entryPoint);
        if (error) fail(error);
      },
    });
  }
}
