// A flat list of named tensors in one binary file plus a JSON index: the checkpoint format for
// network weights and optimizer state (exact float32 round trip).
import * as tf from '@tensorflow/tfjs';
import fs from 'node:fs';

interface BundleIndexEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  offset: number;
  length: number;
}

export function writeTensorBundle(binPath: string, jsonPath: string, tensors: { name: string; tensor: tf.Tensor }[]): void {
  const index: BundleIndexEntry[] = [];
  const chunks: Buffer[] = [];
  let offset = 0;
  for (const { name, tensor } of tensors) {
    const dtype = tensor.dtype === 'int32' ? 'int32' : 'float32';
    const data = dtype === 'int32' ? Int32Array.from(tensor.dataSync()) : Float32Array.from(tensor.dataSync());
    const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    index.push({ name, shape: tensor.shape, dtype, offset, length: data.length });
    chunks.push(buf);
    offset += buf.byteLength;
  }
  fs.writeFileSync(binPath, Buffer.concat(chunks));
  fs.writeFileSync(jsonPath, JSON.stringify(index));
}

export function readTensorBundle(binPath: string, jsonPath: string): { name: string; tensor: tf.Tensor }[] {
  const index: BundleIndexEntry[] = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
  const bin = fs.readFileSync(binPath);
  return index.map((e) => {
    const bytes = bin.subarray(e.offset, e.offset + e.length * 4);
    if (bytes.byteLength !== e.length * 4) throw new Error(`${binPath}: truncated at tensor ${e.name}`);
    const copy = new Uint8Array(bytes).buffer;
    const values = e.dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy);
    return { name: e.name, tensor: tf.tensor(values, e.shape, e.dtype) };
  });
}
