// The rows of the paper's Table 3 as data: which losses train which network.
// Rec:Adv = adversarial reconstruction (G vs D), Rec:L2 = pixel L2 reconstruction (G),
// Rep:L2 = representation / distillation (E on real faces), Reg:L2 = regression E(G(X)) ≈ Y (G and E jointly).

export interface LossSwitches { recAdv: boolean; recL2: boolean; rep: boolean; reg: boolean }

export type GanArch = 'arch1' | 'arch2' | 'arch3' | 'arch4' | 'arch5' | 'arch6' | 'arch7' | 'r3an' | 'r3an-res';
/** Fitted in closed form: ridge regression and orthogonal Procrustes. */
export type ClosedFormArch = 'linear' | 'procrustes';
/** `auto` trains several families and keeps the one with the best validation (see train-mapper.ts). */
export type Arch = ClosedFormArch | 'fc' | GanArch | 'auto';

export const TABLE3: Record<GanArch, LossSwitches> = {
  arch1: { recAdv: false, recL2: true, rep: true, reg: false },
  arch2: { recAdv: true, recL2: false, rep: true, reg: false },
  arch3: { recAdv: false, recL2: false, rep: false, reg: true },
  arch4: { recAdv: false, recL2: true, rep: false, reg: true },
  arch5: { recAdv: false, recL2: true, rep: true, reg: true },
  arch6: { recAdv: true, recL2: false, rep: false, reg: true },
  arch7: { recAdv: false, recL2: false, rep: true, reg: true },
  r3an: { recAdv: true, recL2: true, rep: true, reg: true },
  // an extension, not the paper's: R³AN learning the residual of a frozen ridge map (see train-mapper.ts)
  'r3an-res': { recAdv: true, recL2: true, rep: true, reg: true },
};

/** Architectures whose networks learn the residual Y − ridge(X) on top of a frozen ridge map. */
export function isResidual(a: Arch): boolean { return a === 'r3an-res'; }

/** The paper's Table 3 row order: FC first, the seven ablations, R³AN last. */
export const TABLE3_ROWS: readonly Arch[] = ['fc', 'arch1', 'arch2', 'arch3', 'arch4', 'arch5', 'arch6', 'arch7', 'r3an'];
export const ARCHS: readonly Arch[] = ['linear', 'procrustes', ...TABLE3_ROWS, 'r3an-res', 'auto'];
/** The families `auto` compares, cheapest first (the R³AN family only when a time budget is given). */
export const AUTO_FAMILIES: readonly Arch[] = ['linear', 'procrustes', 'fc', 'r3an', 'r3an-res'];

export function isClosedForm(a: Arch): a is ClosedFormArch { return a === 'linear' || a === 'procrustes'; }

export function isArch(s: string): s is Arch { return (ARCHS as readonly string[]).includes(s); }
export function isGanArch(a: Arch): a is GanArch { return a in TABLE3; }

/** Whether an architecture needs face crops (any loss that looks at real images). */
export function needsCrops(a: Arch): boolean {
  if (!isGanArch(a)) return false;
  const s = TABLE3[a];
  return s.recAdv || s.recL2 || s.rep;
}
