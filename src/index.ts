// The package's public surface: the engine, tensors, errors and the op vocabulary.
export { createEngine, Engine } from './engine.js';
export type { ActiveCountOptions, ActiveCounts, BatchNormOptions, BatchNormResult, EngineOptions } from './engine-options.js';
export type { AdamUpdateOptions, SgdUpdateOptions } from './engine-options.js';
export type { LossResult, MatmulOptions, PoolingOptions } from './engine-options.js';
export type { ConvolutionBackwardFilterOptions, ConvolutionBackwardInputOptions, ConvolutionOptions } from './engine-options.js';
export { Tensor } from './tensor.js';
export type { TypedArrayFor } from './tensor.js';
export type { DType, Shape } from './tensor-meta.js';
export { BackendUnavailableError, DisposedTensorError, EngineError, ShaderCompileError, ShapeError } from './errors.js';
export type { BackendKind } from './backend/backend.js';
export type { Backend, DeviceBuffer, KernelVariant, PreparedKernel, PreparedOp } from './backend/backend.js';
export type { BinaryOp, NodeStatistic, OpName, PoolMode, ReduceOp } from './ops/defs.js';
export { detectRuntime } from './platform/runtime.js';
export type { RuntimeName } from './platform/runtime.js';
export { Random } from './random.js';
export { assertClose, compareArrays } from './check/compare.js';
export type { Comparison, Tolerance } from './check/compare.js';
export { referenceKernels, referenceOp } from './reference/index.js';
export type { HostArray, ReferenceKernel } from './reference/table.js';
export { opSpecs } from './ops/specs.js';
export { selfCheck } from './check/selfcheck.js';
export type { SelfCheckOptions, SelfCheckRow } from './check/selfcheck.js';
export {
  SafetensorsError,
  StateDictError,
  checkStateDict,
  halfToFloatBits,
  parseSafetensors,
  serializeSafetensors,
} from './io/safetensors.js';
export type { FoundShapes, SafetensorsDType, SafetensorsFile, SafetensorsInput, SafetensorsTensor } from './io/safetensors.js';
export {
  calculateGain,
  defaultBiasInit,
  defaultWeightInit,
  fanInAndFanOut,
  kaimingNormal,
  kaimingUniform,
  xavierNormal,
  xavierUniform,
} from './nn/init.js';
export type { Fans, KaimingOptions, Nonlinearity, XavierOptions } from './nn/init.js';
export {
  nn,
  emitLoss,
  emitOptimizer,
  initialStateDict,
  initialValues,
  layerShapes,
  namedParameters,
  counterNames,
  resolveGroups,
} from './nn/index.js';
export type {
  BatchNormLayerOptions,
  Conv2dOptions,
  InitialTensor,
  LinearOptions,
  NamedParameter,
  Pair,
  Pool2dOptions,
} from './nn/index.js';
export type {
  GroupSettings,
  InitName,
  InitOptions,
  Layer,
  LayerForward,
  LossGraph,
  LossName,
  Mode,
  OptimizerOptions,
  ParameterGroup,
  ParameterSpec,
  ParameterUpdate,
  ResolvedGroup,
  Sequential,
} from './nn/types.js';
export { data } from './data/index.js';
export { Dataset } from './data/dataset.js';
export type { Batch, BatchOptions, Normalization } from './data/dataset.js';
export type { ChannelStatistics, DatasetName, Split } from './data/catalog.js';
export type { FromFilesOptions, LoadOptions } from './data/load.js';
export type { DownloadOptions, DownloadProgress } from './data/download.js';
export { DataError } from './data/errors.js';
export { parseIdx, parseIdxImages, parseIdxLabels, IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC } from './data/idx.js';
export type { IdxArray } from './data/idx.js';
export { parseCifar10Batch, CIFAR10_RECORD_BYTES } from './data/cifar.js';
export type { Cifar10Batch } from './data/cifar.js';
export { gunzipIfNeeded, isGzip } from './data/gzip.js';
export { createGraph, coreHasRule } from './autodiff/core.js';
export type { GraphBuilder, NodeId, NodeInfo, Program, ProgramSlot, ProgramStep, ValueId, ValueInfo, ValueKind } from './autodiff/types.js';
export { attrLayouts, decodeAttrs, encodeAttrs } from './autodiff/attrs.js';
export { gradientKinds } from './autodiff/differentiable.js';
export type { GradientKind } from './autodiff/differentiable.js';
export { evaluateProgram } from './autodiff/evaluate.js';
export { bindProgram, scheduleProgram } from './autodiff/execute.js';
export type { BoundProgram, ScheduledProgram } from './autodiff/execute.js';
export { compileNet, NetBlueprint } from './nn/compile.js';
export type { BuiltProgram, CompileOptions, ProgramKind } from './nn/compile.js';
export { Net } from './nn/net.js';
export type { Activations, Evaluation, LayerActivation, LossAndGradients, NetParameter, Targets } from './nn/net.js';
export { fit, evaluateDataset } from './nn/fit.js';
export type { EpochDecision, EpochReport, FitOptions, StepProgress } from './nn/fit.js';
export { NonFiniteLossError } from './nn/errors.js';
export { CheckpointError, CHECKPOINT_FORMAT, CHECKPOINT_VERSION } from './nn/checkpoint-file.js';
export type { NonFiniteDiagnosis } from './nn/errors.js';
export { emergence } from './emergence/index.js';
export type {
  BlockMember,
  EmergenceInitOptions,
  InitBase,
  InitBlockReport,
  InitLayerReport,
  InitReport,
  WeightLayer,
} from './emergence/init.js';
export type { GradientBatch, LayerRate, LayerRateOptions, LayerRates } from './emergence/learning-rates.js';
export type { EmergenceMeasurement, MeasureConvention, MeasureOptions, MeasuredLayer } from './emergence/measure.js';
export type { EmergenceStopRule, TrackFigures, TrackOptions, TrackRow } from './emergence/track.js';
export type {
  LayerNodeCount,
  NodePruneOptions,
  NodePruneReport,
  NodeRanking,
  ParameterCount,
  ParameterCounts,
  PruneBase,
  PrunedTensor,
  PruneOptions,
  PruneReport,
  PruneScope,
} from './emergence/prune.js';
export type { BalanceLayer, NodeCount, RelativeEmergence } from './emergence/value.js';
export { runCli, CLI_USAGE, EXIT_INTERRUPTED } from './cli/index.js';
export type { CliIo } from './cli/index.js';
export { referenceModel, REFERENCE_MODELS, REFERENCE_INPUT_SHAPE } from './cli/models.js';
export type { ReferenceModelName } from './cli/models.js';
export { experiments } from './experiments/index.js';
export { ExperimentInterrupted } from './experiments/context.js';
export { nodeRunFiles } from './experiments/run-files.js';
export { writeReport, ReportInputError } from './report/index.js';
export type { WrittenReport } from './report/index.js';
export { metricsToCsv, parseMetricsCsv } from './report/metrics-csv.js';
export { defaultPlots, plotData, renderPlot } from './report/plots.js';
export type { PlotData, PlotPoint, RenderedPlot } from './report/plots.js';
export type { RunOptions } from './experiments/runner.js';
export type {
  ExperimentContext,
  ExperimentDefinition,
  ExperimentOutcome,
  ExperimentSettings,
  MetricsRow,
  PaperComparison,
  PlotSpec,
  ResultTable,
  RunConfig,
  RunConvention,
  RunFiles,
  RunResults,
  Scale,
  Statistic,
  TrainRunOptions,
  TrainRunResult,
} from './experiments/types.js';
export { playground } from './playground/index.js';
export type {
  PlaygroundDone,
  PlaygroundEpoch,
  PlaygroundEvent,
  PlaygroundHistory,
  PlaygroundLayer,
  PlaygroundLosses,
  PlaygroundMeasure,
  PlaygroundPrune,
  PlaygroundRunOptions,
  PlaygroundSettings,
  PlaygroundStart,
  PlaygroundDataFile,
  PlaygroundDataIndex,
} from './playground/types.js';
export type { ServeOptions, PlaygroundServer } from './playground/server.js';
export type { StaticSite, StaticSiteOptions } from './playground/static-site.js';
export type { LiveHistory } from './playground/history.js';
