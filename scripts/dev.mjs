// `make dev`: the whole backend on http://127.0.0.1:8787 with state kept under .yuyue/state.
import { join } from "node:path";
import { ROOT } from "./config.mjs";
import { startStack } from "./stack.mjs";

const port = Number(process.env.PORT ?? 8787);
const stateDir = process.env.YUYUE_STATE_DIR ?? join(ROOT, ".yuyue", "state");
const fakesPort = Number(process.env.FAKES_PORT ?? 8790);

const stack = await startStack({ port, stateDir, fakesPort, onLog: (line) => console.log(line) });
console.log(
  JSON.stringify({ stack: "ready", url: stack.url, fakes: stack.fakes.urls, state: stateDir }),
);

let closing = false;
async function shutdown() {
  if (closing) return;
  closing = true;
  await stack.close();
  process.exit(0);
}
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
