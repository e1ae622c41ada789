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

// More of Deno's API, for the examples (examples/deno) and the tests that run them as subprocesses.
declare namespace Deno {
  interface TestContext {
    step(name: string, fn: (t: TestContext) => void | Promise<void>): Promise<boolean>;
    step(definition: { name: string; ignore?: boolean; fn: (t: TestContext) => void | Promise<void> }): Promise<boolean>;
  }
  const args: string[];
  function exit(code?: number): never;
  function execPath(): string;
  function cwd(): string;
  const stderr: { isTerminal(): boolean; writeSync(data: Uint8Array): number };
  function readFile(path: string | URL): Promise<Uint8Array>;
  function writeTextFile(path: string | URL, data: string): Promise<void>;
  function copyFile(from: string | URL, to: string | URL): Promise<void>;
  function makeTempDir(options?: { prefix?: string; dir?: string }): Promise<string>;
  function remove(path: string | URL, options?: { recursive?: boolean }): Promise<void>;
  interface CommandOptions {
    args?: string[];
    cwd?: string | URL;
    env?: Record<string, string>;
    clearEnv?: boolean;
    stdin?: 'piped' | 'inherit' | 'null';
    stdout?: 'piped' | 'inherit' | 'null';
    stderr?: 'piped' | 'inherit' | 'null';
  }
  interface CommandOutput {
    code: number;
    success: boolean;
    stdout: Uint8Array;
    stderr: Uint8Array;
  }
  class Command {
    constructor(command: string | URL, options?: CommandOptions);
    output(): Promise<CommandOutput>;
  }
}
