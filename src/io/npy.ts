// NumPy .npy (format 1.0) for float32 and uint8 C-ordered arrays: readable by numpy.load, streamable
// by rows so galleries larger than memory can be read and written in chunks.
import fs from 'node:fs';

export type NpyDtype = 'float32' | 'uint8';
const DESCR: Record<NpyDtype, string> = { float32: '<f4', uint8: '|u1' };
const BYTES: Record<NpyDtype, number> = { float32: 4, uint8: 1 };
const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]);

export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  dataOffset: number;
}

export function npyHeaderBytes(dtype: NpyDtype, shape: number[]): Buffer {
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  const unpadded = MAGIC.length + 2 + 2 + dict.length + 1;
  dict += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const head = Buffer.alloc(MAGIC.length + 4);
  MAGIC.copy(head, 0);
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(dict.length, 8);
  return Buffer.concat([head, Buffer.from(dict, 'latin1')]);
}

export function readNpyHeader(file: string): NpyHeader {
  const fd = fs.openSync(file, 'r');
  try {
    const pre = Buffer.alloc(12);
    if (fs.readSync(fd, pre, 0, 12, 0) < 10 || !pre.subarray(0, 6).equals(MAGIC)) throw new Error(`${file}: not a .npy file`);
    const major = pre[6];
    const headerLen = major === 1 ? pre.readUInt16LE(8) : pre.readUInt32LE(8);
    const start = major === 1 ? 10 : 12;
    const buf = Buffer.alloc(headerLen);
    fs.readSync(fd, buf, 0, headerLen, start);
    const text = buf.toString('latin1');
    const descr = /'descr':\s*'([^']+)'/.exec(text)?.[1];
    const fortran = /'fortran_order':\s*(True|False)/.exec(text)?.[1];
    const shapeText = /'shape':\s*\(([^)]*)\)/.exec(text)?.[1];
    if (descr == null || fortran == null || shapeText == null) throw new Error(`${file}: malformed .npy header`);
    if (fortran === 'True') throw new Error(`${file}: Fortran-ordered arrays are not supported`);
    const dtype = (Object.keys(DESCR) as NpyDtype[]).find((d) => DESCR[d] === descr);
    if (!dtype) throw new Error(`${file}: unsupported dtype ${descr} (expected float32 '<f4' or uint8 '|u1')`);
    const shape = shapeText
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map(Number);
    const header: NpyHeader = { dtype, shape, dataOffset: start + headerLen };
    const expected = header.dataOffset + shape.reduce((a, b) => a * b, 1) * BYTES[dtype];
    const actual = fs.fstatSync(fd).size;
    if (actual < expected) throw new Error(`${file}: truncated (${actual} bytes, expected ${expected} for shape [${shape}])`);
    return header;
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads rows [start, end) of a 2-D or higher array whose first axis is rows. */
export function readNpyRows(file: string, header: NpyHeader, start: number, end: number): Float32Array | Uint8Array {
  const rowElems = header.shape.slice(1).reduce((a, b) => a * b, 1);
  const bytes = BYTES[header.dtype];
  const count = Math.max(0, end - start) * rowElems;
  const buf = new ArrayBuffer(count * bytes);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, new Uint8Array(buf), 0, count * bytes, header.dataOffset + start * rowElems * bytes);
  } finally {
    fs.closeSync(fd);
  }
  return header.dtype === 'float32' ? new Float32Array(buf) : new Uint8Array(buf);
}

export function encodeNpy(dtype: NpyDtype, shape: number[], data: Float32Array | Uint8Array): Buffer {
  const n = shape.reduce((a, b) => a * b, 1);
  if (data.length !== n) throw new Error(`encodeNpy: shape [${shape}] needs ${n} values, got ${data.length}`);
  return Buffer.concat([npyHeaderBytes(dtype, shape), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}
