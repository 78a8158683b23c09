// The scenario registry is the directory bench/scenarios: every *.mjs there default-exports
//   { name, description, baseline?, setup(stack, ctx) -> options, run(options, ctx) -> result,
//     check?(result, options) -> [problem, ...] (or a promise of it),
//     prepare?(stack, ctx): run for every chosen scenario right after the stack starts, before
//       any scenario sends a request (data the Workers cache, such as extra halls),
//     compareTo?: the name of another scenario to compare with per request, when both ran }
// so a new scenario is a new file and nothing else changes. Exactly one scenario is the
// baseline (health); it always runs first so every other result can be divided by it.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const DIR = join(import.meta.dirname, "..", "scenarios");

export async function loadScenarios() {
  const files = readdirSync(DIR).filter((f) => f.endsWith(".mjs")).sort();
  const scenarios = [];
  for (const file of files) {
    const s = (await import(pathToFileURL(join(DIR, file)).href)).default;
    for (const key of ["name", "description", "setup", "run"]) {
      if (!s?.[key]) throw new Error(`bench/scenarios/${file}: missing export default { ${key} }`);
    }
    if (scenarios.some((t) => t.name === s.name)) throw new Error(`bench/scenarios/${file}: duplicate name ${s.name}`);
    scenarios.push(s);
  }
  const baselines = scenarios.filter((s) => s.baseline);
  if (baselines.length !== 1) throw new Error(`bench/scenarios: expected one baseline scenario, found ${baselines.length}`);
  return { scenarios, baseline: baselines[0] };
}

/** The baseline first, then the chosen scenarios in file order; all of them when none is chosen. */
export function select({ scenarios, baseline }, names) {
  const unknown = names.filter((n) => !scenarios.some((s) => s.name === n));
  if (unknown.length) {
    throw new Error(`unknown scenario ${unknown.join(", ")}; known: ${scenarios.map((s) => s.name).join(", ")}`);
  }
  const chosen = names.length ? scenarios.filter((s) => names.includes(s.name)) : scenarios;
  return [baseline, ...chosen.filter((s) => s !== baseline)];
}
