// The ops dashboard in headless Chromium (Debian's, driven by playwright-core): for a chosen
// day it charts each hall's fill by period from the inventory objects and the live booking
// rate from the metrics, with nothing but the ops API behind it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";
import { api, assertOk, BASE, idNumber, loginIdentified, OPS as ADMIN, shanghaiDate } from "./helpers.mjs";

const HALL = "bj-chaoyang";

const DAY = shanghaiDate(2);

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    // As this machine needs it: no sandbox as root, and no background calls to the network.
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});
after(async () => {
  await browser?.close();
});

test("the dashboard charts a hall's fill by period and the booking rate for the chosen day", async () => {
  assertOk(
    await api("POST", "/v1/ops/schedules", {
      headers: ADMIN,
      body: {
        office_id: HALL,
        date: DAY,
        periods: [
          { period_id: "d-am", start: "09:00", end: "10:00", capacity: 4 },
          { period_id: "d-pm", start: "14:00", end: "15:00", capacity: 2 },
          { period_id: "d-wl", start: "15:00", end: "16:00", capacity: 1 },
        ],
      },
    }),
  );
  const me = await loginIdentified(`dash-${process.pid}`, idNumber("19820202", process.pid % 1000, "110105"), "魏九");
  assertOk(
    await api("POST", "/v1/bookings", {
      token: me.token,
      headers: { "idempotency-key": `dash-${process.pid}-1` },
      body: { applicant_id: me.applicantId, service: "passport", office_id: HALL, date: DAY, period_id: "d-am", phone: "13700003333", pickup: { method: "collect" }, agree_terms: true },
    }),
    201,
  );
  // d-wl is full, and someone waits for it.
  const filler = await loginIdentified(`dash-f-${process.pid}`, idNumber("19830303", process.pid % 1000, "110105"), "魏十");
  const waiter = await loginIdentified(`dash-w-${process.pid}`, idNumber("19840404", process.pid % 1000, "110105"), "魏十一");
  const visit = { service: "passport", office_id: HALL, date: DAY, phone: "13700003334", pickup: { method: "collect" } };
  assertOk(
    await api("POST", "/v1/bookings", {
      token: filler.token,
      headers: { "idempotency-key": `dash-${process.pid}-f` },
      body: { ...visit, applicant_id: filler.applicantId, period_id: "d-wl", agree_terms: true },
    }),
    201,
  );
  assertOk(
    await api("POST", "/v1/waitlist", {
      token: waiter.token,
      headers: { "idempotency-key": `dash-${process.pid}-w` },
      body: { ...visit, applicant_id: waiter.applicantId, period_ids: ["d-wl"] },
    }),
    201,
  );

  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  const res = await page.goto(`${BASE}/v1/ops/dashboard`);
  assert.equal(res.status(), 200);
  assert.match(res.headers()["content-type"], /^text\/html/);
  assert.match(res.headers()["content-security-policy"], /default-src 'none'/);

  await page.fill("#token", "dev-ops-token");
  await page.fill("#date", DAY);
  await page.click("#load");
  const am = page.locator(`.hall[data-office="${HALL}"] rect.fill[data-period="d-am"]`);
  await am.waitFor({ timeout: 15_000 });
  assert.equal(await am.getAttribute("data-taken"), "1");
  assert.equal(await am.getAttribute("data-capacity"), "4");
  const pm = page.locator(`.hall[data-office="${HALL}"] rect.fill[data-period="d-pm"]`);
  assert.equal(await pm.getAttribute("data-taken"), "0");
  assert.match(await page.locator(`.hall[data-office="${HALL}"] h3`).textContent(), /（2\/7）$/);
  const queue = (period) => page.locator(`.hall[data-office="${HALL}"] rect.queue[data-period="${period}"]`).getAttribute("data-waitlist");
  assert.equal(await queue("d-wl"), "1", "the waiting entry is charted beside its period");
  assert.equal(await queue("d-am"), "0");

  // The booking just made is in the rate chart's last minutes.
  const booked = await page.locator("#rate rect.booked").evaluateAll((rects) => rects.map((r) => Number(r.dataset.booked)));
  assert.equal(booked.length, 60, "one bar per minute of the hour");
  assert.ok(booked.slice(-3).some((n) => n >= 1), JSON.stringify(booked.slice(-5)));
  assert.match(await page.locator("#totals").textContent(), /当日预约/);
  assert.match(await page.locator("#totals").textContent(), /候补排队\s*\d+/);
  assert.deepEqual(errors, []);

  // Without a valid token it shows the refusal, and no numbers.
  const other = await browser.newPage();
  await other.goto(`${BASE}/v1/ops/dashboard`);
  await other.fill("#token", "wrong-token");
  await other.click("#load");
  await other.locator("#status.error").waitFor({ timeout: 10_000 });
  assert.match(await other.locator("#status").textContent(), /UNAUTHENTICATED/);
  assert.equal(await other.locator(".hall").count(), 0);
});
