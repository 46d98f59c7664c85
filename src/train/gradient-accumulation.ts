// One optimiser step over a batch that is pushed through the networks in micro-batches, so peak
// memory follows the micro-batch (wasm memory is capped at 4 GB) while the update follows the batch.
import * as tf from '@tensorflow/tfjs';

export function trainableVariables(...models: tf.LayersModel[]): tf.Variable[] {
  return models.flatMap((m) => m.trainableWeights.map((w) => w.read() as tf.Variable));
}

/** An optimiser and the names of the variables it updates (a parameter group). */
export interface ParamGroup {
  optimizer: tf.Optimizer;
  names: Set<string>;
}

/**
 * Sums gradients of `lossSum(part)` over the parts, scales by 1/total and applies them once, each
 * variable through its group's optimiser. `lossSum` must return a sum over the part's samples.
 * Returns the batch-mean loss.
 */
export function accumulateAndApply<P>(
  groups: ParamGroup[],
  vars: tf.Variable[],
  parts: P[],
  total: number,
  lossSum: (part: P) => tf.Scalar,
): number {
  let acc: tf.NamedTensorMap | undefined;
  let loss = 0;
  for (const part of parts) {
    const { value, grads } = tf.variableGrads(() => lossSum(part), vars);
    loss += value.dataSync()[0];
    value.dispose();
    if (!acc) acc = grads;
    else {
      for (const name of Object.keys(grads)) {
        const sum = tf.add(acc[name], grads[name]);
        acc[name].dispose();
        grads[name].dispose();
        acc[name] = sum;
      }
    }
  }
  if (!acc) return 0;
  const scaled: tf.NamedTensorMap = {};
  for (const v of vars) {
    const g = acc[v.name];
    if (g) {
      scaled[v.name] = tf.mul(g, 1 / total);
      g.dispose();
    }
  }
  for (const { optimizer, names } of groups) {
    const mine = Object.fromEntries(Object.entries(scaled).filter(([k]) => names.has(k)));
    if (Object.keys(mine).length) optimizer.applyGradients(mine);
  }
  tf.dispose(Object.values(scaled));
  return loss / total;
}

/** Applies gradient sums computed elsewhere (aligned with `vars`), scaled by 1/total, in one update. */
export function applyGradientSums(optimizer: tf.Optimizer, vars: tf.Variable[], sums: Float32Array[], total: number): void {
  if (!vars.length) return;
  tf.tidy(() => optimizer.applyGradients(Object.fromEntries(vars.map((v, i) => [v.name, tf.mul(tf.tensor(sums[i], v.shape), 1 / total)]))));
}
