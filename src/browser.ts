// The browser build (dist/browser/r3an.js, an ES module with TF.js inside): load a mapper over HTTP
// and map descriptors that face-api.js or Human computed in the page. Same code path as Node's
// loadMapper for URLs, so the same standardisation, networks and L2 normalisation apply.
import * as tf from '@tensorflow/tfjs';

export { loadMapperFromUrl as loadMapper, MapperLoadError, type Mapper, type MapperInfo } from './mapper/portable-mapper.js';

/** Cosine similarity of two descriptors (both are L2-normalised by the mapper and by the models). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0,
    na = 0,
    nb = 0;
  for (let i = 0; i < a.length; i++) {
    s += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na && nb ? s / Math.sqrt(na * nb) : 0;
}

/** The best matches of a descriptor in a gallery of labelled descriptors, highest cosine first. */
export function bestMatches(
  query: ArrayLike<number>,
  gallery: ReadonlyArray<{ label: string; descriptor: ArrayLike<number> }>,
  k = 3,
): { label: string; score: number }[] {
  return gallery
    .map((g) => ({ label: g.label, score: cosine(query, g.descriptor) }))
    .sort((x, y) => y.score - x.score)
    .slice(0, k);
}

/** The TF.js backend the page runs on ('webgl' where available, else 'cpu'). */
export async function ready(): Promise<string> {
  await tf.ready();
  return tf.getBackend();
}
