// Runs a command against a fresh local stack on a free port, then tears everything down:
//   node scripts/with-stack.mjs -- node --test tests/
// The command sees YUYUE_BASE_URL, YUYUE_FAKES_URL, YUYUE_STACK_LOG (the Workers' log lines) and
// YUYUE_STATE_DIR (the D1/KV/Durable Object files, for the test that reads them at rest).
import { spawn } from "node:child_process";
import { mkdirSync, rmSync, createWriteStream } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./config.mjs";
import { startStack } from "./stack.mjs";

const sep = process.argv.indexOf("--");
const command = sep >= 0 ? process.argv.slice(sep + 1) : [];
if (command.length === 0) {
  console.error("usage: node scripts/with-stack.mjs -- <command> [args...]");
  process.exit(2);
}

const runDir = join(ROOT, ".yuyue", `run-${process.pid}`);
rmSync(runDir, { recursive: true, force: true });
mkdirSync(runDir, { recursive: true });
const logPath = join(runDir, "stack.log");
const log = createWriteStream(logPath);

let stack;
let code = 1;
try {
  // Tests read the metrics they caused at once, so every answer is counted as it happens.
  const stateDir = join(runDir, "state");
  stack = await startStack({
    port: 0,
    stateDir,
    onLog: (l) => log.write(l + "\n"),
    vars: { METRICS_FLUSH_MS: "0" },
  });
  code = await new Promise((resolve) => {
    const child = spawn(command[0], command.slice(1), {
      stdio: "inherit",
      env: {
        ...process.env,
        YUYUE_BASE_URL: stack.url,
        YUYUE_FAKES_URL: stack.fakes.urls.wechat.replace(/\/wechat$/, ""),
        YUYUE_STACK_LOG: logPath,
        YUYUE_STATE_DIR: stateDir,
      },
    });
    const forward = (sig) => child.kill(sig);
    process.on("SIGINT", forward);
    process.on("SIGTERM", forward);
    child.on("exit", (c, sig) => resolve(c ?? (sig ? 1 : 0)));
  });
} catch (err) {
  console.error(err);
} finally {
  if (stack) await stack.close();
  await new Promise((r) => log.end(r));
  if (code === 0 && !process.env.YUYUE_KEEP_RUN) rmSync(runDir, { recursive: true, force: true });
  else console.error(`stack state and log kept in ${runDir}`);
}
process.exit(code);
