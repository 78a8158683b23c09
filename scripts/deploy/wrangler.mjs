// Runs the pinned wrangler under the Node that runs this script (the `node` devDependency, when
// started through npm), never a prompt: stdin is closed, so wrangler takes its non-interactive
// answers (yes to applying migrations, no to rewriting a config file).
import { spawn } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "../config.mjs";

// tests/deploy/deploy.test.mjs points YUYUE_WRANGLER at a fake account.
const WRANGLER = process.env.YUYUE_WRANGLER ?? join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

/** Resolves to { code, stdout, stderr }; output is captured when `capture`, else shown. */
export function wrangler(args, { capture = false } = {}) {
  if (!capture) console.error(`$ wrangler ${args.join(" ")}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WRANGLER, ...args], {
      cwd: ROOT,
      stdio: ["ignore", capture ? "pipe" : "inherit", capture ? "pipe" : "inherit"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d) => (stdout += d));
    child.stderr?.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), stdout, stderr }));
  });
}

/** Like `wrangler`, but a failure is an error carrying what wrangler said. */
export async function wranglerOk(args, options) {
  const r = await wrangler(args, options);
  if (r.code !== 0) {
    const said = `${r.stdout}\n${r.stderr}`.trim();
    throw new Error(`wrangler ${args.join(" ")} failed (${r.code})${said ? `:\n${said}` : ""}`);
  }
  return r;
}
