// The onnxruntime trainer holds the weights as arrays between steps: TF.js must see every update once it
// reads the networks, an outside write (a restored checkpoint) must win over the held copy, and steps
// must leave no tensors behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { makeConfig } from '../../src/train/config.js';
import { OnnxStepRunner } from '../../src/train/onnx/step-runner.js';
import { StepWorkerPool } from '../../src/train/onnx/step-pool.js';
import { Tape } from '../../src/onnx/tape.js';
import { encodeOnnxModel } from '../../src/onnx/proto.js';
import { GanTrainer } from '../../src/train/trainers.js';
import { mulberry32 } from '../../src/core/rng.js';
import { onnxRuntimeOrSkip, useWasm } from '../helpers/backend.js';

const ds = 16,
  dt = 12;

test('held weights: updates reach the variables on flush, an outside assignment wins over the held copy', async (t) => {
  const ort = await onnxRuntimeOrSkip(t);
  if (!ort) return;
  await useWasm(false);
  const trainer = new GanTrainer(makeConfig('r3an', { batchSize: 4, microBatch: 4, seed: 3 }), ds, dt);
  const runner = new OnnxStepRunner(
    ort,
    { g: trainer.nets.generator, d: trainer.nets.discriminator, e: trainer.nets.extractor },
    ds,
    dt,
    trainer.switches,
    trainer.cfg.lambda,
    1,
  );
  const v = trainer.nets.extractor.trainableWeights[0].read() as tf.Variable;
  const [held] = runner.weightArrays([v]);
  assert.deepEqual(held, v.dataSync(), 'read as the variable holds it');
  held[0] += 1;
  runner.weightsUpdated([v]);
  assert.notEqual(v.dataSync()[0], held[0], 'not written before a flush');
  runner.flush();
  assert.equal(v.dataSync()[0], held[0], 'written by the flush');
  assert.equal(runner.weightArrays([v])[0], held, 'the same array is held on');
  held[1] += 1;
  runner.weightsUpdated([v]);
  const restored = Float32Array.from(v.dataSync(), (x) => x * 2);
  tf.tidy(() => v.assign(tf.tensor(restored, v.shape)));
  assert.deepEqual(runner.weightArrays([v])[0], restored, 'an outside assignment replaces the unflushed update');
  runner.flush();
  assert.deepEqual(v.dataSync(), restored, 'and a flush does not undo it');
  await runner.release();
  await trainer.dispose();
});

test('training steps on onnxruntime with array-held Adam leave no tensors behind', async (t) => {
  const ort = await onnxRuntimeOrSkip(t);
  if (!ort) return;
  await useWasm(false);
  const rand = mulberry32(5),
    n = 4;
  const data = {
    n,
    ds,
    dt,
    identities: ['a', 'b', 'a', 'b'],
    paths: ['a/0', 'b/1', 'a/2', 'b/3'],
    x: Float32Array.from({ length: n * ds }, () => rand() - 0.5),
    y: Float32Array.from({ length: n * dt }, () => rand() - 0.5),
    crops: Uint8Array.from({ length: n * 56 * 56 * 3 }, () => Math.floor(rand() * 256)),
  };
  const trainer = new GanTrainer(makeConfig('r3an', { batchSize: n, microBatch: 2, seed: 3 }), ds, dt, { ort, threads: 1 });
  const rows = [0, 1, 2, 3];
  const read = () =>
    Object.values(trainer.nets).flatMap((m) => m.weights.map((w) => Float32Array.from(w.read().dataSync() as Float32Array)));
  await trainer.step(rows, data);
  const before = read(),
    tensors = tf.memory().numTensors;
  await trainer.step(rows, data);
  trainer.mapping();
  await trainer.step(rows, data);
  const after = read();
  assert.equal(tf.memory().numTensors, tensors, 'tensors held after three steps and two reads');
  assert.ok(
    after.some((a, i) => a.some((x, j) => x !== before[i][j])),
    'the networks as read changed with the steps',
  );
  await trainer.dispose();
});

test("the E and joint steps' micro-batches side by side in worker threads give exactly the one-thread runs one after another: losses, gradients, moving statistics, each twice (weights changed in between)", async (t) => {
  const ort = await onnxRuntimeOrSkip(t);
  if (!ort) return;
  await useWasm(false);
  const rand = mulberry32(23);
  const part = (size: number) => ({
    x: Float32Array.from({ length: size * ds }, () => rand() * 2 - 1),
    y: Float32Array.from({ length: size * dt }, () => rand() * 2 - 1),
    faces: Float32Array.from({ length: size * 56 * 56 * 3 }, () => rand() * 2 - 1),
    size,
  });
  const parts = [part(4), part(4), part(2)]; // three micro-batches on two workers, two sizes
  const trainers = [0, 1].map(() => new GanTrainer(makeConfig('r3an', { batchSize: 10, microBatch: 4, seed: 3 }), ds, dt));
  const runners = trainers.map(
    (tr, i) =>
      new OnnxStepRunner(
        ort,
        { g: tr.nets.generator, d: tr.nets.discriminator, e: tr.nets.extractor },
        ds,
        dt,
        tr.switches,
        tr.cfg.lambda,
        i === 0 ? 2 : 1, // two threads: side by side, one each; one thread: in turn
      ),
  );
  for (let round = 0; round < 4; round++) {
    const kind = round % 2 === 0 ? 'e' : 'reg';
    const [side, turn] = await Promise.all(runners.map((r) => r.runAll(kind, parts)));
    side.forEach((r, k) => {
      assert.deepEqual(r.losses, turn[k].losses, `round ${round} (${kind}), micro-batch ${k}: losses`);
      r.grads.forEach((g, i) =>
        assert.deepEqual(g, turn[k].grads[i], `round ${round} (${kind}), micro-batch ${k}: ${r.variables[i].name}`),
      );
    });
    // the same change to both runners' weights, as an optimiser step would make
    runners.forEach((r, i) => {
      const vars = (i === 0 ? side : turn)[0].variables;
      const arrays = r.weightArrays(vars);
      arrays.forEach((a, j) => a.forEach((_, q) => (a[q] -= 1e-3 * side[0].grads[j][q])));
      r.weightsUpdated(vars);
    });
  }
  for (const r of runners) r.flush();
  const moving = (tr: GanTrainer) =>
    [tr.nets.extractor, tr.nets.generator].flatMap((m) =>
      m.weights.filter((w) => /moving/.test(w.originalName)).map((w) => w.read().dataSync()),
    );
  assert.deepEqual(moving(trainers[0]), moving(trainers[1]), 'moving statistics');
  for (const r of runners) await r.release();
  for (const tr of trainers) await tr.dispose();
});

test('a training worker answers a graph it cannot load with an error naming it, and goes on serving', async (t) => {
  const ort = await onnxRuntimeOrSkip(t);
  if (!ort) return;
  const pool = new StepWorkerPool(1, 1);
  try {
    await assert.rejects(pool.run(0, 'broken', Uint8Array.of(1, 2, 3), []), /training worker: broken: .+/);
    // a one-node graph: y = x + x
    const t1 = new Tape();
    const x = t1.input('x', [3]);
    t1.output(t1.op('Add', [x, x], [3], 'y'), 'y');
    const out = await pool.run(0, 'double', encodeOnnxModel(t1.graph('double')), [
      { name: 'x', dims: [3], data: Float32Array.of(1, 2, 3) },
    ]);
    assert.deepEqual([...out.y.data], [2, 4, 6]);
  } finally {
    await pool.release();
  }
});
