// The stack a bench run measures: scripts/stack.mjs on a free loopback port, with state in a
// throw-away .yuyue/bench-<pid> that goes away with the run (kept, with the Workers' log, only
// when asked), and nothing left running afterwards, whether the run ends normally or by signal.
import { mkdirSync, rmSync, createWriteStream } from "node:fs";
import { join, relative } from "node:path";
import { startStack } from "../../scripts/stack.mjs";
import { cpuSnapshot } from "./cpu.mjs";

const SIGNALS = ["SIGINT", "SIGTERM"];

/**
 * Resolves to the started stack ({ url, fakes, ... }) with an idempotent `close()`. `tag` names
 * the state directory (.yuyue/bench-<pid>-<tag>) when a run starts several stacks.
 * `inspectorPort`: V8's inspector for every isolate on that port (see `isolates.mjs`).
 */
export async function startBenchStack({ root, keep = false, say = () => {}, tag = "", inspectorPort }) {
  const runDir = join(root, ".yuyue", `bench-${process.pid}${tag ? `-${tag}` : ""}`);
  rmSync(runDir, { recursive: true, force: true });
  mkdirSync(runDir, { recursive: true });
  // Workers print one log line per request; only --keep pays for writing them.
  const log = keep ? createWriteStream(join(runDir, "stack.log")) : null;

  const removeRunDir = () => keep || rmSync(runDir, { recursive: true, force: true });
  // Whatever way the process ends (Miniflare's own signal handler exits at once), the state goes.
  process.on("exit", removeRunDir);

  let stack;
  let closing;
  const close = () =>
    (closing ??= (async () => {
      if (stack) await stack.close().catch((err) => say(`closing the stack: ${err.message}`));
      if (log) await new Promise((r) => log.end(r));
      reapLeftovers(say);
      if (keep) say(`state and log kept in ${relative(root, runDir)}`);
      removeRunDir();
    })());
  const onSignal = (sig) => {
    say(`${sig}: tearing down`);
    close().finally(() => process.exit(130));
  };
  for (const sig of SIGNALS) process.on(sig, onSignal);

  say(`starting the stack (state in ${relative(root, runDir)})`);
  try {
    stack = await startStack({
      host: "127.0.0.1",
      port: 0,
      stateDir: join(runDir, "state"),
      onLog: log ? (line) => log.write(line + "\n") : () => {},
      inspectorPort,
    });
  } catch (err) {
    await close();
    throw err;
  }
  // Miniflare's signal handler SIGKILLs workerd and exits without waiting for it (it lingers as
  // a zombie on this machine) or for our teardown; once the stack is up, ours alone runs.
  for (const sig of SIGNALS) {
    for (const l of process.listeners(sig)) if (l !== onSignal) process.removeListener(sig, l);
  }
  return { ...stack, runDir, close };
}

/** Miniflare's dispose stops workerd; should anything of ours outlive it, end it by pid. */
function reapLeftovers(say) {
  // A zombie (state Z) has already exited and only awaits its parent's wait(): nothing to end.
  const left = Object.entries(cpuSnapshot().descendants).filter(([, p]) => p.state !== "Z");
  for (const [pid, p] of left) {
    say(`process ${pid} (${p.comm}) outlived the stack; sending SIGTERM`);
    try {
      process.kill(Number(pid), "SIGTERM");
    } catch {
      // already gone
    }
  }
}
