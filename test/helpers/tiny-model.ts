// A tiny TF.js face "model" and a dataset of coloured images for tests of user-registered models:
// each identity is a colour, so a random conv net tells identities apart without any real face.
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import * as tf from '@tensorflow/tfjs';
import { saveLayersModel } from '../../src/io/model-files.js';

/** Saves a 32×32×3 → 16-d layers model (seeded) as dir/model.json + weights.bin. */
export async function saveTinyModel(dir: string): Promise<void> {
  const m = tf.sequential({
    layers: [
      tf.layers.conv2d({
        inputShape: [32, 32, 3],
        filters: 4,
        kernelSize: 3,
        activation: 'relu',
        kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }),
      }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 16, kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  await saveLayersModel(m, dir);
  m.dispose();
}

/** Writes a model spec for the tiny model (which lives in dir/model/) and returns its path. */
export function writeTinySpec(dir: string, overrides: Record<string, unknown> = {}, name = 'acme.json'): string {
  const f = path.join(dir, name);
  fs.writeFileSync(
    f,
    JSON.stringify({
      id: 'acme/tiny',
      model: 'model/model.json',
      dim: 16,
      inputSize: 32,
      pixels: '0..1',
      colour: 'RGB',
      alignment: 'none',
      ...overrides,
    }),
  );
  return f;
}

/** One folder per identity (name → colour), files named LFW style: <name>/<name>_0001.jpg … */
export async function colourFaces(dir: string, identities: Record<string, [number, number, number]>, perIdentity: number): Promise<void> {
  for (const [id, rgb] of Object.entries(identities)) {
    fs.mkdirSync(path.join(dir, id), { recursive: true });
    for (let k = 1; k <= perIdentity; k++) {
      const px = Buffer.alloc(48 * 48 * 3);
      for (let i = 0; i < px.length; i++) px[i] = Math.max(0, Math.min(255, rgb[i % 3] + ((i * 7 * k) % 31) - 15));
      await sharp(px, { raw: { width: 48, height: 48, channels: 3 } })
        .jpeg({ quality: 95 })
        .toFile(path.join(dir, id, `${id}_${String(k).padStart(4, '0')}.jpg`));
    }
  }
}
