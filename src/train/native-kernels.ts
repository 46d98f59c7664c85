// The optional native kernels (native/adam.c), loaded where `npm install` built them. R3AN_NATIVE=0
// forces the JS fallback (tests compare the two).
import { createRequire } from 'node:module';

export interface NativeKernels {
  /** sum += g */
  accumulate(sum: Float32Array, g: Float32Array): void;
  /** in place: g' = scale·g; m = β1·m + (1−β1)·g'; v = β2·v + (1−β2)·g'²; w −= step·m/(√v + epsHat) */
  adamUpdate(
    w: Float32Array,
    m: Float32Array,
    v: Float32Array,
    g: Float32Array,
    scale: number,
    beta1: number,
    beta2: number,
    step: number,
    epsHat: number,
  ): void;
}

let loaded: NativeKernels | null | undefined;

/** The native kernels, or null where they were not built (or R3AN_NATIVE=0). */
export function nativeKernels(): NativeKernels | null {
  if (loaded === undefined) {
    loaded = null;
    if (process.env.R3AN_NATIVE !== '0') {
      try {
        // dist/src/train → the package root
        loaded = createRequire(import.meta.url)('../../../native/build/Release/r3an_native.node') as NativeKernels;
      } catch {
        /* not built: JS fallback */
      }
    }
  }
  return loaded;
}
