// Closed-form ridge regression X → Y: the cheap reference every comparison gets.
// W = (XcᵀXc + λI)⁻¹ XcᵀYc on centred data, b = ȳ − x̄W. Gram products run on TF.js; the d×d solve
// runs in float64 (Cholesky), so it stays exact for the ≤ 2048-d features face models produce.
import * as tf from '@tensorflow/tfjs';
import { tidyValues } from '../core/tidy-values.js';

export interface RidgeSolution {
  weights: Float32Array;
  bias: Float32Array;
  sourceDim: number;
  targetDim: number;
}

export function fitRidge(x: Float32Array, y: Float32Array, n: number, ds: number, dt: number, lambda = 1e-2): RidgeSolution {
  if (x.length !== n * ds || y.length !== n * dt) throw new Error(`fitRidge: expected ${n}×${ds} and ${n}×${dt} matrices`);
  const [gram, cross, xMean, yMean] = tidyValues(() => {
    const X = tf.tensor2d(x, [n, ds]),
      Y = tf.tensor2d(y, [n, dt]);
    const xm = X.mean(0),
      ym = Y.mean(0);
    const Xc = X.sub(xm),
      Yc = Y.sub(ym);
    const XcT = Xc.transpose();
    return [XcT.matMul(Xc), XcT.matMul(Yc), xm, ym];
  });
  // A = gram + λ·n·I (λ scaled by n so the default means the same for any dataset size)
  const A = Float64Array.from(gram);
  for (let i = 0; i < ds; i++) A[i * ds + i] += lambda * n;
  choleskyInPlace(A, ds);
  const W = new Float64Array(ds * dt);
  const col = new Float64Array(ds);
  for (let j = 0; j < dt; j++) {
    for (let i = 0; i < ds; i++) col[i] = cross[i * dt + j];
    choleskySolveInPlace(A, ds, col);
    for (let i = 0; i < ds; i++) W[i * dt + j] = col[i];
  }
  const bias = new Float32Array(dt);
  for (let j = 0; j < dt; j++) {
    let s = yMean[j];
    for (let i = 0; i < ds; i++) s -= xMean[i] * W[i * dt + j];
    bias[j] = s;
  }
  return { weights: Float32Array.from(W), bias, sourceDim: ds, targetDim: dt };
}

/** Lower-triangular Cholesky factor of a symmetric positive-definite n×n matrix, in place (row-major). */
function choleskyInPlace(a: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0)) throw new Error('fitRidge: matrix is not positive definite (increase the ridge λ)');
    const ljj = Math.sqrt(d);
    a[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / ljj;
    }
  }
}

/** Solves L Lᵀ z = b in place for the factor left by choleskyInPlace. */
function choleskySolveInPlace(l: Float64Array, n: number, b: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i * n + k] * b[k];
    b[i] = s / l[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i];
    for (let k = i + 1; k < n; k++) s -= l[k * n + i] * b[k];
    b[i] = s / l[i * n + i];
  }
}

/** The solution as a one-layer TF.js model, so a linear mapper saves and loads like any other. */
export function ridgeModel(sol: RidgeSolution): tf.Sequential {
  const m = tf.sequential({ name: 'linear' });
  m.add(tf.layers.dense({ inputShape: [sol.sourceDim], units: sol.targetDim, name: 'linear' }));
  m.setWeights([tf.tensor2d(sol.weights, [sol.sourceDim, sol.targetDim]), tf.tensor1d(sol.bias)]);
  return m;
}
