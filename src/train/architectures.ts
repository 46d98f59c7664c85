// What an architecture is, in one place: one descriptor per mapping architecture (label, how it is
// fitted, the paper's Table 3 loss switches for the R³AN family). Everything else (trainer choice,
// crops, budgets, table labels and check marks) reads these descriptors; adding an architecture is a
// descriptor here plus, for a new kind of network, its file in nn/.
// Rec:Adv = adversarial reconstruction (G vs D), Rec:L2 = pixel L2 reconstruction (G),
// Rep:L2 = representation / distillation (E on real faces), Reg:L2 = regression E(G(X)) ≈ Y (G and E jointly).

export interface LossSwitches {
  recAdv: boolean;
  recL2: boolean;
  rep: boolean;
  reg: boolean;
}

export type GanArch = 'arch1' | 'arch2' | 'arch3' | 'arch4' | 'arch5' | 'arch6' | 'arch7' | 'r3an' | 'r3an-res';
/** Fitted in closed form: ridge regression and orthogonal Procrustes. */
export type ClosedFormArch = 'linear' | 'procrustes';
/** `auto` trains several families and keeps the one with the best validation (see train-mapper.ts). */
export type Arch = ClosedFormArch | 'fc' | GanArch | 'auto';

export interface Architecture {
  label: string;
  /**
   * How it is fitted: 'ridge' and 'procrustes' in closed form (nn/linear.ts, nn/procrustes.ts), 'mlp'
   * the FC baseline (nn/mlp.ts), 'gan' the R³AN family (nn/generator, discriminator, extractor), 'auto'
   * a comparison of AUTO_FAMILIES.
   */
  fit: 'ridge' | 'procrustes' | 'mlp' | 'gan' | 'auto';
  /** the R³AN family: which sub-steps run (Table 3) */
  losses?: LossSwitches;
  /** the networks learn the residual Y − ridge(X) of a frozen ridge map, starting at its result */
  residual?: boolean;
}

const gan = (
  label: string,
  recAdv: boolean,
  recL2: boolean,
  rep: boolean,
  reg: boolean,
  extra: Partial<Architecture> = {},
): Architecture => ({ label, fit: 'gan', losses: { recAdv, recL2, rep, reg }, ...extra });

export const ARCHITECTURES: Record<Arch, Architecture> = {
  linear: { label: 'Linear (ridge)', fit: 'ridge' },
  procrustes: { label: 'Procrustes', fit: 'procrustes' },
  fc: { label: 'FC', fit: 'mlp' },
  arch1: gan('Arch 1', false, true, true, false),
  arch2: gan('Arch 2', true, false, true, false),
  arch3: gan('Arch 3', false, false, false, true),
  arch4: gan('Arch 4', false, true, false, true),
  arch5: gan('Arch 5', false, true, true, true),
  arch6: gan('Arch 6', true, false, false, true),
  arch7: gan('Arch 7', false, false, true, true),
  r3an: gan('R³AN', true, true, true, true),
  // an extension, not the paper's: R³AN learning the residual of a frozen ridge map
  'r3an-res': gan('R³AN-res (extension)', true, true, true, true, { residual: true }),
  auto: { label: 'auto', fit: 'auto' },
};

/** The paper's Table 3 row order: FC first, the seven ablations, R³AN last. */
export const TABLE3_ROWS: readonly Arch[] = ['fc', 'arch1', 'arch2', 'arch3', 'arch4', 'arch5', 'arch6', 'arch7', 'r3an'];
export const ARCHS = Object.keys(ARCHITECTURES) as readonly Arch[];
/** The families `auto` compares, cheapest first (the R³AN family only when a time budget is given). */
export const AUTO_FAMILIES: readonly Arch[] = ['linear', 'procrustes', 'fc', 'r3an', 'r3an-res'];

export function isArch(s: string): s is Arch {
  return Object.hasOwn(ARCHITECTURES, s);
}
/** The table label of an architecture id (the id itself when unknown, e.g. from an older file). */
export function archLabel(a: string): string {
  return isArch(a) ? ARCHITECTURES[a].label : a;
}
export function isClosedForm(a: Arch): a is ClosedFormArch {
  const f = ARCHITECTURES[a].fit;
  return f === 'ridge' || f === 'procrustes';
}
export function isGanArch(a: Arch): a is GanArch {
  return ARCHITECTURES[a].fit === 'gan';
}
export function isResidual(a: Arch): boolean {
  return ARCHITECTURES[a].residual === true;
}
/** Whether iteration and time budgets (--iters, --time, --pretrain) apply: the R³AN family and auto. */
export function isBudgeted(a: Arch): boolean {
  const f = ARCHITECTURES[a].fit;
  return f === 'gan' || f === 'auto';
}
/** The Table 3 loss switches of an R³AN-family architecture. */
export function lossSwitches(a: GanArch): LossSwitches {
  return ARCHITECTURES[a].losses!;
}

/** Whether an architecture needs face crops (any loss that looks at real images). */
export function needsCrops(a: Arch): boolean {
  const s = ARCHITECTURES[a].losses;
  return s != null && (s.recAdv || s.recL2 || s.rep);
}
