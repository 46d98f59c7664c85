// Centred, scaled orthogonal Procrustes X → Y: Ŷ = s·(X − x̄)·W + ȳ with W (ds × dt) semi-orthogonal.
// W = U·Vᵀ from the SVD of Xcᵀ·Yc (the thin SVD is the padded square problem's solution when ds ≠ dt),
// s = Σσ / ‖Xc‖². A rotation (plus scale) keeps the source's geometry, which is what two face models
// trained on similar data mostly differ by; it has no λ to tune and cannot overfit a small gallery.
import * as tf from '@tensorflow/tfjs';
import { tidyValues } from '../core/tidy-values.js';
import { Matrix, SingularValueDecomposition } from 'ml-matrix';
import type { RidgeSolution } from './linear.js';

export function fitProcrustes(x: Float32Array, y: Float32Array, n: number, ds: number, dt: number): RidgeSolution {
  if (x.length !== n * ds || y.length !== n * dt) throw new Error(`fitProcrustes: expected ${n}×${ds} and ${n}×${dt} matrices`);
  const [cross, xMean, yMean, xNorm2v] = tidyValues(() => {
    const X = tf.tensor2d(x, [n, ds]),
      Y = tf.tensor2d(y, [n, dt]);
    const xm = X.mean(0),
      ym = Y.mean(0);
    const Xc = X.sub(xm);
    return [Xc.transpose().matMul(Y.sub(ym)), xm, ym, Xc.square().sum()];
  });
  const xNorm2 = xNorm2v[0];
  const M = new Matrix(ds, dt);
  for (let i = 0; i < ds; i++) for (let j = 0; j < dt; j++) M.set(i, j, cross[i * dt + j]);
  const svd = new SingularValueDecomposition(M, { autoTranspose: true });
  const U = svd.leftSingularVectors,
    V = svd.rightSingularVectors,
    sigma = svd.diagonal;
  const k = Math.min(ds, dt);
  const scale = xNorm2 > 0 ? sigma.slice(0, k).reduce((a, b) => a + b, 0) / xNorm2 : 0;
  const W = new Float64Array(ds * dt);
  for (let i = 0; i < ds; i++)
    for (let j = 0; j < dt; j++) {
      let s = 0;
      for (let c = 0; c < k; c++) s += U.get(i, c) * V.get(j, c);
      W[i * dt + j] = scale * s;
    }
  const bias = new Float32Array(dt);
  for (let j = 0; j < dt; j++) {
    let s = yMean[j];
    for (let i = 0; i < ds; i++) s -= xMean[i] * W[i * dt + j];
    bias[j] = s;
  }
  if (!W.every(Number.isFinite) || !bias.every(Number.isFinite))
    throw new Error('fitProcrustes: the solution is not finite (degenerate features?)');
  return { weights: Float32Array.from(W), bias, sourceDim: ds, targetDim: dt };
}
