// Crash durability of the real stack: a booking wave is cut by SIGKILL of the whole local stack
// (Node, Miniflare, workerd and the fakes, one process group, no shutdown of any kind), the stack
// starts again on the same state directory, and the wave is finished under the same keys. Nothing
// told "booked" before the crash is lost or renumbered, nobody is booked twice, and the period
// ends exactly full: D1 and the inventory object agree, no hold left behind.
//
// It needs a stack it may kill, so it runs its own (`scripts/dev.mjs` in a process group of its
// own) and points the black-box helpers at it before loading them.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { ROOT } from "../../scripts/config.mjs";
import { freePort } from "../support.mjs";

const PEOPLE = 90;
const CAPACITY = 30;
// Cut the wave once this many submits were told "booked": well inside it, not at its edge.
const CUT_AFTER = 8;
const IN_FLIGHT = 15;
const HOLD_SECONDS = "3";
const stateDir = join(ROOT, ".yuyue", `run-crash-${process.pid}`);

let port;
let stack; // { child, exited }
let h; // tests/helpers.mjs, loaded once the stack's address is known

/** `make dev`'s entry point on `port` and `stateDir`, in a process group of its own. */
function startDev() {
  const child = spawn(process.execPath, [join(ROOT, "scripts", "dev.mjs")], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), FAKES_PORT: "0", YUYUE_STATE_DIR: stateDir },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the stack did not start in 120 s")), 120_000);
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (line.includes('"stack":"ready"')) {
        clearTimeout(timer);
        resolve(JSON.parse(line.slice(line.indexOf("{"))).url);
      }
    });
    let err = "";
    child.stderr.on("data", (d) => (err += d));
    exited.then((code) => reject(new Error(`the stack exited (${code}) before it was ready: ${err.slice(-2000)}`)));
  });
  return { child, exited, ready };
}

/** SIGKILL to every process of the stack's group, then waits until none is left. */
async function killStack() {
  const pgid = stack.child.pid;
  process.kill(-pgid, "SIGKILL");
  await stack.exited;
  for (const deadline = Date.now() + 10_000; ; ) {
    try {
      process.kill(-pgid, 0); // still a member of the group (workerd) alive
    } catch {
      return;
    }
    if (Date.now() > deadline) throw new Error("a process of the killed stack survived");
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  rmSync(stateDir, { recursive: true, force: true });
  port = await freePort();
  stack = startDev();
  const url = await stack.ready;
  assert.equal(url, `http://127.0.0.1:${port}`);
  process.env.YUYUE_BASE_URL = url;
  h = await import("../helpers.mjs");
});

after(async () => {
  if (stack) {
    try {
      process.kill(-stack.child.pid, "SIGTERM");
    } catch {
      /* already gone */
    }
    await stack.exited;
  }
  rmSync(stateDir, { recursive: true, force: true });
});

test(`SIGKILL of the whole stack mid-wave (${PEOPLE} people, ${CAPACITY} places): nothing acknowledged is lost, the period ends exactly full`, async (t) => {
  const office = "gz-tianhe";
  const date = h.shanghaiDate(3);
  const period = "crash-1";
  await h.publish(office, date, [{ period_id: period, start: "09:00", end: "10:00", capacity: CAPACITY }]);
  const base = Date.UTC(1970, 0, 1);
  const people = await h.pool([...Array(PEOPLE).keys()], 10, (i) => {
    const birth = new Date(base + i * 86_400_000).toISOString().slice(0, 10).replaceAll("-", "");
    return h.loginIdentified(`crash-${process.pid}-${i}`, h.idNumber(birth, 9, "440106"), "赵六").then((p) => ({ ...p, ip: h.clientIp() }));
  });
  const send = (p, i) =>
    h
      .apiFresh("POST", "/v1/bookings", {
        token: p.token,
        headers: { "idempotency-key": `crash-${process.pid}-${i}`, "cf-connecting-ip": p.ip, "x-dev-hold-seconds": HOLD_SECONDS },
        body: {
          applicant_id: p.applicantId,
          service: "passport",
          office_id: office,
          date,
          period_id: period,
          phone: "13800000000",
          pickup: { method: "collect" },
          agree_terms: true,
        },
      })
      .catch((err) => ({ status: 0, error: err.message })); // cut by the crash: outcome unknown

  // The wave, cut: IN_FLIGHT submits at a time, like a crowd's phones, and SIGKILL as soon as
  // CUT_AFTER were told "booked". What was in flight then is cut; what was not yet sent is
  // never sent. So fewer than CUT_AFTER + IN_FLIGHT are booked before the crash, however fast
  // the stack is, and the period cannot fill before it.
  let booked = 0;
  let killing = false;
  let cut;
  const killed = new Promise((resolve) => (cut = resolve));
  const wave = h.pool(people, IN_FLIGHT, async (p, i) => {
    if (killing) return { status: 0, error: "not sent: the stack was killed" };
    const r = await send(p, i);
    if (r.status === 201 && ++booked === CUT_AFTER) {
      killing = true;
      cut();
    }
    return r;
  });
  await Promise.race([killed, wave]);
  await killStack();
  const before = await wave;
  const acknowledged = new Map();
  before.forEach((r, i) => r.status === 201 && acknowledged.set(i, r.body.data.booking_no));
  const inFlight = before.filter((r) => r.status === 0 && !r.error.startsWith("not sent")).length;
  const unanswered = before.filter((r) => r.status === 0).length;
  t.diagnostic(`before the crash: ${acknowledged.size} booked, ${before.filter((r) => r.body?.code === "SLOT_FULL").length} full, ${inFlight} cut in flight, ${unanswered - inFlight} never sent`);
  assert.ok(acknowledged.size >= CUT_AFTER && acknowledged.size < CUT_AFTER + IN_FLIGHT, `${acknowledged.size} booked before the crash`);
  assert.ok(unanswered > 0, "the crash left submits without an answer");
  assert.deepEqual(before.filter((r) => r.status >= 500).map((r) => r.text), [], "no 5xx before the crash");

  // The same state, started again; everyone submits again under their own key.
  stack = startDev();
  assert.equal(await stack.ready, process.env.YUYUE_BASE_URL);
  const again = await h.pool(people, 30, (p, i) => send(p, i));
  assert.deepEqual(again.filter((r) => r.status !== 201 && r.body?.code !== "SLOT_FULL").map((r) => `${r.status} ${r.text}`), []);
  for (const [i, no] of acknowledged) {
    assert.equal(again[i].status, 201, `person ${i} was told booked before the crash: ${again[i].text}`);
    assert.equal(again[i].body.data.booking_no, no, `person ${i} keeps the booking number they were given`);
  }
  const numbers = again.filter((r) => r.status === 201).map((r) => r.body.data.booking_no);
  assert.equal(new Set(numbers).size, numbers.length, "no booking number given twice");
  assert.equal(numbers.length, CAPACITY, "the period ends exactly full");

  const restarted = h.assertOk(await h.api("GET", `/v1/ops/offices/${office}/days/${date}`, { headers: h.OPS })).periods[0];
  t.diagnostic(`after the restart and the second wave: taken ${restarted.taken}, holds ${restarted.holds}, D1 ${restarted.d1.booked}`);
  // Holds the crash left unconfirmed settle against D1 when they lapse; then object == D1 == full.
  let view;
  for (const deadline = Date.now() + 30_000; ; ) {
    view = h.assertOk(await h.api("GET", `/v1/ops/offices/${office}/days/${date}`, { headers: h.OPS })).periods[0];
    if (view.holds === 0 || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.deepEqual([view.taken, view.holds, view.d1.booked], [CAPACITY, 0, CAPACITY], JSON.stringify(view));
  const rec = h.assertOk(await h.api("POST", "/v1/ops/reconcile", { headers: h.OPS, body: { office_id: office, date } }));
  assert.equal(rec.record_count, CAPACITY);
  assert.deepEqual([rec.released, rec.confirmed, rec.restored], [[], [], []], "nothing left for reconciliation to repair");
  // Each person holds at most one booking, and every one told booked can see theirs.
  for (const [i, no] of acknowledged) {
    const mine = h.assertOk(await h.api("GET", `/v1/bookings/${no}`, { token: people[i].token }));
    assert.equal(mine.status, "booked");
  }
});
