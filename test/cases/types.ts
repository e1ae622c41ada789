// The shape of a runtime-neutral test case: written once, run by vitest (Node), Deno.test and the Chromium page.
import type { BackendKind, Engine } from 'emergence-engine';

export interface TestCase {
  /** Unique within its group; runners print it as the test name. */
  name: string;
  /** Backends the case applies to; default all. */
  backends?: BackendKind[];
  run(engine: Engine): Promise<void>;
}

export interface TestGroup {
  name: string;
  cases: TestCase[];
}
