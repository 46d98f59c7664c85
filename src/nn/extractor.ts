// Extractor E: a 3×56×56 face → a target-space feature (N, dt), MobileNetV2 inverted residuals
// (expansion 6, depthwise 3×3, ReLU6). Sizes from the paper: 32×28×28, 64×14×14, 96×14×14,
// 160×7×7, 320×7×7, 1×1 conv 1280×7×7, average pool, FC to dt.
import * as tf from '@tensorflow/tfjs';
import { FACE_SIZE } from '../core/face-size.js';
import { BN_MOMENTUM, glorot, heNormal, normal, type SeedStream } from './init.js';

export const EXPANSION = 6;
/** [output channels, stride] per bottleneck. */
export const EXTRACTOR_BOTTLENECKS: ReadonlyArray<readonly [number, number]> = [
  [32, 2],
  [64, 2],
  [96, 1],
  [160, 2],
  [320, 1],
];
export const EXTRACTOR_HEAD_CHANNELS = 1280;

function bottleneck(x: tf.SymbolicTensor, cin: number, cout: number, stride: number, name: string, seeds: SeedStream): tf.SymbolicTensor {
  const relu6 = (n: string) => tf.layers.reLU({ maxValue: 6, name: `${name}_${n}` });
  let h = tf.layers
    .conv2d({ filters: cin * EXPANSION, kernelSize: 1, useBias: false, kernelInitializer: heNormal(seeds), name: `${name}_expand` })
    .apply(x) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization({ momentum: BN_MOMENTUM, name: `${name}_expand_bn` }).apply(h) as tf.SymbolicTensor;
  h = relu6('expand_relu6').apply(h) as tf.SymbolicTensor;
  h = tf.layers
    .depthwiseConv2d({
      kernelSize: 3,
      strides: stride,
      padding: 'same',
      useBias: false,
      depthwiseInitializer: heNormal(seeds),
      name: `${name}_dw`,
    })
    .apply(h) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization({ momentum: BN_MOMENTUM, name: `${name}_dw_bn` }).apply(h) as tf.SymbolicTensor;
  h = relu6('dw_relu6').apply(h) as tf.SymbolicTensor;
  h = tf.layers
    .conv2d({ filters: cout, kernelSize: 1, useBias: false, kernelInitializer: glorot(seeds), name: `${name}_project` })
    .apply(h) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization({ momentum: BN_MOMENTUM, name: `${name}_project_bn` }).apply(h) as tf.SymbolicTensor;
  if (stride === 1 && cin === cout) h = tf.layers.add({ name: `${name}_residual` }).apply([x, h]) as tf.SymbolicTensor;
  return h;
}

export function buildExtractor(targetDim: number, seeds: SeedStream): tf.LayersModel {
  const input = tf.input({ shape: [FACE_SIZE, FACE_SIZE, 3], name: 'e_input' });
  let x: tf.SymbolicTensor = input;
  let cin = 3;
  EXTRACTOR_BOTTLENECKS.forEach(([cout, stride], i) => {
    x = bottleneck(x, cin, cout, stride, `e_conv${i + 1}`, seeds);
    cin = cout;
  });
  x = tf.layers
    .conv2d({ filters: EXTRACTOR_HEAD_CHANNELS, kernelSize: 1, useBias: false, kernelInitializer: heNormal(seeds), name: 'e_conv6' })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ momentum: BN_MOMENTUM, name: 'e_conv6_bn' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU({ maxValue: 6, name: 'e_conv6_relu6' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: 'e_pool' }).apply(x) as tf.SymbolicTensor;
  // N(0, 0.01) as torchvision's MobileNetV2: Glorot gave ≈ 0.5 RMS outputs, far above a standardised
  // target's identity signal, and Adam's first steps then only chased that offset
  x = tf.layers.dense({ units: targetDim, kernelInitializer: normal(seeds, 0.01), name: 'e_fc' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name: 'extractor' });
}
