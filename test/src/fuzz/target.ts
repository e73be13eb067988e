// What `npm run fuzz` runs: a fuzz target is a module under targets/ whose default export says
// its name and runs a number of generated cases from a seed. Same seed, same cases: a failure
// is reproduced with `npm run fuzz -- <name> --seed <seed> --cases <n>`.

export interface FuzzResult {
  /** Figures printed in the report (streams, bytes, frames, …): what was tried and what came out. */
  counts: Record<string, number>;
  /** The first few broken properties, each with what is needed to replay it; empty when all held. */
  failures: string[];
}

export interface FuzzTarget {
  name: string;
  /** One line on what is fed where and what must hold. */
  description: string;
  /** Cases when the command line names none. */
  defaultCases: number;
  run(cases: number, seed: number): FuzzResult | Promise<FuzzResult>;
}

/** Keeps the first `limit` failure messages and counts the rest. */
export class FailureLog {
  readonly messages: string[] = [];
  count = 0;

  constructor(private readonly limit = 10) {}

  add(message: string): void {
    this.count++;
    if (this.messages.length < this.limit) this.messages.push(message);
  }
}
