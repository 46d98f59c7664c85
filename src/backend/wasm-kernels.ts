// Kernels for @tensorflow/tfjs-backend-wasm 4.22 that make training possible and fast.
//  - adds the three gradient kernels the wasm backend lacks (Conv2DBackpropFilter,
//    DepthwiseConv2dNativeBackpropFilter, DepthwiseConv2dNativeBackpropInput);
//  - optionally replaces slow ones (naive Conv2DBackpropInput, BatchMatMul with transpose flags, Tile).
// Everything is composed from XNNPACK-backed wasm kernels (non-transposed BatchMatMul, Conv2D,
// DepthwiseConv2dNative, PadV2, ...), so results match the reference `cpu` backend to float tolerance.
import * as tf from '@tensorflow/tfjs';

const BACKEND = 'wasm';
type TensorInfo = tf.TensorInfo;
// The wasm backend object; only disposeData is used here.
interface KernelBackend {
  disposeData(dataId: object, force?: boolean): boolean;
}
type KernelArgs = { inputs: Record<string, TensorInfo>; backend: KernelBackend; attrs: Record<string, any> };
type Kernel = (args: KernelArgs) => TensorInfo;
// The wasm backend's heap accessors, for kernels written as plain loops.
interface HeapBackend {
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  makeOutput(shape: number[], dtype: 'float32'): TensorInfo;
}

/** The wasm backend's own kernels, captured before any replacement so compositions call the originals. */
const original: Record<string, Kernel> = {};

function kernelOf(name: string): Kernel {
  const own = original[name];
  if (own) return own;
  const k = tf.getKernel(name, BACKEND);
  if (!k) throw new Error(`wasm backend has no kernel ${name}`);
  return k.kernelFunc as unknown as Kernel;
}

/** A scratch context: every intermediate it creates is freed by done(), except the kept result. */
function scratch(backend: KernelBackend) {
  const temps: TensorInfo[] = [];
  const k = (name: string, inputs: Record<string, TensorInfo> | TensorInfo[], attrs: Record<string, any> = {}): TensorInfo => {
    const out = kernelOf(name)({ inputs: inputs as Record<string, TensorInfo>, backend, attrs });
    temps.push(out);
    return out;
  };
  const free = (...ts: TensorInfo[]) => {
    for (const t of ts) {
      const i = temps.indexOf(t);
      if (i >= 0) {
        temps.splice(i, 1);
        backend.disposeData(t.dataId);
      }
    }
  };
  const track = (t: TensorInfo) => {
    temps.push(t);
    return t;
  };
  const done = (keep: TensorInfo) => {
    for (const t of temps) if (t !== keep) backend.disposeData(t.dataId);
    return keep;
  };
  const reshape = (x: TensorInfo, shape: number[]) => k('Reshape', { x }, { shape });
  const transpose2d = (x: TensorInfo) => k('Transpose', { x }, { perm: [1, 0] });
  // C = A·B on the fast non-transposed XNNPACK path.
  const matmul = (a: TensorInfo, b: TensorInfo) => k('BatchMatMul', { a, b }, { transposeA: false, transposeB: false });
  const padSpatial = (x: TensorInfo, t: number, b: number, l: number, r: number) =>
    !t && !b && !l && !r
      ? x
      : k(
          'PadV2',
          { x },
          {
            paddings: [
              [0, 0],
              [t, b],
              [l, r],
              [0, 0],
            ],
            constantValue: 0,
          },
        );
  // Zero-insert by strides, [N,H,W,C] -> [N,H*sH,W*sW,C] (trailing zeros kept). A 6-D PadV2 is fast in wasm.
  const zeroInsert = (x: TensorInfo, sH: number, sW: number) => {
    if (sH === 1 && sW === 1) return x;
    const [N, H, W, C] = x.shape;
    const p = k(
      'PadV2',
      { x: reshape(x, [N, H, 1, W, 1, C]) },
      {
        paddings: [
          [0, 0],
          [0, 0],
          [0, sH - 1],
          [0, 0],
          [0, sW - 1],
          [0, 0],
        ],
        constantValue: 0,
      },
    );
    return reshape(p, [N, H * sH, W * sW, C]);
  };
  // Zero-insert and drop the trailing zeros: [N,(H-1)sH+1,(W-1)sW+1,C].
  const dilate = (x: TensorInfo, sH: number, sW: number) => {
    if (sH === 1 && sW === 1) return x;
    const [N, H, W, C] = x.shape;
    return k('Slice', { x: zeroInsert(x, sH, sW) }, { begin: [0, 0, 0, 0], size: [N, (H - 1) * sH + 1, (W - 1) * sW + 1, C] });
  };
  return { k, free, track, done, reshape, transpose2d, matmul, padSpatial, zeroInsert, dilate };
}

function convInfo(xShape: number[], fShape: number[], strides: any, dilations: any, pad: any, rounding: any, depthwise: boolean) {
  const ci = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    fShape as [number, number, number, number],
    strides,
    dilations ?? 1,
    pad,
    rounding,
    depthwise,
    'channelsLast',
  );
  if (ci.dilationHeight !== 1 || ci.dilationWidth !== 1) throw new Error('r3an wasm kernels: dilations > 1 are not supported');
  return ci;
}

function requireNHWC(dataFormat: string | undefined) {
  if (dataFormat && dataFormat !== 'NHWC') throw new Error(`r3an wasm kernels: only NHWC is supported, got ${dataFormat}`);
}

interface PatchGeometry {
  N: number;
  H: number;
  W: number;
  Ho: number;
  Wo: number;
  KH: number;
  KW: number;
  sH: number;
  sW: number;
  top: number;
  left: number;
}

/**
 * Every (output position m, input pixel, kernel tap) of a convolution whose tap falls inside the
 * input: the shared walk of im2col (gather) and col2im (scatter-add). pixel = (n·H + ih)·W + iw, tap = kh·KW + kw.
 */
function forEachTap(g: PatchGeometry, visit: (m: number, pixel: number, tap: number) => void): void {
  for (let n = 0; n < g.N; n++)
    for (let oh = 0; oh < g.Ho; oh++)
      for (let kh = 0; kh < g.KH; kh++) {
        const ih = oh * g.sH + kh - g.top;
        if (ih < 0 || ih >= g.H) continue;
        for (let ow = 0; ow < g.Wo; ow++) {
          const m = (n * g.Ho + oh) * g.Wo + ow;
          for (let kw = 0; kw < g.KW; kw++) {
            const iw = ow * g.sW + kw - g.left;
            if (iw < 0 || iw >= g.W) continue;
            visit(m, (n * g.H + ih) * g.W + iw, kh * g.KW + kw);
          }
        }
      }
}

// dW[kh,kw] = pad(x)^T · shift_{kh,kw}(dilated dy): padding and plain matmuls, no strided slicing.
const conv2DBackpropFilter: Kernel = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs;
  requireNHWC(attrs.dataFormat);
  const c = convInfo(x.shape, attrs.filterShape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false);
  const [N, H, W, Ci] = x.shape;
  const [KH, KW, , Co] = attrs.filterShape as number[];
  const { top, left } = c.padInfo;
  const Ho = c.outHeight,
    Wo = c.outWidth,
    sH = c.strideHeight,
    sW = c.strideWidth;
  const s = scratch(backend);
  let dw: TensorInfo;
  if (KH === 1 && KW === 1 && sH === 1 && sW === 1 && top === 0 && left === 0) {
    const cols = s.reshape(x, [N * Ho * Wo, Ci]),
      g = s.reshape(dy, [N * Ho * Wo, Co]);
    // The wasm matmul repacks its right operand whenever that tensor is new (~40 ns/value, 2.4× a
    // transpose): keep the narrower of x and dy on the right, transpose the wider one.
    dw = Ci <= Co ? s.transpose2d(s.matmul(s.transpose2d(g), cols)) : s.matmul(s.transpose2d(cols), g);
  } else {
    // im2col, built transposed ([KH·KW·Ci, N·Ho·Wo]) by a plain loop on the heap, then one NN matmul with dy.
    const M = N * Ho * Wo,
      K = KH * KW * Ci;
    const heap = backend as unknown as HeapBackend;
    const colsT = heap.makeOutput([K, M], 'float32');
    s.track(colsT);
    // views on the wasm heap only after the allocation: growing the memory detaches older views
    const xv = heap.typedArrayFromHeap(x) as Float32Array,
      cv = heap.typedArrayFromHeap(colsT) as Float32Array;
    cv.fill(0);
    forEachTap({ N, H, W, Ho, Wo, KH, KW, sH, sW, top, left }, (m, pixel, tap) => {
      const xBase = pixel * Ci,
        kBase = tap * Ci;
      for (let ci = 0; ci < Ci; ci++) cv[(kBase + ci) * M + m] = xv[xBase + ci];
    });
    dw = s.matmul(colsT, s.reshape(dy, [M, Co]));
  }
  return s.done(s.reshape(dw, [KH, KW, Ci, Co]));
};

// dx = conv2d(zero-inserted, padded dy; spatially flipped filter with in/out swapped), on XNNPACK's conv.
const conv2DBackpropInputViaConv: Kernel = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs;
  const c = convInfo(attrs.inputShape, filter.shape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false);
  const [N, H, W] = attrs.inputShape as number[];
  const [KH, KW, , Co] = filter.shape;
  const { top, left } = c.padInfo;
  const s = scratch(backend);
  let d = s.zeroInsert(dy, c.strideHeight, c.strideWidth);
  const DH = d.shape[1],
    DW = d.shape[2];
  const pt = KH - 1 - top,
    pl = KW - 1 - left;
  const pb = H + KH - 1 - pt - DH,
    pr = W + KW - 1 - pl - DW;
  const ct = Math.max(0, -pt),
    cl = Math.max(0, -pl),
    cb = Math.max(0, -pb),
    cr = Math.max(0, -pr);
  if (ct || cl || cb || cr) d = s.k('Slice', { x: d }, { begin: [0, ct, cl, 0], size: [N, DH - ct - cb, DW - cl - cr, Co] });
  const dp = s.padSpatial(d, Math.max(0, pt), Math.max(0, pb), Math.max(0, pl), Math.max(0, pr));
  const wf = s.k('Transpose', { x: s.k('Reverse', { x: filter }, { dims: [0, 1] }) }, { perm: [0, 1, 3, 2] });
  return s.done(s.k('Conv2D', { x: dp, filter: wf }, { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1] }));
};

// dx via one matmul, cols[m, (kh,kw,ci)] = Σ_co dy[m, co]·W[kh,kw,ci,co], then col2im: a loop on the wasm
// heap adding each column block into its output pixel. Best for 1×1 kernels and tiny maps. The matmul
// is arranged so the smaller operand is the one transposed: with few rows (M < K) it computes colsᵀ =
// W·dyᵀ, transposing dy (M·Co values) instead of the filter (K·Co values, 4 M for the generator's first layer).
const conv2DBackpropInputCol2im: Kernel = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs;
  requireNHWC(attrs.dataFormat);
  const c = convInfo(attrs.inputShape, filter.shape, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, false);
  const [N, H, W, Ci] = attrs.inputShape as number[];
  const [KH, KW, , Co] = filter.shape;
  const { top, left } = c.padInfo;
  const Ho = dy.shape[1],
    Wo = dy.shape[2],
    sH = c.strideHeight,
    sW = c.strideWidth;
  const M = N * Ho * Wo,
    K = KH * KW * Ci;
  const s = scratch(backend);
  const dy2 = s.reshape(dy, [M, Co]);
  const transposed = M < K;
  const cols = transposed
    ? s.matmul(s.reshape(filter, [K, Co]), s.transpose2d(dy2)) // [K, M]
    : s.matmul(dy2, s.reshape(s.k('Transpose', { x: filter }, { perm: [3, 0, 1, 2] }), [Co, K])); // [M, K]
  const pointwise = KH === 1 && KW === 1 && sH === 1 && sW === 1 && top === 0 && left === 0 && Ho === H && Wo === W;
  const fromPixel = Ho === 1 && Wo === 1 && top === 0 && left === 0 && KH === H && KW === W;
  if (pointwise || fromPixel) return s.done(s.reshape(transposed ? s.transpose2d(cols) : cols, [N, H, W, Ci]));
  const heap = backend as unknown as HeapBackend;
  const out = heap.makeOutput([N, H, W, Ci], 'float32');
  // views on the wasm heap only after the allocation: growing the memory detaches older views
  const cv = heap.typedArrayFromHeap(cols) as Float32Array,
    ov = heap.typedArrayFromHeap(out) as Float32Array;
  ov.fill(0);
  forEachTap({ N, H, W, Ho, Wo, KH, KW, sH, sW, top, left }, (m, pixel, tap) => {
    const dst = pixel * Ci,
      k0 = tap * Ci;
    if (transposed) for (let ci = 0; ci < Ci; ci++) ov[dst + ci] += cv[(k0 + ci) * M + m];
    else {
      const src = m * K + k0;
      for (let ci = 0; ci < Ci; ci++) ov[dst + ci] += cv[src + ci];
    }
  });
  return s.done(out);
};

const conv2DBackpropInput: Kernel = (args) => {
  const { dy, filter } = args.inputs;
  const [, H, W] = args.attrs.inputShape as number[];
  const pointwise = filter.shape[0] === 1 && filter.shape[1] === 1;
  const outPixels = dy.shape[1] * dy.shape[2];
  // Measured: the conv route wins once the output map is not tiny; col2im wins for 1×1 kernels and few pixels.
  const viaConv = !pointwise && H * W <= 4 * outPixels && outPixels > 16;
  return viaConv ? conv2DBackpropInputViaConv(args) : conv2DBackpropInputCol2im(args);
};

// Direct loops over the wasm heap: dW[kh,kw,c] = Σ_{n,oh,ow} x[n, oh·s+kh−top, ow·s+kw−left, c] · dy[n,oh,ow,c].
// Channel-innermost loops stay contiguous in NHWC; measured ~40× faster than composing wasm kernels.
const depthwiseBackpropFilter: Kernel = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs;
  const [KH, KW, C, mult] = attrs.filterShape as number[];
  if (mult !== 1) throw new Error('r3an wasm kernels: depthwise channel multiplier must be 1');
  const c = convInfo(x.shape, attrs.filterShape, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, true);
  const [N, H, W] = x.shape;
  const { top, left } = c.padInfo;
  const Ho = c.outHeight,
    Wo = c.outWidth,
    sH = c.strideHeight,
    sW = c.strideWidth;
  const heap = backend as unknown as HeapBackend;
  const xv = heap.typedArrayFromHeap(x) as Float32Array,
    dyv = heap.typedArrayFromHeap(dy) as Float32Array;
  const acc = new Float64Array(KH * KW * C);
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < Ho; oh++)
      for (let kh = 0; kh < KH; kh++) {
        const ih = oh * sH + kh - top;
        if (ih < 0 || ih >= H) continue;
        for (let ow = 0; ow < Wo; ow++) {
          const dyBase = ((n * Ho + oh) * Wo + ow) * C;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * sW + kw - left;
            if (iw < 0 || iw >= W) continue;
            const xBase = ((n * H + ih) * W + iw) * C,
              aBase = (kh * KW + kw) * C;
            for (let ch = 0; ch < C; ch++) acc[aBase + ch] += xv[xBase + ch] * dyv[dyBase + ch];
          }
        }
      }
  const out = heap.makeOutput([KH, KW, C, 1], 'float32');
  (heap.typedArrayFromHeap(out) as Float32Array).set(acc);
  return out;
};

// Zero-insert dy, pad fully, depthwise-convolve with the flipped filter, crop.
const depthwiseBackpropInput: Kernel = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs;
  const [KH, KW, C, mult] = filter.shape;
  if (mult !== 1) throw new Error('r3an wasm kernels: depthwise channel multiplier must be 1');
  const c = convInfo(attrs.inputShape, filter.shape, attrs.strides, attrs.dilations, attrs.pad, attrs.dimRoundingMode, true);
  const [N, H, W] = attrs.inputShape as number[];
  const { top, left } = c.padInfo;
  const Ho = dy.shape[1],
    Wo = dy.shape[2],
    sH = c.strideHeight,
    sW = c.strideWidth;
  const s = scratch(backend);
  const d = s.dilate(dy, sH, sW);
  const exH = Math.max(0, top + H - ((Ho - 1) * sH + KH)),
    exW = Math.max(0, left + W - ((Wo - 1) * sW + KW));
  const dp = s.padSpatial(d, KH - 1, KH - 1 + exH, KW - 1, KW - 1 + exW);
  const flipped = s.k('Reverse', { x: filter }, { dims: [0, 1] });
  const full = s.k(
    'DepthwiseConv2dNative',
    { x: dp, filter: flipped },
    { strides: [1, 1], pad: 'valid', dilations: [1, 1], dataFormat: 'NHWC' },
  );
  return s.done(s.k('Slice', { x: full }, { begin: [0, top, left, 0], size: [N, H, W, C] }));
};

// The wasm BatchMatMul is 10–60× slower with transpose flags: transpose explicitly instead.
const batchMatMul: Kernel = ({ inputs, backend, attrs }) => {
  const { a, b } = inputs;
  if ((!attrs.transposeA && !attrs.transposeB) || a.dtype !== 'float32') return original.BatchMatMul({ inputs, backend, attrs });
  const s = scratch(backend);
  const swapLast = (x: TensorInfo) => {
    const perm = x.shape.map((_, i) => i);
    const r = perm.length;
    [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
    return s.k('Transpose', { x }, { perm });
  };
  return s.done(
    s.k(
      'BatchMatMul',
      { a: attrs.transposeA ? swapLast(a) : a, b: attrs.transposeB ? swapLast(b) : b },
      { transposeA: false, transposeB: false },
    ),
  );
};

// The wasm Tile is a slow generic loop; a broadcasting Add onto zeros does the same.
const tile: Kernel = ({ inputs, backend, attrs }) => {
  const { x } = inputs;
  const reps = attrs.reps as number[];
  if (x.dtype !== 'float32') return original.Tile({ inputs, backend, attrs });
  const xs: number[] = [],
    ts: number[] = [];
  x.shape.forEach((d, i) => {
    const r = reps[i];
    if (r !== 1 && d !== 1) {
      xs.push(1, d);
      ts.push(r, d);
    } else {
      xs.push(d);
      ts.push(d * r);
    }
  });
  if (ts.length > 6) return original.Tile({ inputs, backend, attrs });
  const s = scratch(backend);
  const zeros = s.k('Fill', {}, { shape: ts, value: 0, dtype: 'float32' });
  const sum = s.k('Add', { a: zeros, b: s.reshape(x, xs) });
  return s.done(
    s.reshape(
      sum,
      x.shape.map((d, i) => d * reps[i]),
    ),
  );
};

// Sum/Mean over every axis but the last (batch-norm and bias gradients): the wasm kernels transpose
// first and run slowly. (A matmul with a row of ones would repack the activation: slower still.)
function leadingAxesReduction(mean: boolean): Kernel {
  const name = mean ? 'Mean' : 'Sum';
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs;
    const rank = x.shape.length;
    const axes = (Array.isArray(attrs.axis) ? attrs.axis : [attrs.axis])
      .map((a: number) => (a < 0 ? a + rank : a))
      .sort((a: number, b: number) => a - b);
    const leading = rank >= 2 && x.dtype === 'float32' && axes.length === rank - 1 && axes.every((a: number, i: number) => a === i);
    if (!leading) return original[name]({ inputs, backend, attrs });
    const C = x.shape[rank - 1],
      R = x.shape.slice(0, -1).reduce((p, d) => p * d, 1);
    const outShape = attrs.keepDims ? [...x.shape.slice(0, -1).map(() => 1), C] : [C];
    if (rank === 4) {
      // NHWC activations: two average pools on XNNPACK (over H×W, then over N) beat the loop below ~1.7×.
      const [N, H, W] = x.shape;
      const s = scratch(backend);
      const pool = (t: TensorInfo, size: number[]) =>
        s.k('AvgPool', { x: t }, { filterSize: size, strides: [1, 1], pad: 'valid', dimRoundingMode: undefined });
      let m = pool(s.reshape(pool(x, [H, W]), [1, N, 1, C]), [N, 1]);
      if (!mean) m = s.k('Multiply', { a: m, b: s.k('Fill', {}, { shape: [], value: R, dtype: 'float32' }) });
      return s.done(s.reshape(m, outShape));
    }
    const heap = backend as unknown as HeapBackend;
    const xv = heap.typedArrayFromHeap(x) as Float32Array;
    const acc = new Float64Array(C);
    for (let r = 0; r < R; r++) {
      const base = r * C;
      for (let c = 0; c < C; c++) acc[c] += xv[base + c];
    }
    if (mean) for (let c = 0; c < C; c++) acc[c] /= R;
    const out = heap.makeOutput(outShape, 'float32');
    (heap.typedArrayFromHeap(out) as Float32Array).set(acc);
    return out;
  };
}

export const FAST_REPLACEMENT_KERNELS = ['Conv2DBackpropInput', 'BatchMatMul', 'Tile', 'Sum', 'Mean', 'Identity'] as const;

// The wasm Identity copies the whole buffer, and TF.js clones every tensor it saves for the backward
// pass. Tensor data is immutable, so sharing the buffer by reference count (as Reshape and the cpu
// backend's Identity do) is equivalent.
const identity: Kernel = ({ inputs, backend, attrs }) => {
  const { x } = inputs;
  if (x.dtype === 'string') return original.Identity({ inputs, backend, attrs });
  (backend as unknown as { incRef(id: object): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
};

let installed: 'none' | 'grad' | 'fast' = 'none';

// ReLU6 (clipByValue) backward in one pass: dy where min ≤ x ≤ max, else 0. TF.js composes it from
// GreaterEqual, LessEqual, LogicalAnd, ZerosLike and Select — five full passes over every activation.
const CLIP_GRAD = 'R3anClipByValueGrad';
const clipByValueGrad: Kernel = ({ inputs, backend, attrs }) => {
  const { dy, x } = inputs;
  const heap = backend as unknown as HeapBackend;
  const out = heap.makeOutput(dy.shape, 'float32');
  const lo = attrs.clipValueMin as number,
    hi = attrs.clipValueMax as number;
  const xv = heap.typedArrayFromHeap(x) as Float32Array,
    dv = heap.typedArrayFromHeap(dy) as Float32Array,
    ov = heap.typedArrayFromHeap(out) as Float32Array;
  for (let i = 0; i < ov.length; i++) {
    const v = xv[i];
    ov[i] = v >= lo && v <= hi ? dv[i] : 0;
  }
  return out;
};

let clipGradientRegistered = false;
/** The ClipByValue gradient: the fused kernel on wasm with fast kernels, TF.js's own composition otherwise. */
function registerClipGradient(): void {
  if (clipGradientRegistered) return;
  clipGradientRegistered = true;
  tf.registerGradient({
    kernelName: 'ClipByValue',
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as tf.Tensor[];
      const { clipValueMin, clipValueMax } = attrs as unknown as { clipValueMin: number; clipValueMax: number };
      const d = dy as tf.Tensor;
      const fused = installed === 'fast' && tf.getBackend() === BACKEND && d.dtype === 'float32' && x.dtype === 'float32';
      return {
        x: () =>
          fused
            ? (tf.engine().runKernel(CLIP_GRAD, { dy: d, x }, { clipValueMin, clipValueMax }) as tf.Tensor)
            : tf.where(tf.logicalAnd(tf.greaterEqual(x, clipValueMin), tf.lessEqual(x, clipValueMax)), d, tf.zerosLike(d)),
      };
    },
  });
}

/**
 * Registers r3an's wasm kernels. Call after `tf.setBackend('wasm')`. `fast` also replaces the slow
 * kernels; without it only the missing gradient kernels are added (the reference for tests).
 */
export function installWasmKernels({ fast = true }: { fast?: boolean } = {}): void {
  if (tf.getBackend() !== BACKEND) throw new Error('installWasmKernels: call after tf.setBackend("wasm")');
  const want = fast ? 'fast' : 'grad';
  if (installed === want) return;
  for (const name of [
    'Transpose',
    'Reshape',
    'PadV2',
    'Concat',
    'Slice',
    'AddN',
    'Fill',
    'Multiply',
    'Add',
    'Reverse',
    'DepthwiseConv2dNative',
    'Conv2D',
    'BatchMatMul',
    'Tile',
    'Conv2DBackpropInput',
    'Sum',
    'Mean',
    'Identity',
  ]) {
    if (!original[name]) original[name] = kernelOf(name);
  }
  const set = (name: string, fn: Kernel) => {
    if (tf.getKernel(name, BACKEND)) tf.unregisterKernel(name, BACKEND);
    tf.registerKernel({ kernelName: name, backendName: BACKEND, kernelFunc: fn as unknown as tf.KernelFunc });
  };
  set('Conv2DBackpropFilter', conv2DBackpropFilter);
  set('DepthwiseConv2dNativeBackpropFilter', depthwiseBackpropFilter);
  set('DepthwiseConv2dNativeBackpropInput', depthwiseBackpropInput);
  set(CLIP_GRAD, clipByValueGrad);
  registerClipGradient();
  const replacements: Record<(typeof FAST_REPLACEMENT_KERNELS)[number], Kernel> = {
    Conv2DBackpropInput: conv2DBackpropInput,
    BatchMatMul: batchMatMul,
    Tile: tile,
    Sum: leadingAxesReduction(false),
    Mean: leadingAxesReduction(true),
    Identity: identity,
  };
  for (const name of FAST_REPLACEMENT_KERNELS) set(name, fast ? replacements[name] : original[name]);
  installed = want;
}
