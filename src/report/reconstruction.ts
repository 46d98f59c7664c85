// The paper's Fig. 4 for a user's own data: each real 56×56 face crop beside the face the generator
// reconstructs from that image's source-model feature, G(X).
import * as tf from '@tensorflow/tfjs';
import sharp from 'sharp';
import { FACE_SIZE } from '../core/face-size.js';
import { writeFileAtomic } from '../io/atomic.js';

const CROP = FACE_SIZE * FACE_SIZE * 3;

/** G(X) as uint8 RGB crops (the generator's tanh range [-1, 1] mapped to [0, 255]). */
export function reconstruct(generator: tf.LayersModel, x: Float32Array, ds: number): Uint8Array {
  const n = x.length / ds;
  const out = new Uint8Array(n * CROP);
  for (let s = 0; s < n; s += 32) {
    const e = Math.min(n, s + 32);
    const img = tf.tidy(() => {
      const y = generator.predict(tf.tensor2d(x.subarray(s * ds, e * ds), [e - s, ds])) as tf.Tensor;
      return y.add(1).mul(127.5).clipByValue(0, 255);
    });
    out.set(
      Uint8Array.from(img.dataSync(), (v) => Math.round(v)),
      s * CROP,
    );
    img.dispose();
  }
  return out;
}

/**
 * A grid with one row per identity; each cell is a (real | reconstructed) pair. `rows[r]` lists the
 * crop indices of row r. Written as PNG, upscaled for viewing.
 */
export async function writeReconstructionGrid(
  real: Uint8Array,
  fake: Uint8Array,
  rows: number[][],
  file: string,
  scale = 2,
): Promise<void> {
  const gap = 6,
    pairW = 2 * FACE_SIZE + 2;
  const cols = Math.max(1, ...rows.map((r) => r.length));
  const W = cols * pairW + (cols + 1) * gap,
    H = rows.length * FACE_SIZE + (rows.length + 1) * gap;
  const canvas = new Uint8Array(W * H * 3).fill(255);
  const blit = (src: Uint8Array, idx: number, x0: number, y0: number) => {
    for (let y = 0; y < FACE_SIZE; y++)
      canvas.set(src.subarray(idx * CROP + y * FACE_SIZE * 3, idx * CROP + (y + 1) * FACE_SIZE * 3), ((y0 + y) * W + x0) * 3);
  };
  rows.forEach((r, ri) =>
    r.forEach((idx, ci) => {
      const x0 = gap + ci * (pairW + gap),
        y0 = gap + ri * (FACE_SIZE + gap);
      blit(real, idx, x0, y0);
      blit(fake, idx, x0 + FACE_SIZE + 2, y0);
    }),
  );
  const png = await sharp(Buffer.from(canvas.buffer, canvas.byteOffset, canvas.byteLength), { raw: { width: W, height: H, channels: 3 } })
    .resize(W * scale, H * scale, { kernel: 'nearest' })
    .png()
    .toBuffer();
  writeFileAtomic(file, png);
}
