// Tests run on the wasm backend single-threaded (pthread workers would keep the test process alive).
import { initBackend } from '../../src/backend/backend.js';

export const useWasm = (fastKernels = true) => initBackend({ backend: 'wasm', threads: 1, fastKernels });
