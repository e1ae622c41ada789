// The graph: values (inputs, parameters, state, constants, op outputs, views) and nodes (one primitive op each).
import { ATTR_COUNTS, INPUT_COUNTS, OP_COUNT, OP_VIEW, OUTPUT_COUNTS } from './ops.generated';
import { FAIL_VIEW_SIZE, hostFail, hostInfer } from './host';

export const KIND_INPUT: i32 = 0;
export const KIND_PARAMETER: i32 = 1;
export const KIND_STATE: i32 = 2;
export const KIND_CONSTANT: i32 = 3;
export const KIND_NODE: i32 = 4;
export const KIND_VIEW: i32 = 5;

export const DTYPE_FLOAT32: i32 = 0;
export const DTYPE_INT32: i32 = 1;

// Values, as parallel arrays indexed by value id.
export const valueKind = new Array<i32>();
export const valueDtype = new Array<i32>();
export const valueShape = new Array<Array<i32>>();
export const valueFill = new Array<f64>();
/** Views: the value whose storage they share (never itself a view). */
export const valueViewOf = new Array<i32>();
/** Op outputs and views: the node that makes them; -1 otherwise. */
export const valueProducer = new Array<i32>();

// Nodes, as parallel arrays indexed by node id.
export const nodeOp = new Array<i32>();
export const nodeInputs = new Array<Array<i32>>();
export const nodeOutputs = new Array<Array<i32>>();
export const nodeAttrs = new Array<Array<f64>>();
export const nodeLabel = new Array<i32>();
/** 1 for nodes the reverse pass added. */
export const nodeBackward = new Array<i32>();

/** Label id given to nodes as they are added (the host's label table; the reverse pass uses the forward node's). */
export let currentLabel: i32 = 0;
export let addingBackward: i32 = 0;

export function setCurrentLabel(label: i32, backward: i32): void {
  currentLabel = label;
  addingBackward = backward;
}

export function addValue(kind: i32, dtype: i32, shape: Array<i32>, fill: f64, producer: i32): i32 {
  const id = valueKind.length;
  valueKind.push(kind);
  valueDtype.push(dtype);
  valueShape.push(shape);
  valueFill.push(fill);
  valueViewOf.push(-1);
  valueProducer.push(producer);
  return id;
}

export function sizeOf(shape: Array<i32>): i64 {
  let n: i64 = 1;
  for (let i = 0; i < shape.length; i++) n *= <i64>shape[i];
  return n;
}

export function sizeOfValue(value: i32): i64 {
  return sizeOf(valueShape[value]);
}

/** The value whose storage `value` uses: itself, or the source of a view. */
export function storageOf(value: i32): i32 {
  const source = valueViewOf[value];
  return source < 0 ? value : source;
}

/** Adds a node of a primitive op; the host infers its outputs' shapes (and throws if the inputs do not fit). */
export function addNode(op: i32, inputs: Array<i32>, attrs: Array<f64>): i32 {
  assert(op >= 0 && op < OP_COUNT, 'unknown op code');
  assert(inputs.length == INPUT_COUNTS[op], 'wrong number of inputs');
  assert(attrs.length == ATTR_COUNTS[op], 'wrong number of attributes');
  const node = nodeOp.length;
  nodeOp.push(op);
  nodeInputs.push(inputs);
  nodeAttrs.push(attrs);
  nodeLabel.push(currentLabel);
  nodeBackward.push(addingBackward);
  const outputs = new Array<i32>();
  for (let i = 0; i < OUTPUT_COUNTS[op]; i++) outputs.push(addValue(KIND_NODE, DTYPE_FLOAT32, new Array<i32>(), 0, node));
  nodeOutputs.push(outputs);
  hostInfer(node);
  return node;
}

/** A view of `source` with `shape` (same number of elements), as a VIEW node so the reverse pass can see it. */
export function addView(source: i32, shape: Array<i32>): i32 {
  if (sizeOf(shape) != sizeOfValue(source)) hostFail(FAIL_VIEW_SIZE, -1, source);
  const node = nodeOp.length;
  nodeOp.push(OP_VIEW);
  const inputs = new Array<i32>();
  inputs.push(source);
  nodeInputs.push(inputs);
  nodeAttrs.push(new Array<f64>());
  nodeLabel.push(currentLabel);
  nodeBackward.push(addingBackward);
  const view = addValue(KIND_VIEW, valueDtype[source], shape, 0, node);
  valueViewOf[view] = storageOf(source);
  const outputs = new Array<i32>();
  outputs.push(view);
  nodeOutputs.push(outputs);
  return view;
}

/** Output `index` of a node added by addNode. */
export function output(node: i32, index: i32): i32 {
  return nodeOutputs[node][index];
}

/** A float32 constant of `shape` whose every element is `fill`. */
export function addConstant(shape: Array<i32>, fill: f64): i32 {
  return addValue(KIND_CONSTANT, DTYPE_FLOAT32, shape, fill, -1);
}

export function shapeOf(value: i32): Array<i32> {
  return valueShape[value];
}

export function copyShape(shape: Array<i32>): Array<i32> {
  return shape.slice(0);
}

export function valueCount(): i32 {
  return valueKind.length;
}
