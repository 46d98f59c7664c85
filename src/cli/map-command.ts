import { checkOutputDir, FEATURE_SET_OUTPUT, FORCE_HELP } from '../io/output-policy.js';
import { FeatureSet } from '../features/feature-set.js';
import { mapFeatureSet } from '../mapper/map-gallery.js';
import { loadMapper } from '../mapper/mapper.js';
import { createMappingRunner } from '../mapper/onnx-runtime.js';
import { BACKEND_HELP, BACKEND_OPTIONS, intOption, parse, required } from './args.js';
import { backendFromArgs } from './backend-options.js';
import { Progress } from './progress.js';

export const MAP_HELP = `r3an map — move a stored gallery into the mapper's target space

Usage: r3an map --mapper MAPPER --in FS --out FS [--chunk N] [--runtime auto|onnx|tfjs]

  --mapper MAPPER    a directory written by r3an train
  --in FS            feature set in the mapper's source space (same model id and dimension)
  --out FS           output feature set (written atomically); its manifest records the target space,
                     the source model and the mapper it came through
  --chunk N          rows mapped per chunk (default 4096): galleries larger than memory stream through
${FORCE_HELP}
${BACKEND_HELP}
With onnxruntime the mapping is exported to ONNX in memory and run there.`;

export async function mapCommand(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    mapper: { type: 'string' },
    in: { type: 'string' },
    out: { type: 'string' },
    chunk: { type: 'string' },
    force: { type: 'boolean' },
    ...BACKEND_OPTIONS,
  });
  if (values.help) {
    console.log(MAP_HELP);
    return;
  }
  const mapperDir = required(values, 'mapper'),
    inDir = required(values, 'in'),
    outDir = required(values, 'out');
  checkOutputDir(outDir, FEATURE_SET_OUTPUT, [mapperDir, inDir], Boolean(values.force));
  const backend = await backendFromArgs(values);
  const mapper = await loadMapper(mapperDir);
  const input = FeatureSet.open(inDir);
  const runner = await createMappingRunner(mapper.mapping, backend.runtime, backend.threads);
  const bar = new Progress({ label: `map (${runner.runtime})`, total: input.count, unit: 'features' });
  const t0 = Date.now();
  try {
    await mapFeatureSet(mapper, runner, input, outDir, { chunkRows: intOption(values, 'chunk'), onChunk: (n) => bar.tick(n) });
  } finally {
    await runner.dispose();
  }
  bar.finish();
  const secs = (Date.now() - t0) / 1000;
  console.log(
    `mapped ${input.count} features ${mapper.manifest.source.id} → ${mapper.manifest.target.id} on ${runner.runtime} in ${secs.toFixed(1)} s (${(input.count / secs).toFixed(0)} features/s): ${outDir}`,
  );
}
