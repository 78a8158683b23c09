// CPU time of this process and of every process below it (workerd, spawned by Miniflare), read
// from /proc. On a 2-core machine the client and the server share the cores, so a throughput
// number means little without knowing who was burning them: a server pinned at 1.0 core with an
// idle client is a different story from a client that starved the server.
import { readFileSync, readdirSync } from "node:fs";
import { execFileSync } from "node:child_process";

let ticksPerSecond;
function clockTicks() {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** { pid: { comm, state, ppid, seconds } } for every process readable in /proc; {} where there is none. */
function processTable() {
  const table = {};
  let entries;
  try {
    entries = readdirSync("/proc");
  } catch {
    return table;
  }
  const hz = clockTicks();
  for (const pid of entries) {
    if (!/^\d+$/.test(pid)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue; // exited between readdir and read
    }
    // comm may contain spaces and parentheses: it ends at the last ')'.
    const close = stat.lastIndexOf(")");
    const fields = stat.slice(close + 2).split(" ");
    table[pid] = {
      comm: stat.slice(stat.indexOf("(") + 1, close),
      state: fields[0],
      ppid: fields[1],
      seconds: (Number(fields[11]) + Number(fields[12])) / hz, // utime + stime
    };
  }
  return table;
}

/**
 * CPU seconds of the whole machine (all cores): busy (everything but idle, iowait and steal), and
 * stolen (time the hypervisor gave this VM's cores to someone else while they had work).
 */
function machineSeconds() {
  try {
    const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = cpu;
    return { busy: (user + nice + system + irq + softirq) / clockTicks(), steal: steal / clockTicks() };
  } catch {
    return null;
  }
}

/** CPU seconds used so far by this process ("self"), each of its descendants and the machine. */
export function cpuSnapshot() {
  const table = processTable();
  const self = String(process.pid);
  const descendants = {};
  const frontier = [self];
  while (frontier.length) {
    const parent = frontier.pop();
    for (const [pid, p] of Object.entries(table)) {
      if (p.ppid === parent && !(pid in descendants)) {
        descendants[pid] = p;
        frontier.push(pid);
      }
    }
  }
  const usage = process.cpuUsage();
  return { at: performance.now(), self: (usage.user + usage.system) / 1e6, descendants, machine: machineSeconds() };
}

/** Milliseconds of workerd CPU between two snapshots. */
export function workerdMs(before, after) {
  const cores = coresBetween(before, after);
  return (cores?.children?.workerd ?? 0) * (after.at - before.at);
}

/**
 * Cores used between two snapshots: { self, children: { "workerd": 0.97, ... }, total, others,
 * stolen }. Children are summed by command name, so the numbers stay comparable across runs.
 * `others` is what the rest of the machine (a build, a test run) took meanwhile: well above zero
 * means the run competed for the cores and its numbers are low. `stolen` is what the hypervisor
 * took from this VM (steal time): seen here at 0.1-0.6 of a core, changing from one second to the
 * next, and the main reason two runs of the same build differ.
 */
export function coresBetween(before, after) {
  const wall = (after.at - before.at) / 1000;
  if (wall <= 0) return null;
  const round = (x) => Math.round(x * 100) / 100;
  const children = {};
  for (const [pid, p] of Object.entries(after.descendants)) {
    const used = p.seconds - (before.descendants[pid]?.seconds ?? 0);
    children[p.comm] = (children[p.comm] ?? 0) + used / wall;
  }
  const self = (after.self - before.self) / wall;
  const total = self + Object.values(children).reduce((a, b) => a + b, 0);
  const known = before.machine !== null && after.machine !== null;
  const rate = (k) => (known ? (after.machine[k] - before.machine[k]) / wall : null);
  const busy = rate("busy");
  const stolen = rate("steal");
  return {
    self: round(self),
    children: Object.fromEntries(Object.entries(children).map(([k, v]) => [k, round(v)])),
    total: round(total),
    others: busy === null ? null : round(Math.max(0, busy - total)),
    stolen: stolen === null ? null : round(stolen),
  };
}
