// Differentiable ops on the ONNX tape (opset 13, NCHW), each with the gradient TF.js defines for it,
// so a graph's gradients match TF.js's within float tolerance. Convolution gradients are themselves
// convolutions: the filter gradient correlates the input with the output gradient (batch moved to
// the channel axis, the stride becoming a dilation), the input gradient is a transposed convolution.
import type { Shape, Tape } from './tape.js';

const size = (s: Shape) => s.reduce((a, b) => a * b, 1);
const NCHW_TO_CNHW = [1, 0, 2, 3];

export function transpose(t: Tape, x: string, perm: number[]): string {
  const s = t.shape(x);
  const y = t.op(
    'Transpose',
    [x],
    perm.map((p) => s[p]),
    'transpose',
    { perm },
  );
  t.record([x], y, (g) => {
    const inv = perm.map((_, i) => perm.indexOf(i));
    t.addGrad(x, t.op('Transpose', [g], s, 'transpose_grad', { perm: inv }));
  });
  return y;
}

export function reshape(t: Tape, x: string, shape: Shape): string {
  const s = t.shape(x);
  if (size(s) !== size(shape)) throw new Error(`reshape ${JSON.stringify(s)} → ${JSON.stringify(shape)}`);
  const y = t.op('Reshape', [x, t.ints('shape', shape)], shape, 'reshape');
  t.record([x], y, (g) => t.addGrad(x, t.op('Reshape', [g, t.ints('shape', s)], s, 'reshape_grad')));
  return y;
}

/** Σ over the given axes, keeping them (size 1). */
export function reduceSumKeep(t: Tape, x: string, axes: number[]): string {
  const s = t.shape(x).map((d, i) => (axes.includes(i) ? 1 : d));
  return t.op('ReduceSum', [x, t.ints('axes', axes)], s, 'reduce_sum', { keepdims: 1 });
}
const reduceMeanKeep = (t: Tape, x: string, axes: number[]) =>
  t.op(
    'ReduceMean',
    [x],
    t.shape(x).map((d, i) => (axes.includes(i) ? 1 : d)),
    'reduce_mean',
    { axes, keepdims: 1 },
  );

/** Sums a broadcast gradient back to the shape of the operand it was broadcast from. */
function unbroadcast(t: Tape, g: string, to: Shape): string {
  const gs = t.shape(g);
  if (gs.length === to.length && gs.every((d, i) => d === to[i])) return g;
  const lead = gs.length - to.length;
  const axes = gs.map((_, i) => i).filter((i) => i < lead || (to[i - lead] === 1 && gs[i] !== 1));
  const summed = axes.length ? reduceSumKeep(t, g, axes) : g;
  return t.op('Reshape', [summed, t.ints('shape', to.length ? to : [])], to, 'unbroadcast');
}

function broadcastShape(a: Shape, b: Shape): Shape {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => {
    const x = a[i - n + a.length] ?? 1,
      y = b[i - n + b.length] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new Error(`broadcast ${JSON.stringify(a)} with ${JSON.stringify(b)}`);
    return Math.max(x, y);
  });
}

export function add(t: Tape, a: string, b: string): string {
  const y = t.op('Add', [a, b], broadcastShape(t.shape(a), t.shape(b)), 'add');
  t.record([a, b], y, (g) => {
    t.addGrad(a, unbroadcast(t, g, t.shape(a)));
    t.addGrad(b, unbroadcast(t, g, t.shape(b)));
  });
  return y;
}

/** x[starts:ends] along `axes` (step 1), not differentiated. */
function sliceAxis(t: Tape, x: string, axes: number[], starts: number[], ends: number[], base = 'slice'): string {
  const s = t.shape(x);
  return t.op(
    'Slice',
    [x, t.ints('starts', starts), t.ints('ends', ends), t.ints('axes', axes)],
    s.map((d, i) => (axes.includes(i) ? ends[axes.indexOf(i)] - starts[axes.indexOf(i)] : d)),
    base,
  );
}

/** y = x·W (+ b), x (N, in), W (in, out) as TF.js stores a dense kernel; with `transB`, W is (out, in). */
export function dense(t: Tape, x: string, w: string, b?: string, transB = false): string {
  const [n] = t.shape(x),
    out = t.shape(w)[transB ? 0 : 1];
  const y = t.op('Gemm', b ? [x, w, b] : [x, w], [n, out], 'dense', transB ? { transB: 1 } : undefined);
  t.record(b ? [x, w, b] : [x, w], y, (g) => {
    if (t.requiresGrad(x)) t.addGrad(x, t.op('Gemm', [g, w], t.shape(x), 'dense_dx', transB ? undefined : { transB: 1 }));
    if (t.requiresGrad(w))
      t.addGrad(
        w,
        transB ? t.op('Gemm', [g, x], t.shape(w), 'dense_dw', { transA: 1 }) : t.op('Gemm', [x, g], t.shape(w), 'dense_dw', { transA: 1 }),
      );
    if (b && t.requiresGrad(b)) t.addGrad(b, unbroadcast(t, g, t.shape(b)));
  });
  return y;
}

export interface ConvGeometry {
  stride: number;
  /** [top, left, bottom, right] */ pads: number[];
}

/** Crops a filter gradient computed over a window at least k×k (spatial axes 2, 3) to k×k. */
function cropToKernel(t: Tape, g: string, k: number): string {
  const s = t.shape(g);
  if (s[2] < k || s[3] < k) throw new Error(`filter gradient window ${s[2]}×${s[3]} smaller than the ${k}×${k} kernel`);
  if (s[2] === k && s[3] === k) return g;
  return sliceAxis(t, g, [2, 3], [0, 0], [k, k], 'crop_kernel');
}

/**
 * out[a, b] = Σ_n,y,x  inp[n, a, y·s + kh − pt, x·s + kw − pl] · kern[n, b, y, x], for kh, kw < k: the
 * correlation behind every filter gradient, as one Conv with the batch on the channel axis.
 * Returns (A, B, k, k) where inp is (N, A, H, W) and kern is (N, B, h, w).
 */
function correlate(t: Tape, inp: string, kern: string, k: number, geo: ConvGeometry): string {
  const [n, a, h, w] = t.shape(inp),
    [, b, kh, kw] = t.shape(kern);
  const it = t.op('Transpose', [inp], [a, n, h, w], 'corr_in', { perm: NCHW_TO_CNHW });
  const kt = t.op('Transpose', [kern], [b, n, kh, kw], 'corr_k', { perm: NCHW_TO_CNHW });
  const s = geo.stride;
  const oh = h + geo.pads[0] + geo.pads[2] - s * (kh - 1),
    ow = w + geo.pads[1] + geo.pads[3] - s * (kw - 1);
  const r = t.op('Conv', [it, kt], [a, b, oh, ow], 'corr', { kernel_shape: [kh, kw], dilations: [s, s], pads: geo.pads, strides: [1, 1] });
  return cropToKernel(t, r, k);
}

/** A (·, ·, k, k) kernel flipped in both spatial axes. */
const flipKernel = (t: Tape, w: string, k: number) =>
  t.op(
    'Slice',
    [w, t.ints('starts', [-1, -1]), t.ints('ends', [-k - 1, -k - 1]), t.ints('axes', [2, 3]), t.ints('steps', [-1, -1])],
    t.shape(w),
    'flip',
  );

/** The pads of a stride-1 convolution's adjoint (the flipped-kernel convolution): before and after swapped. */
const adjointPads = (geo: ConvGeometry) => [geo.pads[2], geo.pads[3], geo.pads[0], geo.pads[1]];

/**
 * The depthwise filter gradient (C, 1, k, k) as one grouped Conv, the channels as groups and the batch
 * as each group's input channels: xr (1, C·N, H, W) ⋆ g (C, N, oh, ow).
 */
function depthwiseCorrelation(t: Tape, xr: string, g: string, k: number, geo: ConvGeometry): string {
  const [, , h, wd] = t.shape(xr),
    [c, , oh, ow] = t.shape(g);
  const s = geo.stride;
  const kh = h + geo.pads[0] + geo.pads[2] - s * (oh - 1),
    kw = wd + geo.pads[1] + geo.pads[3] - s * (ow - 1);
  const r = cropToKernel(
    t,
    t.op('Conv', [xr, g], [1, c, kh, kw], 'dw_corr', { kernel_shape: [oh, ow], dilations: [s, s], pads: geo.pads, group: c }),
    k,
  );
  return t.op('Reshape', [r, t.ints('shape', [c, 1, k, k])], [c, 1, k, k], 'dw_dw');
}

/** Transposed convolution that undoes a strided Conv's shape exactly (output_padding from the static sizes). */
function convTransposeTo(t: Tape, g: string, w: string, out: Shape, k: number, geo: ConvGeometry, group: number, base: string): string {
  const [, , gh, gw] = t.shape(g);
  const s = geo.stride;
  const natH = s * (gh - 1) + k - geo.pads[0] - geo.pads[2],
    natW = s * (gw - 1) + k - geo.pads[1] - geo.pads[3];
  const op = [out[2] - natH, out[3] - natW];
  if (op.some((p) => p < 0 || p >= Math.max(s, 1))) throw new Error(`${base}: no transposed convolution gives ${JSON.stringify(out)}`);
  return t.op('ConvTranspose', [g, w], out, base, {
    kernel_shape: [k, k],
    strides: [s, s],
    pads: geo.pads,
    group,
    ...(op.some((p) => p) ? { output_padding: op } : {}),
  });
}

/**
 * Convolution, x (N, C, H, W), w (M, C/group, k, k) in ONNX layout, optional bias (M).
 * group = C with one filter per channel is the depthwise case.
 */
export function conv(t: Tape, x: string, w: string, geo: ConvGeometry, group = 1, b?: string): string {
  const [n, c, h, wd] = t.shape(x),
    [m, , k] = t.shape(w);
  const s = geo.stride;
  const oh = Math.floor((h + geo.pads[0] + geo.pads[2] - k) / s) + 1,
    ow = Math.floor((wd + geo.pads[1] + geo.pads[3] - k) / s) + 1;
  const y = t.op('Conv', b ? [x, w, b] : [x, w], [n, m, oh, ow], 'conv', { kernel_shape: [k, k], strides: [s, s], pads: geo.pads, group });
  const pointwise = k === 1 && s === 1 && geo.pads.every((p) => p === 0) && group === 1;
  t.record(b ? [x, w, b] : [x, w], y, (g) => {
    if (t.requiresGrad(x)) {
      if (pointwise) {
        const wt = t.op('Transpose', [w], [c, m, 1, 1], 'conv_wt', { perm: NCHW_TO_CNHW });
        t.addGrad(x, t.op('Conv', [g, wt], t.shape(x), 'conv_dx', { kernel_shape: [1, 1] }));
      } else if (s === 1 && group === c) {
        // stride-1 depthwise: the adjoint is the depthwise convolution with the kernel flipped and the pads
        // swapped, which onnxruntime runs multi-threaded (its grouped ConvTranspose runs on one thread)
        t.addGrad(
          x,
          t.op('Conv', [g, flipKernel(t, w, k)], t.shape(x), 'dw_dx', {
            kernel_shape: [k, k],
            strides: [1, 1],
            pads: adjointPads(geo),
            group,
          }),
        );
      } else t.addGrad(x, convTransposeTo(t, g, w, t.shape(x), k, geo, group, 'conv_dx'));
    }
    if (t.requiresGrad(w)) {
      if (pointwise) {
        // Σ over n and pixels p of g[n, m, p]·x[n, c, p]. Large maps: one product per sample, g[n]·x[n]ᵀ
        // (onnxruntime fuses the transpose into the product), summed over n; small maps with many
        // channels, where those per-sample products outweigh the activations: one product once the batch
        // is moved inward (two transposes).
        const hw = h * wd;
        const as3d = (v: string, ch: number, base: string) => t.op('Reshape', [v, t.ints('shape', [n, ch, hw])], [n, ch, hw], base);
        let dw: string;
        if (m * c <= hw * (m + c)) {
          const xt = t.op('Transpose', [as3d(x, c, 'pw_x_3d')], [n, hw, c], 'pw_xt', { perm: [0, 2, 1] });
          dw = t.op(
            'ReduceSum',
            [t.op('MatMul', [as3d(g, m, 'pw_g_3d'), xt], [n, m, c], 'pw_dw_n'), t.ints('axes', [0])],
            [m, c],
            'pw_dw',
            { keepdims: 0 },
          );
        } else {
          const rows = (v: string, ch: number, base: string) =>
            t.op(
              'Reshape',
              [
                t.op('Transpose', [as3d(v, ch, `${base}_3d`)], [ch, n, hw], `${base}_t`, { perm: [1, 0, 2] }),
                t.ints('shape', [ch, n * hw]),
              ],
              [ch, n * hw],
              base,
            );
          dw = t.op('Gemm', [rows(g, m, 'pw_g'), rows(x, c, 'pw_x')], [m, c], 'pw_dw', { transB: 1 });
        }
        t.addGrad(w, t.op('Reshape', [dw, t.ints('shape', [m, c, 1, 1])], [m, c, 1, 1], 'pw_dw_4d'));
      } else if (group === 1) {
        const r = correlate(t, x, g, k, geo); // (C, M, k, k)
        t.addGrad(w, t.op('Transpose', [r], [m, c, k, k], 'conv_dw', { perm: NCHW_TO_CNHW }));
      } else {
        if (group !== c || m !== c) throw new Error('conv: only depthwise grouped convolutions are differentiable');
        const xr = t.op(
          'Reshape',
          [t.op('Transpose', [x], [c, n, h, wd], 'dw_xt', { perm: NCHW_TO_CNHW }), t.ints('shape', [1, c * n, h, wd])],
          [1, c * n, h, wd],
          'dw_x',
        );
        t.addGrad(w, depthwiseCorrelation(t, xr, t.op('Transpose', [g], [c, n, oh, ow], 'dw_gt', { perm: NCHW_TO_CNHW }), k, geo));
      }
    }
    if (b && t.requiresGrad(b)) t.addGrad(b, t.op('ReduceSum', [g, t.ints('axes', [0, 2, 3])], [m], 'conv_db', { keepdims: 0 }));
  });
  return y;
}

// The channels-outermost layout (C, N, H, W), for networks made of pointwise and depthwise convolutions
// only (the extractor): a pointwise convolution is then one matrix product over the whole batch, its
// filter gradient one more, and the depthwise filter gradient and the batch-norm reductions read
// contiguous memory, where NCHW needs a transpose or a per-sample product for each.

/** Pointwise convolution of x (C, N, H, W) by w (C, M), TF.js's [1, 1, C, M] kernel read as a matrix. */
export function pointwiseCnhw(t: Tape, x: string, w: string): string {
  const [c, n, h, wd] = t.shape(x),
    m = t.shape(w)[1];
  const x2 = t.op('Reshape', [x, t.ints('shape', [c, n * h * wd])], [c, n * h * wd], 'pw_x2');
  const y2 = t.op('Gemm', [w, x2], [m, n * h * wd], 'pw', { transA: 1 });
  const y = t.op('Reshape', [y2, t.ints('shape', [m, n, h, wd])], [m, n, h, wd], 'pw_y');
  t.record([x, w], y, (g) => {
    const g2 = t.op('Reshape', [g, t.ints('shape', [m, n * h * wd])], [m, n * h * wd], 'pw_g2');
    if (t.requiresGrad(x))
      t.addGrad(
        x,
        t.op('Reshape', [t.op('MatMul', [w, g2], [c, n * h * wd], 'pw_dx2'), t.ints('shape', [c, n, h, wd])], [c, n, h, wd], 'pw_dx'),
      );
    if (t.requiresGrad(w)) t.addGrad(w, t.op('Gemm', [x2, g2], [c, m], 'pw_dw', { transB: 1 }));
  });
  return y;
}

/**
 * Depthwise convolution of x (C, N, H, W) by w (C, 1, k, k): one group per (channel, sample), the
 * kernel repeated over the batch. The filter gradient correlates each channel's N maps with its N
 * output gradients in one grouped Conv, as in the NCHW case but without the transposes.
 */
export function depthwiseCnhw(t: Tape, x: string, w: string, geo: ConvGeometry): string {
  const [c, n, h, wd] = t.shape(x),
    k = t.shape(w)[2];
  const s = geo.stride;
  const oh = Math.floor((h + geo.pads[0] + geo.pads[2] - k) / s) + 1,
    ow = Math.floor((wd + geo.pads[1] + geo.pads[3] - k) / s) + 1;
  const cn = c * n;
  const perSample = (v: string, base: string) =>
    t.op(
      'Reshape',
      [
        t.op(
          'Expand',
          [t.op('Reshape', [v, t.ints('shape', [c, 1, k * k])], [c, 1, k * k], `${base}_3d`), t.ints('shape', [c, n, k * k])],
          [c, n, k * k],
          `${base}_expand`,
        ),
        t.ints('shape', [cn, 1, k, k]),
      ],
      [cn, 1, k, k],
      base,
    );
  const xr = t.op('Reshape', [x, t.ints('shape', [1, cn, h, wd])], [1, cn, h, wd], 'dw_xr');
  const we = perSample(w, 'dw_w');
  const yr = t.op('Conv', [xr, we], [1, cn, oh, ow], 'dw', { kernel_shape: [k, k], strides: [s, s], pads: geo.pads, group: cn });
  const y = t.op('Reshape', [yr, t.ints('shape', [c, n, oh, ow])], [c, n, oh, ow], 'dw_y');
  t.record([x, w], y, (g) => {
    if (t.requiresGrad(x)) {
      const gr = t.op('Reshape', [g, t.ints('shape', [1, cn, oh, ow])], [1, cn, oh, ow], 'dw_gr');
      // stride 1: the adjoint is the flipped-kernel convolution (multi-threaded, where onnxruntime's
      // grouped ConvTranspose runs on one thread)
      const dx =
        s === 1
          ? t.op('Conv', [gr, flipKernel(t, we, k)], [1, cn, h, wd], 'dw_dx', {
              kernel_shape: [k, k],
              strides: [1, 1],
              pads: adjointPads(geo),
              group: cn,
            })
          : convTransposeTo(t, gr, we, [1, cn, h, wd], k, geo, cn, 'dw_dx');
      t.addGrad(x, t.op('Reshape', [dx, t.ints('shape', [c, n, h, wd])], [c, n, h, wd], 'dw_dx4'));
    }
    if (t.requiresGrad(w)) {
      t.addGrad(w, s === 1 ? depthwiseFilterGradRows(t, x, g, k, geo) : depthwiseCorrelation(t, xr, g, k, geo));
    }
  });
  return y;
}

/**
 * The stride-1 depthwise filter gradient dW[c, dy, dx] = Σ_n,y,x xp[c, n, y + dy, x + dx]·g[c, n, y, x]
 * (xp padded), as k products batched over the channels: for each kernel row dy, Q[c] = g[c]ᵀ·xp_dy[c]
 * over the n·h rows, (W × Wp), and dW[c, dy, dx] = Σ_x Q[c, x, x + dx], a diagonal read by reshaping.
 * onnxruntime runs these products on all threads; its grouped Conv with 3×3 outputs (the form used
 * for stride 2, where this is no faster) runs on one.
 */
function depthwiseFilterGradRows(t: Tape, x: string, g: string, k: number, geo: ConvGeometry): string {
  const [c, n, h, wd] = t.shape(x),
    [, , oh, ow] = t.shape(g);
  const hp = h + geo.pads[0] + geo.pads[2],
    wp = wd + geo.pads[1] + geo.pads[3];
  const xp = t.op('Pad', [x, t.ints('pads', [0, 0, geo.pads[0], geo.pads[1], 0, 0, geo.pads[2], geo.pads[3]])], [c, n, hp, wp], 'dwg_pad');
  const gt = t.op(
    'Transpose',
    [t.op('Reshape', [g, t.ints('shape', [c, n * oh, ow])], [c, n * oh, ow], 'dwg_g3')],
    [c, ow, n * oh],
    'dwg_gt',
    { perm: [0, 2, 1] },
  );
  const rows = Array.from({ length: k }, (_, dy) => {
    const xdy = sliceAxis(t, xp, [2], [dy], [dy + oh], 'dwg_rows');
    const q = t.op(
      'MatMul',
      [gt, t.op('Reshape', [xdy, t.ints('shape', [c, n * oh, wp])], [c, n * oh, wp], 'dwg_rows3')],
      [c, ow, wp],
      'dwg_q',
    );
    // Σ_x q[c, x, x + dx]: flat index x·(wp + 1) + dx
    const flat = t.op(
      'Pad',
      [t.op('Reshape', [q, t.ints('shape', [c, ow * wp])], [c, ow * wp], 'dwg_qflat'), t.ints('pads', [0, 0, 0, ow])],
      [c, ow * (wp + 1)],
      'dwg_qpad',
    );
    const diag = sliceAxis(
      t,
      t.op('Reshape', [flat, t.ints('shape', [c, ow, wp + 1])], [c, ow, wp + 1], 'dwg_q3'),
      [2],
      [0],
      [k],
      'dwg_diag',
    );
    return t.op('ReduceSum', [diag, t.ints('axes', [1])], [c, k], 'dwg_row', { keepdims: 0 });
  });
  return t.op('Reshape', [t.op('Concat', rows, [c, k * k], 'dwg_cat', { axis: 1 }), t.ints('shape', [c, 1, k, k])], [c, 1, k, k], 'dwg');
}

/** Transposed convolution, x (N, Cin, H, W), w (Cin, Cout, k, k) in ONNX layout. */
export function convTranspose(t: Tape, x: string, w: string, geo: ConvGeometry): string {
  const [n, , h, wd] = t.shape(x),
    [cin, cout, k] = t.shape(w);
  const s = geo.stride;
  const oh = s * (h - 1) + k - geo.pads[0] - geo.pads[2],
    ow = s * (wd - 1) + k - geo.pads[1] - geo.pads[3];
  const y = t.op('ConvTranspose', [x, w], [n, cout, oh, ow], 'convt', { kernel_shape: [k, k], strides: [s, s], pads: geo.pads });
  t.record([x, w], y, (g) => {
    // the adjoint of a transposed convolution is the convolution with the same weights
    if (t.requiresGrad(x))
      t.addGrad(x, t.op('Conv', [g, w], [n, cin, h, wd], 'convt_dx', { kernel_shape: [k, k], strides: [s, s], pads: geo.pads }));
    if (t.requiresGrad(w)) {
      const r = correlate(t, g, x, k, geo); // (Cout, Cin, k, k)
      t.addGrad(w, t.op('Transpose', [r], [cin, cout, k, k], 'convt_dw', { perm: NCHW_TO_CNHW }));
    }
  });
  return y;
}

/**
 * Stride-1 'valid' transposed convolution of x (N, Cin, H, W) by TF.js's kernel w [k, k, Cout, Cin] as one
 * matrix product over the whole batch (the kernel read as (k·k·Cout, Cin): no transpose either way) and
 * an overlap-add of the taps. onnxruntime's ConvTranspose makes one product per sample (G's 4×4 → 7×7
 * layer, Cin 512, Cout 128: 16 columns each, ≈ 40% of the matrix-product rate); here the products of
 * the forward pass and of both gradients have N·H·W rows.
 */
export function convTransposeProduct(t: Tape, x: string, w: string): string {
  const [n, cin, h, wd] = t.shape(x),
    [k, , cout] = t.shape(w);
  const xr = reshape(t, transpose(t, x, [0, 2, 3, 1]), [n * h * wd, cin]);
  // cols[n, iy, ix, ky, kx, co] = Σ_ci x[n, ci, iy, ix]·w[ky, kx, co, ci]
  const cols = reshape(t, dense(t, xr, reshape(t, w, [k * k * cout, cin]), undefined, true), [n, h, wd, k, k, cout]);
  // out[n, y, x, co] = Σ_ky,kx cols[n, y − ky, x − kx, ky, kx, co]: rows first, then columns
  const rows = overlapAdd(t, cols, 1, 3); // (n, h + k − 1, wd, 1, k, cout)
  const both = overlapAdd(t, rows, 2, 4); // (n, h + k − 1, wd + k − 1, 1, 1, cout)
  return transpose(t, reshape(t, both, [n, h + k - 1, wd + k - 1, cout]), [0, 3, 1, 2]);
}

/**
 * Σ_q v[.., y − q (on `spatial`), .., q (on `tap`), ..]: the k taps of `tap` shifted along `spatial` and
 * added (the tap axis kept, size 1). Its gradient reads each tap's window of the output gradient, one
 * Concat, where the composed slices and pads would write k zero-padded full-size tensors and add them.
 */
function overlapAdd(t: Tape, v: string, spatial: number, tap: number): string {
  const s = t.shape(v),
    r = s.length,
    k = s[tap],
    size = s[spatial];
  const out = s.map((d, i) => (i === spatial ? d + k - 1 : i === tap ? 1 : d));
  let y = '';
  for (let q = 0; q < k; q++) {
    const pads = new Array<number>(2 * r).fill(0);
    pads[spatial] = q;
    pads[spatial + r] = k - 1 - q;
    const shifted = t.op('Pad', [sliceAxis(t, v, [tap], [q], [q + 1]), t.ints('pads', pads)], out, 'olap_pad');
    y = y ? t.op('Add', [y, shifted], out, 'olap_add') : shifted;
  }
  t.record([v], y, (g) => {
    const windows = Array.from({ length: k }, (_, q) => sliceAxis(t, g, [spatial], [q], [q + size]));
    t.addGrad(v, t.op('Concat', windows, s, 'olap_grad', { axis: tap }));
  });
  return y;
}

export interface BatchStats {
  mean: string;
  variance: string;
}

/**
 * Batch normalisation with the batch's statistics (training mode), the channels on `channelAxis` (1 for NCHW
 * and (N, C), 0 for CNHW): y = γ·(x − μ)/√(σ² + ε) + β,
 * σ² the biased variance, as TF.js layers compute it. Returns the statistics for the moving averages.
 */
export function batchNormTraining(
  t: Tape,
  x: string,
  gamma: string,
  beta: string,
  epsilon: number,
  channelAxis = 1,
): { y: string; stats: BatchStats } {
  const s = t.shape(x),
    c = s[channelAxis];
  const axes = s.map((_, i) => i).filter((i) => i !== channelAxis);
  const bshape = s.map((_, i) => (i === channelAxis ? c : 1));
  const mean = reduceMeanKeep(t, x, axes);
  const xc = t.op('Sub', [x, mean], s, 'bn_xc');
  const variance = reduceMeanKeep(t, t.op('Mul', [xc, xc], s, 'bn_sq'), axes);
  const rstd = t.op(
    'Reciprocal',
    [t.op('Sqrt', [t.op('Add', [variance, t.scalar(epsilon)], bshape, 'bn_ve')], bshape, 'bn_std')],
    bshape,
    'bn_rstd',
  );
  const xhat = t.op('Mul', [xc, rstd], s, 'bn_xhat');
  const g4 = t.op('Reshape', [gamma, t.ints('shape', bshape)], bshape, 'bn_g');
  const b4 = t.op('Reshape', [beta, t.ints('shape', bshape)], bshape, 'bn_b');
  const y = t.op('Add', [t.op('Mul', [xhat, g4], s, 'bn_scale'), b4], s, 'bn');
  t.record([x, gamma, beta], y, (g) => {
    const dgamma = reduceMeanKeep(t, t.op('Mul', [g, xhat], s, 'bn_gxhat'), axes); // mean, ×M below
    const m = size(s) / c;
    if (t.requiresGrad(gamma))
      t.addGrad(
        gamma,
        t.op('Reshape', [t.op('Mul', [dgamma, t.scalar(m)], bshape, 'bn_dgamma_sum'), t.ints('shape', [c])], [c], 'bn_dgamma'),
      );
    const dbetaMean = reduceMeanKeep(t, g, axes);
    if (t.requiresGrad(beta))
      t.addGrad(
        beta,
        t.op('Reshape', [t.op('Mul', [dbetaMean, t.scalar(m)], bshape, 'bn_dbeta_sum'), t.ints('shape', [c])], [c], 'bn_dbeta'),
      );
    if (t.requiresGrad(x)) {
      // dx = γ/σ · (g − mean(g) − x̂·mean(g·x̂))
      const inner = t.op('Sub', [t.op('Sub', [g, dbetaMean], s, 'bn_g0'), t.op('Mul', [xhat, dgamma], s, 'bn_gx')], s, 'bn_inner');
      t.addGrad(x, t.op('Mul', [inner, t.op('Mul', [g4, rstd], bshape, 'bn_gs')], s, 'bn_dx'));
    }
  });
  return {
    y,
    stats: {
      mean: t.op('Reshape', [mean, t.ints('shape', [c])], [c], 'bn_mean'),
      variance: t.op('Reshape', [variance, t.ints('shape', [c])], [c], 'bn_var'),
    },
  };
}

// g·float(cond): onnxruntime's Where runs on one thread, Cast and Mul on all
const mask = (t: Tape, cond: string, g: string, s: Shape) => t.op('Mul', [g, t.op('Cast', [cond], s, 'mask', { to: 1 })], s, 'masked_grad');

/** ReLU, or ReLU clipped at `max`; gradient 1 on (0, max] as TF.js's relu then clipByValue give. */
export function relu(t: Tape, x: string, max?: number): string {
  const s = t.shape(x);
  const y = max == null ? t.op('Relu', [x], s, 'relu') : t.op('Clip', [x, t.scalar(0), t.scalar(max)], s, 'relu6');
  t.record([x], y, (g) => {
    let cond = t.op('Greater', [x, t.scalar(0)], s, 'relu_pos');
    if (max != null) cond = t.op('And', [cond, t.op('LessOrEqual', [x, t.scalar(max)], s, 'relu_le')], s, 'relu_in');
    t.addGrad(x, mask(t, cond, g, s));
  });
  return y;
}

export function leakyRelu(t: Tape, x: string, alpha: number): string {
  const s = t.shape(x);
  const y = t.op('LeakyRelu', [x], s, 'lrelu', { alpha: { float: alpha } });
  t.record([x], y, (g) => {
    const pos = t.op('Greater', [x, t.scalar(0)], s, 'lrelu_pos');
    t.addGrad(x, t.op('Where', [pos, g, t.op('Mul', [g, t.scalar(alpha)], s, 'lrelu_neg')], s, 'lrelu_dx'));
  });
  return y;
}

export function tanh(t: Tape, x: string): string {
  const s = t.shape(x);
  const y = t.op('Tanh', [x], s, 'tanh');
  t.record([x], y, (g) =>
    t.addGrad(x, t.op('Mul', [g, t.op('Sub', [t.scalar(1), t.op('Mul', [y, y], s, 'tanh_sq')], s, 'tanh_d')], s, 'tanh_dx')),
  );
  return y;
}

/** (N, C, H, W) → (N, C): the mean over pixels. */
export function globalAveragePool(t: Tape, x: string): string {
  const s = t.shape(x);
  const y = t.op('ReduceMean', [x], [s[0], s[1]], 'gap', { axes: [2, 3], keepdims: 0 });
  t.record([x], y, (g) => {
    const g4 = t.op(
      'Reshape',
      [t.op('Mul', [g, t.scalar(1 / (s[2] * s[3]))], [s[0], s[1]], 'gap_scale'), t.ints('shape', [s[0], s[1], 1, 1])],
      [s[0], s[1], 1, 1],
      'gap_g4',
    );
    t.addGrad(x, t.op('Expand', [g4, t.ints('shape', s)], s, 'gap_dx'));
  });
  return y;
}

/** Σ (a − b)², scaled by `scale`. */
export function sumSquaredDifference(t: Tape, a: string, b: string, scale = 1): string {
  const s = t.shape(a);
  const d = t.op('Sub', [a, b], s, 'sqd_d');
  const sum = t.op('ReduceSum', [t.op('Mul', [d, d], s, 'sqd_sq')], [], 'sqd', { keepdims: 0 });
  const y = scale === 1 ? sum : t.op('Mul', [sum, t.scalar(scale)], [], 'sqd_scaled');
  t.record([a, b], y, (g) => {
    const d2 = t.op('Mul', [d, t.op('Mul', [g, t.scalar(2 * scale)], [], 'sqd_g')], s, 'sqd_grad');
    t.addGrad(a, d2);
    if (t.requiresGrad(b)) t.addGrad(b, t.op('Neg', [d2], s, 'sqd_grad_neg'));
  });
  return y;
}

/** Σ softplus(sign·z): the logistic losses (sign −1 for "should be real"). */
export function sumSoftplus(t: Tape, z: string, sign: 1 | -1): string {
  const s = t.shape(z);
  const arg = sign === 1 ? z : t.op('Neg', [z], s, 'sp_neg');
  const y = t.op('ReduceSum', [t.op('Softplus', [arg], s, 'softplus')], [], 'sp_sum', { keepdims: 0 });
  t.record([z], y, (g) => {
    // d softplus(u)/du = sigmoid(u)
    const d = t.op('Mul', [t.op('Sigmoid', [arg], s, 'sp_sig'), sign === 1 ? g : t.op('Neg', [g], [], 'sp_gneg')], s, 'sp_dz');
    t.addGrad(z, d);
  });
  return y;
}
