// The core's generated op table is current, and its gradient table agrees with src/autodiff/differentiable.ts.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { coreHasRule, gradientKinds, type OpName } from 'emergence-engine';
// @ts-expect-error: the build script is plain JavaScript without declarations
import { generatedCoreOps, generatedCorePath } from '../../build/build.mjs';

describe('autodiff core', () => {
  it('assembly/autodiff/ops.generated.ts matches src/ops (run npm run build to regenerate)', async () => {
    const expected = (await generatedCoreOps()) as string;
    expect(readFileSync(generatedCorePath as string, 'utf8')).toBe(expected);
  });

  it('has a gradient rule for exactly the ops src/autodiff/differentiable.ts calls differentiable', async () => {
    for (const [op, kind] of Object.entries(gradientKinds)) {
      expect({ op, rule: await coreHasRule(op as OpName) }).toEqual({ op, rule: kind === 'rule' });
    }
  });
});
