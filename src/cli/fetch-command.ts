// `r3an fetch lfw`: the dataset, downloaded (resumable, checksummed) or taken from a local copy.
import { fetchDataset, defaultDataDir, REMOTE_DATASETS } from '../datasets/remote-dataset.js';
import { parse, UsageError } from './args.js';
import { Progress } from './progress.js';

export const FETCH_HELP = `r3an fetch — download a face dataset (like sklearn's or torchvision's dataset fetchers)

Usage: r3an fetch lfw [--dir DIR] [--from DIR] [--url BASE]

  lfw            Labeled Faces in the Wild: deep-funneled images (lfw-deepfunneled/, 13,233 images,
                 5,749 people) and the protocol files pairs.txt, people.txt, pairsDevTrain.txt, pairsDevTest.txt
  --dir DIR      where to keep it (default ${defaultDataDir('lfw')}; $R3AN_DATA changes the base)
  --from DIR     use a complete local copy instead of downloading (its protocol files are checksummed)
  --url BASE     download from a mirror instead of ${REMOTE_DATASETS.lfw.baseUrl}

Every file is checked against its MD5; an interrupted download resumes where it stopped (FILE.part);
a corrupt archive is deleted and refused with both checksums. Prints the image folder to pass as --data.`;

export async function fetchCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { dir: { type: 'string' }, from: { type: 'string' }, url: { type: 'string' } });
  if (values.help || positionals.length === 0) {
    console.log(FETCH_HELP);
    return;
  }
  const spec = REMOTE_DATASETS[positionals[0]];
  if (!spec) throw new UsageError(`unknown dataset "${positionals[0]}" (${Object.keys(REMOTE_DATASETS).join(', ')})`);
  let bar: Progress | undefined;
  const r = await fetchDataset(spec, {
    dir: values.dir as string | undefined,
    from: values.from as string | undefined,
    baseUrl: values.url as string | undefined,
    log: (m) => console.error(m),
    progress: (file) => ({
      onStart: (total, have) => {
        bar = new Progress({ label: file, total: Math.ceil((total ?? 0) / 2 ** 20), unit: 'MiB' }, Math.floor(have / 2 ** 20));
      },
      onBytes: (() => {
        let acc = 0;
        return (n: number) => {
          acc += n;
          const mb = Math.floor(acc / 2 ** 20);
          if (mb > 0) {
            acc -= mb * 2 ** 20;
            bar?.tick(mb);
          }
        };
      })(),
    }),
  });
  bar?.finish();
  console.log(r.images);
}
