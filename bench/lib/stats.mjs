// The statistics the bench's tools share.

/** The median of numbers: the middle one, or the mean of the two in the middle. */
export function median(xs) {
  const v = [...xs].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** Each phase's median ms over several runs' measurements (`{ phase: { ms } }` each). */
export function medianPhases(runs) {
  const names = Object.keys(runs[0] ?? {});
  return Object.fromEntries(names.map((name) => [name, { ms: median(runs.map((r) => r[name].ms)) }]));
}

/**
 * The whole number after `--runs` in `argv` (at least 1), or `fallback` when it is not given: how
 * many fresh stacks a tool measures on, each phase's median taken over them.
 */
export function runsOption(argv, fallback) {
  const at = argv.indexOf("--runs");
  const runs = at < 0 ? fallback : Number(argv[at + 1]);
  if (!(Number.isInteger(runs) && runs >= 1)) throw new Error("--runs takes a whole number of runs, at least 1");
  return runs;
}
