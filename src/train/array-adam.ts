// Adam for gradients that arrive as arrays (the onnxruntime training graphs): the update TF.js's
// AdamOptimizer applies, as one pass per variable over Float32Arrays — in r3an's native kernel where
// it was built, else in JS — instead of about ten TF.js kernels per variable that each allocate. The
// moments are arrays too. Its saved state has TF.js's format and names ('iter', '<var>/m', '<var>/v';
// accBeta1/accBeta2 as scalar variables), so a checkpoint resumes under either optimiser.
import * as tf from '@tensorflow/tfjs';
import { nativeKernels, type NativeKernels } from './native-kernels.js';

type NamedTensor = Awaited<ReturnType<tf.Optimizer['getWeights']>>[number];
export interface Moments {
  name: string;
  m: Float32Array;
  v: Float32Array;
}

/** The JS fallback of the native kernels: the same arithmetic. */
export const JS_KERNELS: NativeKernels = {
  accumulate(sum, g) {
    for (let j = 0; j < sum.length; j++) sum[j] += g[j];
  },
  adamUpdate(w, m, v, g, scale, b1, b2, step, epsHat) {
    const a1 = 1 - b1,
      a2 = 1 - b2;
    for (let j = 0; j < w.length; j++) {
      const gj = g[j] * scale;
      const mj = m[j] * b1 + gj * a1;
      const vj = v[j] * b2 + gj * gj * a2;
      m[j] = mj;
      v[j] = vj;
      w[j] -= (step * mj) / (Math.sqrt(vj) + epsHat);
    }
  },
};

/** The kernels array-held training uses: the native ones where built, else JS_KERNELS. */
export const arrayKernels = (): NativeKernels => nativeKernels() ?? JS_KERNELS;

/** `instanceof` cannot tell: tf.Optimizer's Symbol.hasInstance accepts any object with its three methods. */
export const isArrayAdam = (o: tf.Optimizer): o is ArrayAdam => typeof (o as Partial<ArrayAdam>).applyArrays === 'function';

export class ArrayAdam extends tf.Optimizer {
  static get className(): string {
    return 'Adam';
  }
  /** β1^t and β2^t of the next step as TF.js keeps them (float32 running products, saved by checkpoints) */
  readonly accBeta1: tf.Variable;
  readonly accBeta2: tf.Variable;
  private moments: Moments[] = [];
  readonly kernels: NativeKernels;

  constructor(
    readonly learningRate: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = tf.backend().epsilon(),
    kernels?: NativeKernels,
  ) {
    super();
    this.accBeta1 = tf.scalar(beta1).variable(false);
    this.accBeta2 = tf.scalar(beta2).variable(false);
    this.kernels = kernels ?? arrayKernels();
  }

  /** Whether the update runs in the native kernel. */
  get native(): boolean {
    return this.kernels !== JS_KERNELS;
  }

  /**
   * One Adam step on `vars` with gradients `grads[i]·scale` (aligned with vars). `weights[i]` must hold
   * vars[i]'s current values: it is updated in place, and the caller writes it to the variable (the
   * onnxruntime trainer does so only when TF.js next reads it).
   */
  applyArrays(vars: tf.Variable[], grads: Float32Array[], scale: number, weights: Float32Array[]): void {
    const { step, epsHat } = this.stepConstants();
    const moments = this.momentsOf(vars);
    vars.forEach((variable, i) => {
      const w = weights[i],
        g = grads[i];
      if (w.length !== variable.size || g.length !== variable.size)
        throw new Error(`Adam: ${variable.name} has ${variable.size} values, got ${w.length} weights and ${g.length} gradients`);
      this.kernels.adamUpdate(w, moments[i].m, moments[i].v, g, scale, this.beta1, this.beta2, step, epsHat);
    });
    this.advance();
  }

  /**
   * The next step's constants: TF.js's w −= lr·(m/c1)/(√(v/c2) + ε), c = 1 − β^t, is
   * w −= step·m/(√v + epsHat) with step = lr·√c2/c1 and epsHat = ε·√c2 (one division).
   */
  stepConstants(): { step: number; epsHat: number } {
    const c1 = 1 - this.accBeta1.dataSync()[0],
      c2 = 1 - this.accBeta2.dataSync()[0];
    return { step: (this.learningRate * Math.sqrt(c2)) / c1, epsHat: this.epsilon * Math.sqrt(c2) };
  }

  /** The first and second moments of `vars` (aligned, zeros before their first step), to update in place. */
  momentsOf(vars: tf.Variable[]): Moments[] {
    return vars.map((variable, i) => {
      const mo = (this.moments[i] ??= { name: variable.name, m: new Float32Array(variable.size), v: new Float32Array(variable.size) });
      if (mo.m.length !== variable.size) throw new Error(`Adam: moments of ${mo.name} do not fit ${variable.name}`);
      return mo;
    });
  }

  /** Ends a step whose update was applied elsewhere (an onnxruntime graph): β products and the step count. */
  advance(): void {
    tf.tidy(() => {
      this.accBeta1.assign(tf.mul(this.accBeta1, this.beta1));
      this.accBeta2.assign(tf.mul(this.accBeta2, this.beta2));
    });
    this.incrementIterations();
  }

  /** The TF.js interface: gradients as tensors, weights read from the variables. */
  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const named = Array.isArray(variableGradients)
      ? variableGradients
      : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    const vars = named.map(({ name }) => {
      const v = tf.engine().registeredVariables[name];
      if (!v) throw new Error(`Adam: no variable named ${name}`);
      return v;
    });
    const weights = vars.map((v) => Float32Array.from(v.dataSync() as Float32Array));
    this.applyArrays(
      vars,
      named.map((n) => n.tensor.dataSync() as Float32Array),
      1,
      weights,
    );
    tf.tidy(() => vars.forEach((v, i) => v.assign(tf.tensor(weights[i], v.shape))));
  }

  async getWeights(): Promise<NamedTensor[]> {
    return [
      await this.saveIterations(),
      ...this.moments.map((mo) => ({ name: `${mo.name}/m`, tensor: tf.tensor(mo.m) })),
      ...this.moments.map((mo) => ({ name: `${mo.name}/v`, tensor: tf.tensor(mo.v) })),
    ];
  }

  async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    tf.tidy(() => {
      this.accBeta1.assign(tf.pow(this.beta1, this.iterations + 1));
      this.accBeta2.assign(tf.pow(this.beta2, this.iterations + 1));
    });
    const k = rest.length / 2;
    this.moments = rest.slice(0, k).map((mw, i) => ({
      name: mw.name.replace(/\/m$/, ''),
      m: Float32Array.from(mw.tensor.dataSync() as Float32Array),
      v: Float32Array.from(rest[k + i].tensor.dataSync() as Float32Array),
    }));
  }

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }

  dispose(): void {
    this.accBeta1.dispose();
    this.accBeta2.dispose();
    this.moments = [];
  }
}
