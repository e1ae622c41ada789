// Every runtime-neutral test group, in the order runners report them.
import { reluGroup } from './relu.js';
import type { TestGroup } from './types.js';

export type { TestCase, TestGroup } from './types.js';

export const groups: TestGroup[] = [reluGroup];
