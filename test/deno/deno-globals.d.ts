// The few Deno APIs the Deno test files use, declared for tsc (Deno itself runs them with --no-check).
declare namespace Deno {
  interface TestContext {
    name: string;
  }
  interface TestDefinition {
    name: string;
    fn: (t: TestContext) => void | Promise<void>;
    ignore?: boolean;
    sanitizeOps?: boolean;
    sanitizeResources?: boolean;
    sanitizeExit?: boolean;
  }
  interface DirEntry {
    name: string;
    isFile: boolean;
  }
  function test(definition: TestDefinition): void;
  function readDir(path: string | URL): AsyncIterable<DirEntry>;
  function readTextFile(path: string | URL): Promise<string>;
  const env: { get(name: string): string | undefined };
}
