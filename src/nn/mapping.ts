// The run-time mapping as one TF.js model: E(G(X)) for the R³AN family, the MLP or ridge layer otherwise.
import * as tf from '@tensorflow/tfjs';

export function composeMapping(generator: tf.LayersModel, extractor: tf.LayersModel): tf.LayersModel {
  const input = tf.input({ shape: generator.inputs[0].shape.slice(1) as number[], name: 'source_feature' });
  const face = generator.apply(input) as tf.SymbolicTensor;
  const feature = extractor.apply(face) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: feature, name: 'r3an_mapping' });
}
