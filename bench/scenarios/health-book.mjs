// The same request routed to another function's Worker: it should match the baseline, since
// every function shares the adapter; if it does not, routing or that function's start-up costs
// something the others do not.
import { steadyRun, allSucceeded } from "../lib/steady.mjs";

export default {
  name: "health-book",
  description: "GET /v1/health/book, 20 connections",
  setup: (stack) => ({ url: `${stack.url}/v1/health/book`, connections: 20 }),
  run: steadyRun,
  check: allSucceeded,
};
