// The autodiff core's exports: build a graph, append its reverse pass, schedule it. Plain integers cross the boundary.
import {
  addConstant, addNode, addValue, addView, nodeAttrs, nodeBackward, nodeInputs, nodeLabel, nodeOp, nodeOutputs,
  setCurrentLabel, valueDtype, valueFill, valueKind, valueProducer, valueShape, valueViewOf,
} from './graph';
import { addSeed, addWrt, gradientOf, hasRule, runBackward } from './gradients';
import { addKeep, runSchedule, slotBytes, slotOwner, steps, valueSlots } from './schedule';

export { addSeed, addWrt, gradientOf, hasRule, runBackward, addKeep, runSchedule };

// Staging: the host pushes a node's inputs, attributes or a shape's dimensions, then calls the function that uses them.
const stagedInputs = new Array<i32>();
const stagedAttrs = new Array<f64>();
const stagedDims = new Array<i32>();

export function stageInput(value: i32): void { stagedInputs.push(value); }
export function stageAttr(value: f64): void { stagedAttrs.push(value); }
export function stageDim(dim: i32): void { stagedDims.push(dim); }

function takeDims(): Array<i32> {
  const dims = stagedDims.slice(0);
  stagedDims.length = 0;
  return dims;
}

/** A value of `kind` (input, parameter, state) with the staged shape. */
export function declareValue(kind: i32, dtype: i32): i32 {
  return addValue(kind, dtype, takeDims(), 0, -1);
}

export function declareConstant(fill: f64): i32 {
  return addConstant(takeDims(), fill);
}

/** Adds a node of `op` over the staged inputs and attributes; returns its id. */
export function node(op: i32): i32 {
  const inputs = stagedInputs.slice(0);
  const attrs = stagedAttrs.slice(0);
  stagedInputs.length = 0;
  stagedAttrs.length = 0;
  return addNode(op, inputs, attrs);
}

export function view(source: i32): i32 {
  return addView(source, takeDims());
}

/** Sets a value's dtype and shape (the staged dimensions): the host's answer to infer(). */
export function setShape(value: i32, dtype: i32): void {
  valueShape[value] = takeDims();
  valueDtype[value] = dtype;
}

export function setLabel(label: i32): void {
  setCurrentLabel(label, 0);
}

// Queries.
export function valueCount(): i32 { return valueKind.length; }
export function valueKindOf(value: i32): i32 { return valueKind[value]; }
export function valueDtypeOf(value: i32): i32 { return valueDtype[value]; }
export function valueRank(value: i32): i32 { return valueShape[value].length; }
export function valueDim(value: i32, axis: i32): i32 { return valueShape[value][axis]; }
export function valueFillOf(value: i32): f64 { return valueFill[value]; }
export function valueSource(value: i32): i32 { return valueViewOf[value]; }
export function valueProducerOf(value: i32): i32 { return valueProducer[value]; }
export function nodeCount(): i32 { return nodeOp.length; }
export function nodeOpOf(node: i32): i32 { return nodeOp[node]; }
export function nodeInputCount(node: i32): i32 { return nodeInputs[node].length; }
export function nodeInput(node: i32, index: i32): i32 { return nodeInputs[node][index]; }
export function nodeOutputCount(node: i32): i32 { return nodeOutputs[node].length; }
export function nodeOutput(node: i32, index: i32): i32 { return nodeOutputs[node][index]; }
export function nodeAttrCount(node: i32): i32 { return nodeAttrs[node].length; }
export function nodeAttr(node: i32, index: i32): f64 { return nodeAttrs[node][index]; }
export function nodeLabelOf(node: i32): i32 { return nodeLabel[node]; }
export function nodeIsBackward(node: i32): i32 { return nodeBackward[node]; }

// The last schedule.
export function stepCount(): i32 { return steps.length; }
export function stepNode(index: i32): i32 { return steps[index]; }
export function slotCount(): i32 { return slotBytes.length; }
export function slotSize(slot: i32): f64 { return <f64>slotBytes[slot]; }
export function slotOwnerOf(slot: i32): i32 { return slotOwner[slot]; }
export function valueSlot(value: i32): i32 { return value < valueSlots.length ? valueSlots[value] : -1; }
