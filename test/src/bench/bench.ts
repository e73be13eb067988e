// What a benchmark is to the runner (run.ts): its name, how to run it, and the figures it reports.

export interface BenchResult {
  title: string;
  /** Markdown: a table of figures and a sentence on what bounds them. */
  markdown: string;
  figures: Record<string, number>;
}

export interface Bench {
  name: string;
  run(ctx: BenchContext): Promise<BenchResult>;
}

export interface BenchContext {
  /** a scratch directory of this benchmark's own under .data/bench */
  workDir: string;
  log(message: string): void;
}
