// Five-point alignment: the similarity transform, the warp, and the mesh points it starts from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignArcFace, ARCFACE_112, fivePointsFromMesh, similarityTransform, warpAffine, type Point } from '../../src/faces/alignment.js';

const apply = (m: number[], [x, y]: Point): Point => [m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]];

test('similarityTransform recovers a known rotation + scale + shift exactly', () => {
  const angle = 0.3,
    scale = 1.7,
    tx = -12,
    ty = 30;
  const truth = [scale * Math.cos(angle), -scale * Math.sin(angle), tx, scale * Math.sin(angle), scale * Math.cos(angle), ty];
  const src: Point[] = [
    [10, 20],
    [50, 18],
    [30, 40],
    [14, 60],
    [46, 61],
  ];
  const m = similarityTransform(
    src,
    src.map((p) => apply(truth, p)),
  );
  m.forEach((v, i) => assert.ok(Math.abs(v - truth[i]) < 1e-9, `coefficient ${i}: ${v} vs ${truth[i]}`));
  assert.throws(
    () =>
      similarityTransform(
        [
          [1, 1],
          [1, 1],
        ],
        [
          [0, 0],
          [1, 1],
        ],
      ),
    /one place/,
  );
});

test('warpAffine moves image content where the transform says', () => {
  // a 40×40 black image with one white pixel at (10, 20); shift by (+5, −3) into a 40×40 crop
  const data = new Uint8Array(40 * 40 * 3);
  data.fill(255, (20 * 40 + 10) * 3, (20 * 40 + 10) * 3 + 3);
  const out = warpAffine({ data, width: 40, height: 40 }, [1, 0, 5, 0, 1, -3], 40);
  let at = -1;
  for (let i = 0; i < 40 * 40; i++) if (out[i * 3] > 250) at = i;
  assert.deepEqual([at % 40, Math.floor(at / 40)], [15, 17]);
});

test('alignArcFace puts the five landmarks on the template', () => {
  // landmarks of a face tilted and off-centre in a 200×200 image; paint a distinct colour at each
  const m = [0.6 * Math.cos(0.2), -0.6 * Math.sin(0.2), 20, 0.6 * Math.sin(0.2), 0.6 * Math.cos(0.2), 15]; // crop → image
  const pts = ARCFACE_112.map((p) => apply(m, p));
  const data = new Uint8Array(200 * 200 * 3);
  pts.forEach(([x, y], k) => {
    for (let dy = -1; dy <= 1; dy++)
      for (let dx = -1; dx <= 1; dx++) data[((Math.round(y) + dy) * 200 + Math.round(x) + dx) * 3] = 50 * (k + 1);
  });
  const crop = alignArcFace({ data, width: 200, height: 200 }, pts, 112);
  ARCFACE_112.forEach(([x, y], k) =>
    assert.ok(Math.abs(crop[(Math.round(y) * 112 + Math.round(x)) * 3] - 50 * (k + 1)) < 30, `landmark ${k} lands on the template`),
  );
});

test('fivePointsFromMesh orders eyes and mouth corners left to right', () => {
  const mesh = Array.from({ length: 468 }, () => [0, 0, 0]);
  mesh[33] = [80, 50, 0];
  mesh[133] = [60, 50, 0];
  mesh[362] = [30, 52, 0];
  mesh[263] = [10, 52, 0];
  mesh[1] = [45, 70, 0];
  mesh[61] = [60, 90, 0];
  mesh[291] = [30, 90, 0];
  assert.deepEqual(fivePointsFromMesh(mesh), [
    [20, 52],
    [70, 50],
    [45, 70],
    [30, 90],
    [60, 90],
  ]);
  assert.throws(() => fivePointsFromMesh(mesh.slice(0, 10)), /468/);
});
