// Setup plumbing for scenarios that need people: HTTP calls to the bench stack, a bounded pool
// for them (both from tests/support.mjs, as the black-box suite has them), and identified users
// (WeChat login + real-name binding through the fakes), the way tests/helpers.mjs makes them, but
// against the stack a bench run starts (no YUYUE_BASE_URL) and with a client address of our
// choosing.

import { idNumber, pool, publish, request } from "../../tests/support.mjs";

export { OPS, idNumber, pool, shanghaiDate, shanghaiDateAt } from "../../tests/support.mjs";

/** One request to the stack at `base` (`tests/support.mjs` `request`). */
export const api = request;

/** The `data` of a success envelope with `status`, or an Error saying what came instead. */
export function dataOf(res, what, status = 200) {
  if (res.status !== status || res.body?.code !== "OK") {
    throw new Error(`${what}: expected ${status} OK, got ${res.status}: ${res.text.slice(0, 300)}`);
  }
  return res.body.data;
}

/**
 * Publishes one period (09:00-10:00) of `capacity` at `office` on `date` through ops, which also
 * creates the (hall, date) inventory object. A 404 means the ops function does not know the hall.
 */
export async function publishPeriod(base, { office, date, period, capacity }) {
  return publishDay(base, { office, date, periods: [{ period, capacity }] });
}

/**
 * Publishes a day's periods, [{ period, capacity }], an hour each from 09:00. A publish replaces
 * the day's periods, so a day published again must list the ones published before.
 */
export async function publishDay(base, { office, date, periods }) {
  const hour = (h) => `${String(h).padStart(2, "0")}:00`;
  const res = await publish(base, {
    office,
    date,
    periods: periods.map(({ period, capacity }, k) => ({ period_id: period, start: hour(9 + k), end: hour(10 + k), capacity })),
  });
  if (res.status === 404) {
    throw new Error(`publishing at ${office} answered 404: the ops function does not know the hall (a catalog cached before the hall was inserted?)`);
  }
  return dataOf(res, `publishing ${periods.map((p) => p.period).join(", ")} at ${office} on ${date}`);
}

/** `ms` (unix) as Shanghai's local time in RFC 3339, as ops endpoints take times. */
export const shanghaiIso = (ms) => new Date(ms + 8 * 3600_000).toISOString().slice(0, 19) + "+08:00";

/** The service every bench booking is for. */
export const SERVICE = "passport";

/** Person `who`'s passport booking submit for `period` (their token, address, `key`; phone 138 + `phoneSeq`). */
export function submission(who, { office, date, period, key, phoneSeq = 0 }) {
  return {
    headers: { authorization: `Bearer ${who.token}`, "idempotency-key": key, "cf-connecting-ip": who.ip },
    body: {
      applicant_id: who.applicantId,
      service: SERVICE,
      office_id: office,
      date,
      period_id: period,
      phone: `138${String(phoneSeq).padStart(8, "0")}`,
      pickup: { method: "collect" },
      agree_terms: true,
    },
  };
}

/** Birthdays from 1960-01-01 that keep everyone an adult (1960 + 10,000 days is 1987). */
const ADULT_DAYS = 10_000;

/**
 * `count` identified users, person i with:
 *   - WeChat openid `wx-<tag>-<i>` (a fresh single-use code each login),
 *   - client address `198.<18 + net>.<i / 256>.<i % 256>` (RFC 2544's benchmarking range for
 *     net 0 and 1; the warm-up crowds' nets 2 and 3 go past it, harmless on loopback), sent as
 *     the edge's `cf-connecting-ip` on login, binding and later requests: logins are
 *     rate-limited per client address (20 a minute), as thousands of phones would not be,
 *   - an ID number of `region`, born 1960-01-01 + (i % 10,000) days (all adults), sequence
 *     `seq` + floor(i / 10,000): person 10,000 shares person 0's birthday, not their number.
 * Distinct (tag, net, region, seq) give distinct people, as long as two crowds' sequences
 * (seq .. seq + floor((count - 1) / 10,000)) do not overlap. At most `width` setup requests in
 * flight. Resolves to [{ i, token, applicantId, ip }].
 */
export async function identifiedPeople(base, { count, tag, net, region, seq, width = 20, say = () => {} }) {
  // The client address's last two bytes hold i.
  if (count > 65_536) throw new Error("identifiedPeople: at most 65,536 (one client address each in 198.x.0.0/16)");
  const born = Date.UTC(1960, 0, 1);
  const run = `${process.pid}-${Date.now()}`;
  let done = 0;
  const started = performance.now();
  const people = await pool([...Array(count).keys()], width, async (i) => {
    const ip = `198.${18 + net}.${i >> 8}.${i & 255}`;
    const login = dataOf(
      await api(base, "POST", "/v1/auth/wechat", {
        body: { code: `dev-${tag}-${i}~${run}` },
        headers: { "cf-connecting-ip": ip },
        retryOnReset: true,
      }),
      `login of ${tag}-${i}`,
    );
    const birth = new Date(born + (i % ADULT_DAYS) * 86_400_000).toISOString().slice(0, 10).replaceAll("-", "");
    const user = dataOf(
      await api(base, "POST", "/v1/me/identity", {
        token: login.access_token,
        body: { name: "王五", id_number: idNumber(birth, seq + Math.floor(i / ADULT_DAYS), region), verify_token: "dev-ok" },
        headers: { "cf-connecting-ip": ip },
        retryOnReset: true,
      }),
      `real-name binding of ${tag}-${i}`,
    );
    if (++done % 500 === 0) say(`${tag}: ${done}/${count} people logged in and identified`);
    return { i, token: login.access_token, applicantId: user.identity.applicant_id, ip };
  });
  say(`${tag}: ${count} people in ${((performance.now() - started) / 1000).toFixed(1)} s (${width} at a time)`);
  return people;
}
