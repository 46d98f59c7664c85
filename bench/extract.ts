// `npm run bench:extract`: feature extraction speed per zoo model on the first N images of a dataset
// (default: 200 of LFW), on 1 and 2 threads; decoding, detection (detector + landmarks alone) and the
// whole embed call timed apart, embedding = embed − detection, on each runtime (tfjs: everything on
// TF.js wasm, as Human and face-api run it; onnx: the networks r3an runs itself on onnxruntime). Each
// (model, threads, runtime) runs in its own process (wasm's thread count is fixed per process). Prints
// images/s, the ratio of each runtime to tfjs in the same run (the zoo records these figures as
// typicalImagesPerSecond, for time estimates), and the ratio to the figures the speed goal was set
// against (BEFORE).
// Usage: node dist/bench/extract.js [--data DIR] [--images 200] [--models a,b] [--threads 1,2] [--runtimes tfjs,onnx]
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../src/backend/backend.js';
import { listDataset } from '../src/faces/dataset.js';
import { decodeRgb, type RgbImage } from '../src/faces/image.js';
import { zooEntry } from '../src/faces/zoo.js';
import type { Runtime } from '../src/backend/onnxruntime.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: path.resolve(fileURLToPath(import.meta.url), '../../../../shared/data/lfw/lfw-deepfunneled') },
    images: { type: 'string', default: '200' },
    models: { type: 'string', default: 'human/faceres,human/mobileface,faceapi/recognition' },
    threads: { type: 'string', default: '1,2' },
    runtimes: { type: 'string', default: 'tfjs,onnx' },
    child: { type: 'boolean', default: false },
  },
});

/**
 * images/s when the speed goal (≥ 5×) was set: one thread each, two extractions side by side, on the
 * development machine of the time (the middle of the measured ranges face-api 1.0–1.5, FaceRes 2.6–3.1,
 * MobileFace 7.3–7.9). A reference for the ratio, not a measurement of this run.
 */
const BEFORE: Record<string, number> = { 'faceapi/recognition': 1.25, 'human/faceres': 2.85, 'human/mobileface': 7.6 };

interface Timing {
  model: string;
  threads: number;
  runtime: Runtime;
  images: number;
  decodeMs: number;
  detectMs: number | null;
  embedMs: number;
  faces: number;
}

async function measure(model: string, threads: number, runtime: Runtime, n: number): Promise<Timing> {
  await initBackend({ backend: 'wasm', threads });
  const items = listDataset(values.data!, { limit: n });
  const root = values.data!;
  const t0 = performance.now();
  const imgs: RgbImage[] = [];
  for (const it of items) imgs.push(await decodeRgb(path.join(root, it.path)));
  const decodeMs = (performance.now() - t0) / imgs.length;
  const embedder = await zooEntry(model).create({ runtime }); // as r3an extract: --threads is TF.js's, onnxruntime keeps one
  // warm-up: the first calls compile kernels and allocate
  for (const img of imgs.slice(0, 2)) {
    await embedder.embed(img);
    await embedder.detect?.(img);
  }
  // detection alone and the whole embed call alternate image by image, so the machine's drift cancels
  let detect = 0,
    embed = 0,
    faces = 0;
  for (const img of imgs) {
    if (embedder.detect) {
      const t0 = performance.now();
      await embedder.detect(img);
      detect += performance.now() - t0;
    }
    const t1 = performance.now();
    if (await embedder.embed(img)) faces++;
    embed += performance.now() - t1;
  }
  const detectMs = embedder.detect ? detect / imgs.length : null,
    embedMs = embed / imgs.length;
  return { model, threads, runtime, images: imgs.length, decodeMs, detectMs, embedMs, faces };
}

if (values.child) {
  const [model] = values.models!.split(',');
  const t = await measure(model, Number(values.threads), values.runtimes as Runtime, Number(values.images));
  console.log(JSON.stringify(t));
  process.exit(0); // wasm threads keep the process alive
} else {
  const models = values.models!.split(',');
  for (const m of models) zooEntry(m); // unknown ids fail before any work
  console.log(`${values.images} images of ${values.data}; TF.js on wasm; one process per row`);
  console.log('| model | threads | runtime | images/s | × tfjs | × before | decode ms | detection ms | embedding ms | faces found |');
  console.log('| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const model of models)
    for (const threads of values.threads!.split(',').map(Number)) {
      let tfjsRate: number | undefined;
      for (const runtime of values.runtimes!.split(',') as Runtime[]) {
        const out = execFileSync(
          process.execPath,
          [
            fileURLToPath(import.meta.url),
            '--child',
            '--models',
            model,
            '--threads',
            String(threads),
            '--runtimes',
            runtime,
            '--images',
            values.images!,
            '--data',
            values.data!,
          ],
          { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 },
        );
        const t = JSON.parse(out.trim().split('\n').pop()!) as Timing;
        const rate = 1000 / (t.decodeMs + t.embedMs);
        if (runtime === 'tfjs') tfjsRate = rate;
        const det = t.detectMs == null ? '–' : t.detectMs.toFixed(1);
        const emb = t.detectMs == null ? t.embedMs.toFixed(1) : (t.embedMs - t.detectMs).toFixed(1);
        console.log(
          `| ${model} | ${threads} | ${runtime} | ${rate.toFixed(2)} | ${tfjsRate ? `${(rate / tfjsRate).toFixed(2)}×` : '–'} | ${BEFORE[model] ? `${(rate / BEFORE[model]).toFixed(1)}×` : '–'} | ${t.decodeMs.toFixed(1)} | ${det} | ${emb} | ${t.faces}/${t.images} |`,
        );
      }
    }
}
