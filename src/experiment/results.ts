// What an experiment is asked (ExperimentSpec) and what it produces (ExperimentResults): the types
// shared by the experiment runner, its markdown tables, the report and the CLI.
import type { DatasetOptions } from '../faces/dataset.js';
import type { TrainConfig } from '../train/config.js';
import type { TrainerRuntime } from '../train/trainers.js';
import type { Arch } from '../train/architectures.js';
import type { SpaceEval } from './evaluate.js';

export type ExperimentKind = 'table5' | 'table3' | 'demo';

export interface ExperimentSpec {
  kind: ExperimentKind;
  data: string;
  out: string;
  models: string[];
  pairs: [string, string][];
  archs: Arch[];
  dataset: DatasetOptions;
  testFraction: number;
  seed: number;
  configs: Record<string, TrainConfig>;
  backend: string;
  /** onnxruntime for training steps, where chosen */
  runtime?: TrainerRuntime;
  /** the command line, recorded with the results */
  command?: string;
  /** larger extractions of the same dataset whose rows are reused (see ensureFeatures) */
  featuresFrom?: string[];
  /** feature sets whose rows (not of test or distractor identities) join the training parts */
  trainExtra?: string[];
}

export interface ArchResult {
  eval: SpaceEval;
  trainSeconds: number;
  epochs: number;
  bestEpoch?: number;
  mapper: string;
}

export interface ExperimentResults {
  kind: ExperimentKind;
  createdAt: string;
  command?: string;
  data: string;
  dataset: Omit<DatasetOptions, 'onlyPaths'> & { onlyPaths?: number };
  split: {
    seed: number;
    testFraction: number;
    trainIdentities: number;
    testIdentities: number;
    distractorIdentities: number;
    trainImages: number;
    testImages: number;
    distractorImages: number;
    /** the extra training sets and how many rows the training part holds in all (extras included) */
    trainExtra?: { sets: string[]; trainRows: number };
  };
  backend: string;
  configs: Record<string, TrainConfig>;
  models: { id: string; dim: number; images: number; skipped: number }[];
  self: Record<string, SpaceEval>;
  pairs: { source: string; target: string; rows: Partial<Record<Arch, ArchResult>> }[];
  /** wall-clock seconds of this invocation's stages (cached stages cost ~0) */
  seconds: { extract: number; train: number; evaluate: number };
}
