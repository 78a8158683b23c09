// What the numbers were measured on. Loopback results are only comparable between runs on the
// same kind of machine with the same load around them, so every result file carries this.
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import os from "node:os";

function run(cmd, args, cwd) {
  try {
    return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

function cpuModel() {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8").split("\n").find((l) => l.startsWith("model name"));
    return line ? line.split(":").slice(1).join(":").trim() : os.cpus()[0]?.model ?? null;
  } catch {
    return os.cpus()[0]?.model ?? null;
  }
}

function packageVersion(root, name) {
  try {
    return JSON.parse(readFileSync(`${root}/node_modules/${name}/package.json`, "utf8")).version;
  } catch {
    return null;
  }
}

export function machineInfo(root) {
  const status = run("git", ["status", "--porcelain"], root);
  return {
    nproc: Number(run("nproc", [])) || os.availableParallelism(),
    cpu_model: cpuModel(),
    memory_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    // Other work on the machine (builds, tests) competes for the same two cores.
    loadavg_at_start: os.loadavg().map((x) => Math.round(x * 100) / 100),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    miniflare: packageVersion(root, "miniflare"),
    autocannon: packageVersion(root, "autocannon"),
    date: new Date().toISOString(),
    git_commit: run("git", ["rev-parse", "HEAD"], root),
    // Uncommitted changes mean the commit alone does not say what was measured.
    git_dirty: status === null ? null : status.length > 0,
  };
}
