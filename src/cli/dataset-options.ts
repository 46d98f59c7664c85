// The dataset-selection options shared by `extract`, `experiment` and `demo`.
import type { DatasetOptions } from '../faces/dataset.js';
import { lfwPairImagePaths } from '../eval/lfw-pairs.js';
import { intOption, type OptionSpec } from './args.js';

export const DATASET_OPTIONS: OptionSpec = {
  limit: { type: 'string' },
  'per-identity': { type: 'string' },
  'min-per-identity': { type: 'string' },
  pairs: { type: 'string' },
};

export const DATASET_HELP = `  --limit N          only the first N images (in identity, file-name order)
  --per-identity N   at most N images per identity
  --min-per-identity N   only identities with at least N images
  --pairs FILE       only the images an LFW-style pairs file names (LFW's pairs.txt: 7,701 images)`;

export function datasetFromArgs(values: Record<string, unknown>): DatasetOptions {
  return {
    limit: intOption(values, 'limit'),
    perIdentity: intOption(values, 'per-identity'),
    minPerIdentity: intOption(values, 'min-per-identity'),
    onlyPaths: values.pairs ? lfwPairImagePaths(values.pairs as string) : undefined,
  };
}
