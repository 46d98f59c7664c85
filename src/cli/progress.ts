// A progress bar for long jobs: one redrawn line on a terminal, a periodic log line otherwise.
export interface ProgressOptions {
  label: string;
  total: number;
  unit?: string;
  stream?: NodeJS.WriteStream;
  quiet?: boolean;
}

export class Progress {
  private done = 0;
  private readonly start = Date.now();
  private lastDraw = 0;
  private info = '';
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  constructor(
    private readonly opts: ProgressOptions,
    initial = 0,
  ) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
    this.done = initial;
    this.startDone = initial;
  }
  private readonly startDone: number;

  /** `info` may be a function, evaluated after the count (and so the rate) is updated. */
  tick(n = 1, info?: string | (() => string)): void {
    this.done += n;
    if (info != null) this.info = typeof info === 'function' ? info() : info;
    const now = Date.now();
    if (now - this.lastDraw >= (this.tty ? 150 : 15000) || this.done >= this.opts.total) {
      this.lastDraw = now;
      this.draw();
    }
  }

  /** items per second since this bar started */
  get rate(): number {
    return (this.done - this.startDone) / Math.max(1e-3, (Date.now() - this.start) / 1000);
  }

  private draw(): void {
    if (this.opts.quiet) return;
    const { total, label, unit = 'it' } = this.opts;
    const frac = total ? Math.min(1, this.done / total) : 0;
    const width = 24;
    const bar = '█'.repeat(Math.round(frac * width)).padEnd(width, '░');
    const rate = this.rate;
    const eta = rate > 0 ? (total - this.done) / rate : Infinity;
    const line = `${label} ${bar} ${this.done}/${total} ${rate.toFixed(rate < 10 ? 2 : 0)} ${unit}/s ETA ${formatDuration(eta)}${this.info ? ' ' + this.info : ''}`;
    if (this.tty) this.stream.write(`\r\x1b[2K${line}`);
    else this.stream.write(line + '\n');
  }

  finish(message?: string): void {
    if (!this.opts.quiet) {
      this.draw();
      if (this.tty) this.stream.write('\n');
      if (message) this.stream.write(message + '\n');
    }
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
