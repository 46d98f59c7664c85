// Mild random transforms of an image before the model's own detection, for more training rows from
// the same faces: horizontal flip, ±8% scale and shift, ±10° rotation, brightness/contrast/saturation
// ±20%, and, since real galleries hold old greyscale scans and small photos, greyscale (p 0.2) and a
// down-scale to 25–50% and back (p 0.3). The transform is a pure function of (image path, k), so every
// model sees the same K images and their rows pair up.
import sharp from 'sharp';
import { mulberry32 } from '../core/rng.js';
import type { RgbImage } from './image.js';

export interface AugmentParams {
  flip: boolean;
  angle: number;
  scale: number;
  dx: number;
  dy: number;
  brightness: number;
  contrast: number;
  saturation: number;
  grey: boolean;
  lowRes: number;
}

/** A 32-bit FNV-1a hash: the seed of (path, k). */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function augmentParams(imagePath: string, k: number): AugmentParams {
  const rand = mulberry32(hash(`${imagePath}#${k}`));
  const u = (a: number, b: number) => a + (b - a) * rand();
  return {
    flip: rand() < 0.5,
    angle: u(-10, 10),
    scale: u(0.92, 1.08),
    dx: u(-0.08, 0.08),
    dy: u(-0.08, 0.08),
    brightness: u(0.8, 1.2),
    contrast: u(0.8, 1.2),
    saturation: u(0.8, 1.2),
    grey: rand() < 0.2,
    lowRes: rand() < 0.3 ? u(0.25, 0.5) : 1,
  };
}

const raw = (img: RgbImage) =>
  sharp(Buffer.from(img.data.buffer, img.data.byteOffset, img.data.byteLength), {
    raw: { width: img.width, height: img.height, channels: 3 },
  });
async function toRgb(s: ReturnType<typeof sharp>): Promise<RgbImage> {
  const { data, info } = await s.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`augment: a step produced ${info.channels} channels`);
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
}

/** Rec. 601 luma in all three channels (sharp's greyscale() ends as one channel). */
function grey(img: RgbImage): RgbImage {
  const d = new Uint8Array(img.data.length);
  for (let i = 0; i < d.length; i += 3)
    d[i] = d[i + 1] = d[i + 2] = Math.round(0.299 * img.data[i] + 0.587 * img.data[i + 1] + 0.114 * img.data[i + 2]);
  return { ...img, data: d };
}

/** The k-th augmented copy of an image (same size as the input). Each step is its own pass: sharp reorders chained operations. */
export async function augmentImage(img: RgbImage, p: AugmentParams): Promise<RgbImage> {
  const { width: w, height: h } = img;
  const pad = Math.ceil(0.2 * Math.max(w, h));
  // mirror-padded so rotation, zoom-out and shift never bring in black borders the detector could see
  let x = await toRgb(raw(img).extend({ top: pad, bottom: pad, left: pad, right: pad, extendWith: 'mirror' }));
  if (p.flip) x = await toRgb(raw(x).flop());
  x = await toRgb(raw(x).rotate(p.angle, { background: { r: 0, g: 0, b: 0 } }));
  const sw = Math.round(x.width * p.scale),
    sh = Math.round(x.height * p.scale);
  x = await toRgb(raw(x).resize(sw, sh));
  const left = Math.min(sw - w, Math.max(0, Math.round((sw - w) / 2 + p.dx * w)));
  const top = Math.min(sh - h, Math.max(0, Math.round((sh - h) / 2 + p.dy * h)));
  x = await toRgb(raw(x).extract({ left, top, width: w, height: h }));
  x = await toRgb(
    raw(x)
      .modulate({ brightness: p.brightness, saturation: p.saturation })
      .linear(p.contrast, 128 * (1 - p.contrast)),
  );
  if (p.grey) x = grey(x);
  if (p.lowRes < 1) {
    const small = await toRgb(raw(x).resize(Math.max(8, Math.round(w * p.lowRes)), Math.max(8, Math.round(h * p.lowRes))));
    x = await toRgb(raw(small).resize(w, h));
  }
  return x;
}
