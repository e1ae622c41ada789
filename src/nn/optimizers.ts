// Optimizers as graph nodes: PyTorch's SGD, Adam and AdamW with parameter groups, one sgdUpdate or adamUpdate node per
// parameter, their state (momentum_buffer, exp_avg, exp_avg_sq) declared as graph state and attributes given per step.
import type { GraphBuilder, ValueId } from '../autodiff/types.js';
import type { AttrsOf } from '../ops/defs.js';
import { EngineError } from '../errors.js';
import { describeValue } from './layers/common.js';
import type { GroupSettings, OptimizerOptions, ParameterGroup, ParameterUpdate, ResolvedGroup } from './types.js';

type OptimizerName = OptimizerOptions['name'];

const optimizerNames: readonly OptimizerName[] = ['sgd', 'adam', 'adamw'];

/** The settings each optimizer takes (besides name, lr and groups at the top level). */
const settingsOf: Record<OptimizerName, readonly (keyof GroupSettings)[]> = {
  sgd: ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov'],
  adam: ['lr', 'beta1', 'beta2', 'eps', 'weightDecay'],
  adamw: ['lr', 'beta1', 'beta2', 'eps', 'weightDecay'],
};

/** PyTorch's defaults (torch.optim.SGD, Adam, AdamW); settings an optimizer does not take keep neutral values. */
function defaultsOf(name: OptimizerName): Omit<ResolvedGroup, 'params' | 'lr'> {
  return { momentum: 0, dampening: 0, nesterov: false, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: name === 'adamw' ? 0.01 : 0 };
}

/**
 * Validates the optimizer options and splits the parameters into groups: the groups in the order given (a parameter
 * joins the first group that claims it), then the default group of every unclaimed parameter, always last (possibly
 * empty). Each resolved group has every setting: the group's own, else the top level's, else PyTorch's default.
 */
export function resolveGroups(options: OptimizerOptions, parameterNames: readonly string[]): ResolvedGroup[] {
  if (typeof options !== 'object' || options === null) {
    throw new EngineError(`optimizer must be an object like { name: 'adam', lr: 1e-3 }, got ${describeValue(options)}`);
  }
  const { name } = options;
  if (!optimizerNames.includes(name)) {
    throw new EngineError(`optimizer.name must be one of ${optimizerNames.map((n) => `'${n}'`).join(', ')}, got ${describeValue(name)}`);
  }
  const allowed = settingsOf[name];
  checkKeys('optimizer', options, ['name', 'groups', ...allowed], name);
  if (options.lr === undefined) throw new EngineError(`optimizer.lr is required (the learning rate, e.g. 1e-3)`);
  const topLevel = pickSettings(options, allowed);
  checkSettings('optimizer', topLevel);

  const given = options.groups ?? [];
  if (!Array.isArray(given)) throw new EngineError(`optimizer.groups must be an array of groups, got ${describeValue(given)}`);
  const known = new Set(parameterNames);
  const claimedBy = new Map<string, number>();
  const groups: ResolvedGroup[] = given.map((group, index) => {
    const where = `optimizer.groups[${index}]`;
    if (typeof group !== 'object' || group === null)
      throw new EngineError(`${where} must be an object with params, got ${describeValue(group)}`);
    checkKeys(where, group, ['params', ...allowed], name);
    const own = pickSettings(group, allowed);
    checkSettings(where, own);
    const matched = matchParameters(where, group.params, parameterNames, known);
    const params = matched.filter((param) => {
      const earlier = claimedBy.get(param);
      if (earlier !== undefined && Array.isArray(group.params)) {
        throw new EngineError(
          `${where}: parameter '${param}' is already in optimizer.groups[${earlier}]; a parameter may be in one group only`,
        );
      }
      return earlier === undefined;
    });
    if (params.length === 0) {
      throw new EngineError(`${where}: every parameter it names (${matched.join(', ')}) is already claimed by an earlier group`);
    }
    for (const param of params) claimedBy.set(param, index);
    return resolved(where, name, params, topLevel, own);
  });
  const rest = parameterNames.filter((param) => !claimedBy.has(param));
  groups.push(resolved('optimizer', name, rest, topLevel, {}));
  return groups;
}

function resolved(where: string, name: OptimizerName, params: string[], topLevel: GroupSettings, own: GroupSettings): ResolvedGroup {
  const group = { ...defaultsOf(name), ...topLevel, ...own, params } as ResolvedGroup;
  if (group.nesterov && (group.momentum <= 0 || group.dampening !== 0)) {
    throw new EngineError(
      `${where}: nesterov needs momentum > 0 and dampening 0, as in PyTorch, got momentum ${group.momentum}, dampening ${group.dampening}`,
    );
  }
  return group;
}

function checkKeys(where: string, value: object, allowed: readonly string[], name: OptimizerName): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      const other = optimizerNames.find((n) => n !== name && (settingsOf[n] as readonly string[]).includes(key));
      const hint = other ? ` (it belongs to '${other}')` : '';
      throw new EngineError(`${where}.${key} is not an option of '${name}'${hint}; it takes ${allowed.join(', ')}`);
    }
  }
}

function pickSettings(source: GroupSettings, allowed: readonly (keyof GroupSettings)[]): GroupSettings {
  const settings: Record<string, unknown> = {};
  for (const key of allowed) if (source[key] !== undefined) settings[key] = source[key];
  return settings as GroupSettings;
}

/** Throws naming the option and value when a given setting is out of PyTorch's range. */
function checkSettings(where: string, settings: GroupSettings): void {
  const finite = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
  const fail = (key: string, expected: string, value: unknown): never => {
    throw new EngineError(`${where}.${key} must be ${expected}, got ${describeValue(value)}`);
  };
  const { lr, weightDecay, momentum, dampening, nesterov, beta1, beta2, eps } = settings;
  if (lr !== undefined && !(finite(lr) && lr > 0)) fail('lr', 'a positive finite number', lr);
  if (weightDecay !== undefined && !(finite(weightDecay) && weightDecay >= 0)) fail('weightDecay', 'a finite number >= 0', weightDecay);
  if (momentum !== undefined && !(finite(momentum) && momentum >= 0)) fail('momentum', 'a finite number >= 0', momentum);
  if (dampening !== undefined && !(finite(dampening) && dampening >= 0 && dampening <= 1))
    fail('dampening', 'a number in [0, 1]', dampening);
  if (nesterov !== undefined && typeof nesterov !== 'boolean') fail('nesterov', 'true or false', nesterov);
  if (beta1 !== undefined && !(finite(beta1) && beta1 >= 0 && beta1 < 1)) fail('beta1', 'a number in [0, 1)', beta1);
  if (beta2 !== undefined && !(finite(beta2) && beta2 >= 0 && beta2 < 1)) fail('beta2', 'a number in [0, 1)', beta2);
  if (eps !== undefined && !(finite(eps) && eps >= 0)) fail('eps', 'a finite number >= 0', eps);
}

function matchParameters(where: string, selector: ParameterGroup['params'], names: readonly string[], known: Set<string>): string[] {
  let matched: string[];
  if (Array.isArray(selector)) {
    for (const param of selector) {
      if (!known.has(param)) {
        const list = names.length > 12 ? `${names.slice(0, 12).join(', ')}, ...` : names.join(', ');
        throw new EngineError(`${where}.params names ${describeValue(param)}, which is not a parameter of the model (parameters: ${list})`);
      }
    }
    matched = names.filter((param) => selector.includes(param));
  } else if (selector instanceof RegExp) {
    matched = names.filter((param) => {
      selector.lastIndex = 0;
      return selector.test(param);
    });
  } else if (typeof selector === 'function') {
    matched = names.filter((param) => selector(param));
  } else {
    throw new EngineError(`${where}.params must be a list of parameter names, a RegExp or a predicate, got ${describeValue(selector)}`);
  }
  if (matched.length === 0) throw new EngineError(`${where}.params ${describeSelector(selector)} matches no parameter of the model`);
  return matched;
}

function describeSelector(selector: ParameterGroup['params']): string {
  return selector instanceof RegExp ? String(selector) : typeof selector === 'function' ? '(a predicate)' : describeValue(selector);
}

/** One parameter as the optimizer sees it: its value, its gradient and its pruning mask (ones when not pruned). */
export interface OptimizedParameter {
  name: string;
  value: ValueId;
  grad: ValueId;
  mask: ValueId;
}

/**
 * Adds one update node per parameter (in the order given) and declares its state as graph state named
 * 'optimizer.<param>.<PyTorch's state name>': momentum_buffer for SGD with momentum (SGD without momentum at compile
 * time reads a constant zero velocity and keeps no state), exp_avg and exp_avg_sq for Adam and AdamW. Each update's
 * attrsAt(step) reads its group's current settings, so changes to the groups between steps take effect.
 */
export function emitOptimizer(
  g: GraphBuilder,
  options: OptimizerOptions,
  groups: ResolvedGroup[],
  params: ReadonlyArray<OptimizedParameter>,
): ParameterUpdate[] {
  const groupOf = new Map<string, number>();
  groups.forEach((group, index) => group.params.forEach((param) => groupOf.set(param, index)));
  return params.map((param) => {
    const index = groupOf.get(param.name);
    if (index === undefined) throw new EngineError(`optimizer: parameter '${param.name}' belongs to no optimizer group`);
    const group = groups[index];
    return g.withLabel(`optimizer (${options.name})`, () =>
      options.name === 'sgd' ? emitSgd(g, param, index, group) : emitAdam(g, param, index, group, options.name === 'adamw'),
    );
  });
}

function requireStep(step: number): void {
  if (!Number.isSafeInteger(step) || step < 1)
    throw new EngineError(`optimizer: step must be an integer >= 1 (steps count from 1), got ${step}`);
}

function emitSgd(g: GraphBuilder, param: OptimizedParameter, index: number, group: ResolvedGroup): ParameterUpdate {
  const shape = g.value(param.value).shape;
  const hasBuffer = group.momentum !== 0;
  const velocity = hasBuffer ? g.state(`optimizer.${param.name}.momentum_buffer`, shape) : g.constant(shape, 0);
  const attrsAt = (step: number): AttrsOf<'sgdUpdate'> => {
    requireStep(step);
    if (!hasBuffer && group.momentum !== 0) {
      throw new EngineError(
        `optimizer group ${index}: momentum was 0 when the net was compiled, so '${param.name}' has no momentum buffer; compile with the momentum to use`,
      );
    }
    const { lr, momentum, weightDecay, dampening, nesterov } = group;
    return { lr, momentum, weightDecay, dampening, nesterov, firstStep: step === 1 };
  };
  const { newParam, newVelocity } = g.op('sgdUpdate', { param: param.value, grad: param.grad, velocity, mask: param.mask }, attrsAt(1));
  return {
    param: param.name,
    node: producerOf(g, newParam),
    group: index,
    newParam,
    state: hasBuffer ? { momentum_buffer: { read: velocity, written: newVelocity } } : {},
    attrsAt,
  };
}

function emitAdam(g: GraphBuilder, param: OptimizedParameter, index: number, group: ResolvedGroup, decoupled: boolean): ParameterUpdate {
  const shape = g.value(param.value).shape;
  const m = g.state(`optimizer.${param.name}.exp_avg`, shape);
  const v = g.state(`optimizer.${param.name}.exp_avg_sq`, shape);
  const attrsAt = (step: number): AttrsOf<'adamUpdate'> => {
    requireStep(step);
    const { lr, beta1, beta2, eps, weightDecay } = group;
    return { lr, beta1, beta2, eps, weightDecay, decoupled, step };
  };
  const { newParam, newM, newV } = g.op('adamUpdate', { param: param.value, grad: param.grad, m, v, mask: param.mask }, attrsAt(1));
  return {
    param: param.name,
    node: producerOf(g, newParam),
    group: index,
    newParam,
    state: { exp_avg: { read: m, written: newM }, exp_avg_sq: { read: v, written: newV } },
    attrsAt,
  };
}

function producerOf(g: GraphBuilder, value: ValueId): number {
  const producer = g.value(value).producer;
  if (producer === undefined) throw new EngineError(`optimizer: value ${value} has no producing node`);
  return producer;
}
