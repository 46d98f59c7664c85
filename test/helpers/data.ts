import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** ../shared/data beside the checkout (CI has it there too). */
export const SHARED_DATA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/data');
export const BBT_DIR = path.join(SHARED_DATA, 'face-api-js-bbt', 'identities');
export const LFW_DIR = path.join(SHARED_DATA, 'lfw');
