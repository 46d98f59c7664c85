// Image decoding with sharp (bundled libvips): any common format, greyscale or with alpha, to RGB bytes.
import sharp from 'sharp';

export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export class ImageDecodeError extends Error {}

export async function decodeRgb(file: string): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(file, { failOn: 'error' })
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`decoded to ${info.channels} channels`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (e) {
    throw new ImageDecodeError(`${file}: cannot decode image (${(e as Error).message})`);
  }
}

export function mirror(img: RgbImage): RgbImage {
  const out = new Uint8Array(img.data.length);
  for (let y = 0; y < img.height; y++)
    for (let x = 0; x < img.width; x++) {
      const s = (y * img.width + x) * 3,
        d = (y * img.width + (img.width - 1 - x)) * 3;
      out[d] = img.data[s];
      out[d + 1] = img.data[s + 1];
      out[d + 2] = img.data[s + 2];
    }
  return { ...img, data: out };
}

/**
 * Bilinear resize of an HWC float image as TF's resizeBilinear without corner alignment or half-pixel
 * centres (source coordinate = output coordinate × in/out), times `scale`. TF.js's wasm kernel takes
 * ≈ 100 ms to upsample a 192×192 face to 224×224 on this machine; this loop takes about 1 ms.
 */
export function resizeBilinearHwc(src: Float32Array, h: number, w: number, c: number, oh: number, ow: number, scale = 1): Float32Array {
  const out = new Float32Array(oh * ow * c);
  const sy = h / oh,
    sx = w / ow;
  for (let y = 0; y < oh; y++) {
    const fy = y * sy,
      y0 = Math.floor(fy),
      y1 = Math.min(y0 + 1, h - 1),
      dy = fy - y0;
    for (let x = 0; x < ow; x++) {
      const fx = x * sx,
        x0 = Math.floor(fx),
        x1 = Math.min(x0 + 1, w - 1),
        dx = fx - x0;
      const a = (y0 * w + x0) * c,
        b = (y0 * w + x1) * c,
        d = (y1 * w + x0) * c,
        e = (y1 * w + x1) * c,
        o = (y * ow + x) * c;
      for (let k = 0; k < c; k++) {
        const top = src[a + k] + (src[b + k] - src[a + k]) * dx;
        const bottom = src[d + k] + (src[e + k] - src[d + k]) * dx;
        out[o + k] = (top + (bottom - top) * dy) * scale;
      }
    }
  }
  return out;
}
