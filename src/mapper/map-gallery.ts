// `r3an map`: moves a stored gallery into the mapper's target space, chunk by chunk, so galleries
// larger than memory work; the output appears atomically and records its lineage.
import { FeatureSet, FeatureSetError, FeatureSetStreamWriter, spaceOf } from '../features/feature-set.js';
import type { LoadedMapper } from './mapper.js';
import type { MappingRunner } from './onnx-runtime.js';

export interface MapOptions {
  chunkRows?: number;
  onChunk?: (rows: number) => void;
}

/** Refuses input that is not in the mapper's source space (model id and dim). */
export function checkMapperInput(mapper: LoadedMapper, input: FeatureSet): void {
  const src = mapper.manifest.source;
  if (input.model.id !== src.id || input.dim !== src.dim) {
    throw new FeatureSetError(`${input.dir}: features are in space ${input.space}, but mapper ${mapper.dir} maps from ${spaceOf(src)}`);
  }
  if (input.manifest.mappedFrom)
    throw new FeatureSetError(
      `${input.dir}: already mapped (from ${spaceOf(input.manifest.mappedFrom.source)}); map the original features`,
    );
}

/** Maps a whole feature set chunk by chunk through `runner` (onnxruntime or TF.js) into outDir, atomically. */
export async function mapFeatureSet(
  mapper: LoadedMapper,
  runner: MappingRunner,
  input: FeatureSet,
  outDir: string,
  opts: MapOptions = {},
): Promise<void> {
  checkMapperInput(mapper, input);
  const { source, target } = mapper.manifest;
  const chunk = opts.chunkRows ?? 4096;
  const writer = new FeatureSetStreamWriter(outDir, {
    model: target,
    items: input.items,
    mappedFrom: { source: input.model, mapper: { path: mapper.dir, arch: mapper.manifest.arch, createdAt: mapper.manifest.createdAt } },
    ...(input.manifest.dataset ? { dataset: input.manifest.dataset } : {}),
  });
  try {
    for (let s = 0; s < input.count; s += chunk) {
      const e = Math.min(input.count, s + chunk);
      const mapped = await runner.run(input.rows(s, e), source.dim, target.dim, target.normalization === 'l2');
      const bad = mapped.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0)
        throw new FeatureSetError(
          `${mapper.dir}: the mapping produced ${mapped[bad]} for row ${s + Math.floor(bad / target.dim)} of ${input.dir} (a diverged mapper?); nothing written`,
        );
      writer.append(mapped);
      opts.onChunk?.(e - s);
    }
  } catch (err) {
    writer.abort();
    throw err;
  }
  writer.commit();
}
