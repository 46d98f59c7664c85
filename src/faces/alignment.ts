// Five-point face alignment as ArcFace/InsightFace models expect it: a similarity transform (rotation,
// uniform scale, translation) that puts the eyes, nose tip and mouth corners of a face onto a fixed
// template in a 112×112 crop, then bilinear resampling.
import type { RgbImage } from './image.js';

export type Point = [number, number];

/** InsightFace's reference landmarks for 112×112 crops: eye (image left), eye (image right), nose tip, mouth corners. */
export const ARCFACE_112: readonly Point[] = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];

// MediaPipe FaceMesh (Human's mesh) indices: eye corners, nose tip, mouth corners.
const EYE_A = [33, 133],
  EYE_B = [362, 263],
  NOSE_TIP = 1,
  MOUTH = [61, 291];

/** The five alignment points from a 468-point face mesh (image pixels), ordered like ARCFACE_112. */
export function fivePointsFromMesh(mesh: ArrayLike<ArrayLike<number>>): Point[] {
  if (mesh.length < 468) throw new Error(`face mesh has ${mesh.length} points, expected 468`);
  const mid = (i: number, j: number): Point => [(mesh[i][0] + mesh[j][0]) / 2, (mesh[i][1] + mesh[j][1]) / 2];
  const at = (i: number): Point => [mesh[i][0], mesh[i][1]];
  const eyes = [mid(EYE_A[0], EYE_A[1]), mid(EYE_B[0], EYE_B[1])].sort((a, b) => a[0] - b[0]);
  const mouth = [at(MOUTH[0]), at(MOUTH[1])].sort((a, b) => a[0] - b[0]);
  return [eyes[0], eyes[1], at(NOSE_TIP), mouth[0], mouth[1]];
}

/** 2×3 matrix [a, -b, tx; b, a, ty] of the least-squares similarity transform mapping src onto dst (Umeyama, no reflection). */
export function similarityTransform(src: readonly Point[], dst: readonly Point[]): number[] {
  const n = src.length;
  let sx = 0,
    sy = 0,
    dx = 0,
    dy = 0;
  for (let i = 0; i < n; i++) {
    sx += src[i][0];
    sy += src[i][1];
    dx += dst[i][0];
    dy += dst[i][1];
  }
  sx /= n;
  sy /= n;
  dx /= n;
  dy /= n;
  let num1 = 0,
    num2 = 0,
    den = 0;
  for (let i = 0; i < n; i++) {
    const px = src[i][0] - sx,
      py = src[i][1] - sy,
      qx = dst[i][0] - dx,
      qy = dst[i][1] - dy;
    num1 += px * qx + py * qy;
    num2 += px * qy - py * qx;
    den += px * px + py * py;
  }
  if (den === 0) throw new Error('alignment points are all at one place');
  const a = num1 / den,
    b = num2 / den;
  return [a, -b, dx - (a * sx - b * sy), b, a, dy - (b * sx + a * sy)];
}

/** size×size×3 float RGB (0..255) of the image warped by the 2×3 transform m (source → crop); outside pixels are 0. */
export function warpAffine(img: RgbImage, m: number[], size: number): Float32Array {
  // invert m to find, for each crop pixel, where it comes from
  const [a, b0, tx, c, d, ty] = m;
  const det = a * d - b0 * c;
  const ia = d / det,
    ib = -b0 / det,
    ic = -c / det,
    id = a / det;
  const out = new Float32Array(size * size * 3);
  const { width: w, height: h, data } = img;
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      const x = ia * (u - tx) + ib * (v - ty),
        y = ic * (u - tx) + id * (v - ty);
      const x0 = Math.floor(x),
        y0 = Math.floor(y),
        fx = x - x0,
        fy = y - y0;
      const o = (v * size + u) * 3;
      for (let k = 0; k < 3; k++) {
        const px = (xx: number, yy: number) => (xx >= 0 && yy >= 0 && xx < w && yy < h ? data[(yy * w + xx) * 3 + k] : 0);
        out[o + k] = (1 - fy) * ((1 - fx) * px(x0, y0) + fx * px(x0 + 1, y0)) + fy * ((1 - fx) * px(x0, y0 + 1) + fx * px(x0 + 1, y0 + 1));
      }
    }
  }
  return out;
}

/** The face aligned onto the ArcFace template at size×size (the template scales with size). */
export function alignArcFace(img: RgbImage, points: readonly Point[], size = 112): Float32Array {
  const s = size / 112;
  return warpAffine(
    img,
    similarityTransform(
      points,
      ARCFACE_112.map(([x, y]) => [x * s, y * s] as Point),
    ),
    size,
  );
}
