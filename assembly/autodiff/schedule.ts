// The schedule: the nodes the kept values need, in order, and a buffer slot for every value, reused once it is dead.
import {
  KIND_NODE, KIND_VIEW, nodeInputs, nodeOp, nodeOutputs, sizeOfValue, storageOf, valueCount, valueKind, valueProducer,
} from './graph';
import { OP_VIEW } from './ops.generated';

const keepValues = new Array<i32>();

/** Node ids of the program's kernel launches, in order. */
export const steps = new Array<i32>();
/** Bytes of each slot (the largest value it ever holds). */
export const slotBytes = new Array<i64>();
/** The value that owns a slot for the whole program, or -1 for a reusable slot. */
export const slotOwner = new Array<i32>();
/** Slot of each value (views: their source's), or -1 when the program does not touch it. */
export let valueSlots = new Array<i32>();

export function addKeep(value: i32): void {
  keepValues.push(value);
}

const ELEMENT_BYTES: i64 = 4;

function isPinned(storage: i32, kept: Array<bool>): bool {
  const kind = valueKind[storage];
  return (kind != KIND_NODE && kind != KIND_VIEW) || kept[storage];
}

/** Schedules the nodes the staged keep values need. */
export function runSchedule(): void {
  const values = valueCount();
  const nodes = nodeOp.length;
  steps.length = 0;
  slotBytes.length = 0;
  slotOwner.length = 0;
  valueSlots = new Array<i32>(values);
  for (let v = 0; v < values; v++) valueSlots[v] = -1;

  // Kept storage, and the nodes the kept values need (walking producers back from them).
  const kept = new Array<bool>(values);
  const needed = new Array<bool>(nodes);
  const stack = new Array<i32>();
  for (let i = 0; i < keepValues.length; i++) {
    kept[storageOf(keepValues[i])] = true;
    stack.push(keepValues[i]);
  }
  const visited = new Array<bool>(values);
  while (stack.length > 0) {
    const v = stack.pop();
    if (visited[v]) continue;
    visited[v] = true;
    const producer = valueProducer[v];
    if (producer < 0 || needed[producer]) continue;
    needed[producer] = true;
    const inputs = nodeInputs[producer];
    for (let i = 0; i < inputs.length; i++) stack.push(inputs[i]);
  }

  // Program order is node order (nodes are only ever added after their inputs exist); views launch nothing.
  for (let node = 0; node < nodes; node++) if (needed[node] && nodeOp[node] != OP_VIEW) steps.push(node);

  // The last step that reads each storage value.
  const lastUse = new Array<i32>(values);
  for (let v = 0; v < values; v++) lastUse[v] = -1;
  for (let s = 0; s < steps.length; s++) {
    const inputs = nodeInputs[steps[s]];
    for (let i = 0; i < inputs.length; i++) lastUse[storageOf(inputs[i])] = s;
  }

  // Pinned storage first, in value order: inputs, parameters, state, constants and kept values each own a slot.
  for (let v = 0; v < values; v++) {
    if (storageOf(v) != v || !isPinned(v, kept)) continue;
    if (!visited[v] && lastUse[v] < 0 && !kept[v]) continue;
    valueSlots[v] = newSlot(sizeOfValue(v) * ELEMENT_BYTES, v);
  }
  // Kept values produced by needed nodes are pinned too (above); everything else shares reusable slots.
  const free = new Array<i32>();
  for (let s = 0; s < steps.length; s++) {
    const node = steps[s];
    const outputs = nodeOutputs[node];
    for (let i = 0; i < outputs.length; i++) {
      const out = outputs[i];
      if (valueSlots[out] >= 0) continue;
      valueSlots[out] = takeSlot(free, sizeOfValue(out) * ELEMENT_BYTES);
    }
    // Free what dies here: inputs read for the last time, and outputs nobody reads.
    const inputs = nodeInputs[node];
    for (let i = 0; i < inputs.length; i++) {
      const storage = storageOf(inputs[i]);
      if (lastUse[storage] == s && !isPinned(storage, kept)) release(free, valueSlots[storage]);
    }
    for (let i = 0; i < outputs.length; i++) {
      const out = outputs[i];
      if (lastUse[out] < 0 && !isPinned(out, kept)) release(free, valueSlots[out]);
    }
  }
  // Views read the slot of their source.
  for (let v = 0; v < values; v++) {
    if (valueKind[v] == KIND_VIEW) valueSlots[v] = valueSlots[storageOf(v)];
  }
  keepValues.length = 0;
}

function newSlot(bytes: i64, owner: i32): i32 {
  slotBytes.push(bytes);
  slotOwner.push(owner);
  return slotBytes.length - 1;
}

/** The free slot that fits best (the smallest large enough, else the largest, grown); a new slot when none is free. */
function takeSlot(free: Array<i32>, bytes: i64): i32 {
  let best = -1;
  for (let i = 0; i < free.length; i++) {
    const candidate = slotBytes[free[i]];
    if (best < 0) { best = i; continue; }
    const current = slotBytes[free[best]];
    const fits = candidate >= bytes;
    const currentFits = current >= bytes;
    if ((fits && (!currentFits || candidate < current)) || (!fits && !currentFits && candidate > current)) best = i;
  }
  if (best < 0) return newSlot(bytes, -1);
  const slot = free[best];
  free.splice(best, 1);
  if (slotBytes[slot] < bytes) slotBytes[slot] = bytes;
  return slot;
}

function release(free: Array<i32>, slot: i32): void {
  if (slot < 0 || slotOwner[slot] >= 0) return;
  for (let i = 0; i < free.length; i++) if (free[i] == slot) return;
  free.push(slot);
}
