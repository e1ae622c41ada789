// Module declarations for the assets that esbuild (and the test runner's plugin) inline at build time.
declare module '*.wgsl' {
  const source: string;
  export default source;
}
declare module '*.wasm' {
  const bytes: Uint8Array<ArrayBuffer>;
  export default bytes;
}
