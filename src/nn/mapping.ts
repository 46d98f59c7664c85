// The run-time mapping as one TF.js model: E(G(X)) for the R³AN family, the MLP, or G alone (the
// face a feature reconstructs), between the frozen standardisation layers the training used.
import * as tf from '@tensorflow/tfjs';
import { applyStandardisation, type FeatureStats } from './standardise.js';

/**
 * What the networks were trained on: X standardised with `x`, Y with `y` (either may be absent); with
 * `base` (R³AN-res), Y was the residual Y − base(X), and the mapping adds base(X) back.
 */
export interface MappingStats {
  x?: FeatureStats;
  y?: FeatureStats;
  base?: tf.LayersModel;
}

/** input → (X − μx)/σx → models in turn → ·σy + μy. Layers of the given models are shared, not copied. */
export function composeMapping(models: tf.LayersModel[], stats: MappingStats = {}, name = 'r3an_mapping'): tf.LayersModel {
  const input = tf.input({ shape: models[0].inputs[0].shape.slice(1) as number[], name: 'source_feature' });
  let h: tf.SymbolicTensor = stats.x ? applyStandardisation(input, stats.x, 'in', 'standardise_x') : input;
  for (const m of models) h = m.apply(h) as tf.SymbolicTensor;
  if (stats.y) h = applyStandardisation(h, stats.y, 'out', 'unstandardise_y');
  if (stats.base) h = tf.layers.add({ name: 'residual_sum' }).apply([stats.base.apply(input) as tf.SymbolicTensor, h]) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: h, name });
}
