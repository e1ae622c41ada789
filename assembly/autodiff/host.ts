// Functions the TypeScript side provides to the core: shape inference from src/ops/specs.ts, and errors with context.

/** Runs the op's shape rule for `node` and sets the shapes of its outputs (setShape); throws ShapeError on misfit. */
// @ts-ignore: decorator
@external("host", "infer")
export declare function hostInfer(node: i32): void;

/** Throws the error `code` (see FAIL_* below) about `node` or `value` in TypeScript, with the op and label named. */
// @ts-ignore: decorator
@external("host", "fail")
export declare function hostFail(code: i32, node: i32, value: i32): void;

/** A gradient reached an op that has no rule (reluMask, statistics, optimizer steps, gradients themselves). */
export const FAIL_NOT_DIFFERENTIABLE: i32 = 1;
/** batchNormApply's mean or variance need a gradient but are not moments() of the same input. */
export const FAIL_BATCH_NORM_STATISTICS: i32 = 2;
/** A gradient reached a loss op's outputs: seed the reverse pass with the loss op's `grad` output instead. */
export const FAIL_SEED_OP: i32 = 3;
/** A max reduction needs a gradient (no rule: the argmax is not kept). */
export const FAIL_MAX_REDUCE: i32 = 4;
/** A view asks for a shape whose size differs from its source's. */
export const FAIL_VIEW_SIZE: i32 = 5;
/** moments() outputs got a gradient from somewhere other than the batchNormApply of the same input. */
export const FAIL_MOMENTS: i32 = 6;
/** A seed's gradient value has another shape than the value it seeds. */
export const FAIL_SEED_SHAPE: i32 = 7;
