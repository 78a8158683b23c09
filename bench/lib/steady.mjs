// The run of a steady-state scenario: load for ctx.warmupSec and throw the numbers away (the
// first requests to a function instantiate its wasm and fill caches), then measure the same
// load for ctx.durationSec. Scenarios that change state (bookings) must not reuse this: their
// warm-up would spend the inventory they are about to measure.
import { load } from "./load.mjs";

export async function steadyRun(options, ctx) {
  if (ctx.warmupSec > 0) {
    const { amount: _ignored, ...rest } = options;
    await load({ ...rest, durationSec: ctx.warmupSec });
  }
  return load({ ...options, durationSec: ctx.durationSec });
}

/** A `check` for scenarios where anything but a 2xx means the stack, not the load, is broken. */
export function allSucceeded(result, options) {
  const problems = [];
  if (result.non2xx > 0) problems.push(`${result.non2xx} non-2xx responses: ${JSON.stringify(result.statusCodes)}`);
  if (result.errors > 0) problems.push(`${result.errors} errors (${result.timeouts} timeouts)`);
  if (result.requests === 0) problems.push("no responses at all");
  // More unanswered than the requests in flight when the run stopped: connections were lost.
  if (result.unanswered > options.connections) problems.push(`${result.unanswered} requests never answered`);
  return problems;
}
