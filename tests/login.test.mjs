// Login and identity, black-box: sign-in on both platforms through the provider fakes, real-name
// and phone binding, refresh with rotation and reuse detection, logout, forged tokens, provider
// failures, rate limits, and what must never reach a response or a log line.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createPrivateKey, createHmac, sign as edSign } from "node:crypto";
import {
  api,
  assertError,
  assertOk,
  clientIp,
  FAKES,
  idNumber,
  loginIdentified,
  loginWechat,
  records,
  stackLog,
  wechatCode,
} from "./helpers.mjs";
import { readDevVars } from "../scripts/config.mjs";

const DEV = readDevVars();
/** The retired dev key `dev-0`: its public half is still in JWT_PUBLIC_KEYS, as during a rotation. */
const RETIRING_KEY = "MC4CAQAwBQYDK2VwBCIEINscPsU9t6b59O8aL5XdsEn5DI4Z8I/h0MzGUGDiyfLo";

let seq = 0;
/** A name no other test uses, for a fresh fake account. */
const fresh = (prefix) => `${prefix}${process.pid}x${Date.now().toString(36)}x${++seq}`;
/** A valid ID number no other test binds. */
const freshId = () => idNumber(`19${50 + (seq % 40)}0${1 + (seq % 9)}1${seq % 10}`, (process.pid + ++seq) % 1000, "310104");

async function fault(provider, op, mode, count = 1) {
  const res = await fetch(`${FAKES}/__fakes/faults`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ provider, op, mode, count }),
  });
  assert.equal(res.status, 200, await res.text());
}

async function clearFaults() {
  await fetch(`${FAKES}/__fakes/faults`, { method: "DELETE" });
}


const wechat = (code, ip = clientIp()) =>
  api("POST", "/v1/auth/wechat", { body: { code }, headers: { "cf-connecting-ip": ip } });
const alipay = (authCode, ip = clientIp()) =>
  api("POST", "/v1/auth/alipay", { body: { auth_code: authCode }, headers: { "cf-connecting-ip": ip } });
const me = (token) => api("GET", "/v1/me", { token });
const refresh = (token) => api("POST", "/v1/auth/refresh", { body: { refresh_token: token } });
const bindIdentity = (token, body) => api("POST", "/v1/me/identity", { token, body });

function assertLoginShape(data) {
  assert.match(data.access_token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  assert.match(data.refresh_token, /^yrt_[\w-]{43}$/);
  assert.equal(data.expires_in, 900);
  assert.match(data.user.user_id, /^u_[0-9a-f]{32}$/);
  assert.equal(data.user.identity_bound, false);
  assert.equal(data.user.identity, null);
  assert.equal(data.user.phone, null);
}

// ---------------------------------------------------------------------------------------------
// Sign-in

test("WeChat login through the fake: tokens and the account; the same openid is the same account", async () => {
  const name = fresh("wx");
  const first = assertOk(await wechat(wechatCode(name)));
  assertLoginShape(first);
  assert.equal(first.user.platform, "wechat");
  const second = assertOk(await wechat(wechatCode(name)));
  assert.equal(second.user.user_id, first.user.user_id);
  assert.notEqual(second.refresh_token, first.refresh_token);
  const other = assertOk(await wechat(wechatCode(fresh("wx"))));
  assert.notEqual(other.user.user_id, first.user.user_id);

  const shown = assertOk(await me(first.access_token));
  assert.equal(shown.user_id, first.user.user_id);
  assert.equal(shown.identity_bound, false);
  // The fake saw our app credentials and the code; the session key never comes back to us.
  const logins = await records("wechat_logins");
  assert.ok(logins.some((l) => l.openid === `wx-${name}`));
  assert.ok(!JSON.stringify(first).includes("session_key"));
});

test("Alipay login through the fake: an RSA2-signed request, a verified answer", async () => {
  const name = fresh("ali");
  const first = assertOk(await alipay(`dev-${name}~1`));
  assertLoginShape(first);
  assert.equal(first.user.platform, "alipay");
  const again = assertOk(await alipay(`dev-${name}~2`));
  assert.equal(again.user.user_id, first.user.user_id);
  // The fake checked the signature and answered with the user: no signature error recorded.
  const calls = (await records("alipay_oauth")).filter((c) => c.code === `dev-${name}~1`);
  assert.equal(calls.length, 1);
  assert.equal(calls[0].user_id, `ali-${name}`);
  assert.equal(calls[0].sub_code, undefined);
  // The same person's WeChat account is another account.
  const wx = assertOk(await wechat(wechatCode(name)));
  assert.notEqual(wx.user.user_id, first.user.user_id);
});

test("an invalid or used code is 401; a malformed request is 400/415", async () => {
  assertError(await wechat("dev-invalid"), 401, "UNAUTHENTICATED");
  assertError(await wechat("not-a-dev-code"), 401, "UNAUTHENTICATED");
  const code = wechatCode(fresh("wx"));
  assertOk(await wechat(code));
  assertError(await wechat(code), 401, "UNAUTHENTICATED");

  assertError(await alipay("dev-invalid"), 401, "UNAUTHENTICATED");
  const aliCode = `dev-${fresh("ali")}`;
  assertOk(await alipay(aliCode));
  assertError(await alipay(aliCode), 401, "UNAUTHENTICATED");

  assertError(await api("POST", "/v1/auth/wechat", { body: {} }), 400, "INVALID_ARGUMENT");
  assertError(await api("POST", "/v1/auth/wechat", { body: { code: "" } }), 400, "INVALID_ARGUMENT");
  assertError(await api("POST", "/v1/auth/wechat", { body: { code: "has space" } }), 400, "INVALID_ARGUMENT");
  assertError(await api("POST", "/v1/auth/alipay", { body: { code: "dev-x" } }), 400, "INVALID_ARGUMENT");
  assertError(
    await api("POST", "/v1/auth/wechat", { raw: "code=dev-x", headers: { "content-type": "text/plain" } }),
    415,
    "UNSUPPORTED_MEDIA_TYPE",
  );
  assertError(await api("GET", "/v1/auth/wechat"), 405, "METHOD_NOT_ALLOWED");
});

// ---------------------------------------------------------------------------------------------
// The account, real-name binding and phone

test("GET /v1/me needs a token", async () => {
  assertError(await api("GET", "/v1/me"), 401, "UNAUTHENTICATED");
  assertError(await api("GET", "/v1/me", { headers: { authorization: "Basic abc" } }), 401, "UNAUTHENTICATED");
  assertError(await api("GET", "/v1/me", { token: "garbage" }), 401, "UNAUTHENTICATED");
});

test("real-name binding creates the own applicant, shows it masked, and is idempotent", async () => {
  const s = await loginWechat(fresh("id"));
  const id = freshId();
  const bound = assertOk(await bindIdentity(s.token, { name: "欧阳娜娜", id_number: id, verify_token: "dev-ok" }));
  assert.equal(bound.identity_bound, true);
  assert.match(bound.identity.applicant_id, /^a_[0-9a-f]{32}$/);
  assert.equal(bound.identity.name, "欧阳**");
  assert.equal(bound.identity.id_number, `${id.slice(0, 4)}**********${id.slice(14)}`);
  assert.ok(!JSON.stringify(bound).includes(id));
  assert.deepEqual(assertOk(await me(s.token)), bound);

  // The provider was asked about exactly this person (it records the number masked).
  const checks = await records("face_verifications");
  assert.ok(checks.some((c) => c.id_number === `${id.slice(0, 4)}**********${id.slice(14)}` && c.passed));

  // A retry after a lost answer binds nothing new and asks the provider nothing.
  const before = (await records("face_verifications")).length;
  const again = assertOk(await bindIdentity(s.token, { name: "欧阳娜娜", id_number: id, verify_token: "dev-ok" }));
  assert.deepEqual(again, bound);
  assert.equal((await records("face_verifications")).length, before);

  // Another identity for a bound account is refused.
  const res = await bindIdentity(s.token, { name: "李四", id_number: freshId(), verify_token: "dev-ok" });
  assertError(res, 409, "CONFLICT");
  assert.equal(res.body.details.reason, "already_bound");
});

test("a failed face verification is 403 IDENTITY_VERIFICATION_FAILED and binds nothing", async () => {
  const s = await loginWechat(fresh("id"));
  const res = await bindIdentity(s.token, { name: "张三", id_number: freshId(), verify_token: "dev-spoof" });
  assertError(res, 403, "IDENTITY_VERIFICATION_FAILED");
  assert.equal(assertOk(await me(s.token)).identity_bound, false);
});

test("one ID number binds to one account per platform; the second is refused with CONFLICT", async () => {
  const id = freshId();
  const owner = await loginWechat(fresh("own"));
  const bound = assertOk(await bindIdentity(owner.token, { name: "张三", id_number: id, verify_token: "dev-ok" }));

  const other = await loginWechat(fresh("thief"));
  const res = await bindIdentity(other.token, { name: "张三", id_number: id, verify_token: "dev-ok" });
  assertError(res, 409, "CONFLICT");
  assert.equal(res.body.details.reason, "identity_bound_to_another_account");
  assert.ok(!res.text.includes(id));
  assert.equal(assertOk(await me(other.token)).identity_bound, false);

  // The same person on Alipay binds the same applicant.
  const ali = assertOk(await alipay(`dev-${fresh("own")}`));
  const aliBound = assertOk(await bindIdentity(ali.access_token, { name: "张三", id_number: id, verify_token: "dev-ok" }));
  assert.equal(aliBound.identity.applicant_id, bound.identity.applicant_id);
});

test("two accounts binding one ID number at the same time: exactly one wins", async () => {
  const id = freshId();
  const a = await loginWechat(fresh("race"));
  const b = await loginWechat(fresh("race"));
  const results = await Promise.all(
    [a, b].map((s) => bindIdentity(s.token, { name: "张三", id_number: id, verify_token: "dev-ok" })),
  );
  assert.deepEqual(results.map((r) => r.status).sort(), [200, 409], results.map((r) => r.text).join("\n"));
});

test("identity input is validated field by field, before any provider call", async () => {
  const s = await loginWechat(fresh("id"));
  const before = (await records("face_verifications")).length;
  for (const [body, field] of [
    [{ name: "张", id_number: freshId(), verify_token: "dev-ok" }, "name"],
    [{ name: "张三", id_number: "110101199003070012", verify_token: "dev-ok" }, "id_number"],
    [{ name: "张三", id_number: "11010119900307001", verify_token: "dev-ok" }, "id_number"],
    [{ name: "张三", id_number: freshId(), verify_token: "" }, "verify_token"],
  ]) {
    const res = await bindIdentity(s.token, body);
    assertError(res, 400, "INVALID_ARGUMENT");
    assert.equal(res.body.details.field, field);
    assert.ok(!res.text.includes(body.id_number), "the rejected number is not echoed");
  }
  assertError(await bindIdentity(s.token, { name: "张三" }), 400, "INVALID_ARGUMENT");
  assertError(await bindIdentity(undefined, { name: "张三", id_number: freshId(), verify_token: "dev-ok" }), 401, "UNAUTHENTICATED");
  assert.equal((await records("face_verifications")).length, before);
});

test("phone binding through getuserphonenumber, shown masked; token replaced upstream is fetched again", async () => {
  const s = await loginWechat(fresh("ph"));
  const bound = assertOk(await api("POST", "/v1/me/phone", { token: s.token, body: { code: "dev-13812345678" } }));
  assert.equal(bound.phone, "138****5678");
  // Whole to its owner in this answer only, for the booking form: every other answer masks it.
  assert.equal(bound.phone_number, "13812345678");
  const mine = assertOk(await me(s.token));
  assert.equal(mine.phone, "138****5678");
  assert.equal(mine.phone_number, undefined);

  // WeChat invalidated every access token: the next call fetches a new one and succeeds.
  await fetch(`${FAKES}/__fakes/expire-tokens`, { method: "POST" });
  const again = assertOk(await api("POST", "/v1/me/phone", { token: s.token, body: { code: "dev-13987654321" } }));
  assert.equal(again.phone, "139****4321");

  const bad = await api("POST", "/v1/me/phone", { token: s.token, body: { code: "dev-123" } });
  assertError(bad, 400, "INVALID_ARGUMENT");
  assertError(await api("POST", "/v1/me/phone", { body: { code: "dev-13812345678" } }), 401, "UNAUTHENTICATED");

  // An Alipay account shows no WeChat code: it must send what my.getPhoneNumber sealed.
  const ali = assertOk(await alipay(`dev-${fresh("ph")}`));
  const wrong = await api("POST", "/v1/me/phone", { token: ali.access_token, body: { code: "dev-13812345678" } });
  assertError(wrong, 400, "INVALID_ARGUMENT");
  assert.equal(wrong.body.details.field, "response");
});

/** The `response` text my.getPhoneNumber gives an Alipay client (the fake seals it as Alipay does). */
async function alipayPhone(spec) {
  const res = await fetch(`${FAKES}/__fakes/alipay/phone`, { method: "POST", body: JSON.stringify(spec) });
  assert.equal(res.status, 200);
  return (await res.json()).response;
}

test("an Alipay account binds the number my.getPhoneNumber sealed: Alipay's signature checked, the content key opens it", async () => {
  const ali = assertOk(await alipay(`dev-${fresh("aph")}`));
  const phone = (body) => api("POST", "/v1/me/phone", { token: ali.access_token, body });
  const bound = assertOk(await phone({ response: await alipayPhone({ mobile: "13712345678" }) }));
  assert.equal(bound.phone, "137****5678");
  assert.equal(bound.phone_number, "13712345678");
  assert.equal(assertOk(await me(ali.access_token)).phone, "137****5678");

  // Tampered (another ciphertext under the signature), unsigned, refused by Alipay, not sealed at all:
  // each a 400 naming `response`, and the number bound stays.
  const sealed = JSON.parse(await alipayPhone({ mobile: "13900000000" }));
  const other = JSON.parse(await alipayPhone({ mobile: "13600000000" }));
  const bad = [
    JSON.stringify({ ...sealed, response: other.response }),
    JSON.stringify({ response: sealed.response }),
    await alipayPhone({ refused: true }),
    "13900000000",
    JSON.stringify({ ...sealed, response: "bm90IHNlYWxlZA==" }),
  ];
  for (const response of bad) {
    const res = await phone({ response });
    assertError(res, 400, "INVALID_ARGUMENT");
    assert.equal(res.body.details.field, "response", response);
  }
  assertError(await phone({}), 400, "INVALID_ARGUMENT");
  assert.equal(assertOk(await me(ali.access_token)).phone, "137****5678");
});

// ---------------------------------------------------------------------------------------------
// Refresh and logout

test("refresh rotates: a used refresh token is dead, and reusing it revokes the whole login", async () => {
  const name = fresh("rt");
  const s = await loginWechat(name);
  const otherDevice = await loginWechat(name);
  const r1 = assertOk(await refresh(s.refresh));
  assert.notEqual(r1.refresh_token, s.refresh);
  assert.equal(r1.user.user_id, s.user.user_id);
  assertOk(await me(r1.access_token));

  const reuse = await refresh(s.refresh);
  assertError(reuse, 401, "UNAUTHENTICATED");
  assert.equal(reuse.body.details.reason, "refresh_token_reused");
  // The thief's reuse also ends the legitimate holder's newer tokens: both must log in again.
  assertError(await refresh(r1.refresh_token), 401, "UNAUTHENTICATED");
  assertError(await me(r1.access_token), 401, "UNAUTHENTICATED");
  assertError(await me(s.token), 401, "UNAUTHENTICATED");
  // Another login of the same account (another device) is untouched.
  assertOk(await me(otherDevice.token));
  assertOk(await refresh(otherDevice.refresh));
});

test("two refreshes racing with one token: at most one succeeds, then the login is revoked", async () => {
  const s = await loginWechat(fresh("rt"));
  const results = await Promise.all([refresh(s.refresh), refresh(s.refresh)]);
  const ok = results.filter((r) => r.status === 200);
  assert.ok(ok.length <= 1, results.map((r) => r.text).join("\n"));
  for (const r of results.filter((r) => r.status !== 200)) assertError(r, 401, "UNAUTHENTICATED");
  for (const r of ok) assertError(await refresh(r.body.data.refresh_token), 401, "UNAUTHENTICATED");
});

test("unknown and malformed refresh tokens are 401", async () => {
  const s = await loginWechat(fresh("rt"));
  for (const token of ["", "garbage", `yrt_${"A".repeat(43)}`, s.token]) {
    assertError(await refresh(token), 401, "UNAUTHENTICATED");
  }
  assertError(await api("POST", "/v1/auth/refresh", { body: {} }), 400, "INVALID_ARGUMENT");
});

test("logout revokes the login: its access and refresh tokens stop working", async () => {
  const s = await loginWechat(fresh("lo"));
  const rotated = assertOk(await refresh(s.refresh));
  assertOk(await api("POST", "/v1/auth/logout", { token: rotated.access_token }));
  assertError(await me(rotated.access_token), 401, "UNAUTHENTICATED");
  assertError(await refresh(rotated.refresh_token), 401, "UNAUTHENTICATED");
  assertError(await api("POST", "/v1/auth/logout", { token: rotated.access_token }), 401, "UNAUTHENTICATED");
  assertError(await api("POST", "/v1/auth/logout"), 401, "UNAUTHENTICATED");
});

// ---------------------------------------------------------------------------------------------
// Forged tokens: each is refused although it names a live session

const b64url = (x) => Buffer.from(typeof x === "string" ? x : JSON.stringify(x)).toString("base64url");

function decode(token) {
  const [h, p] = token.split(".");
  return [JSON.parse(Buffer.from(h, "base64url")), JSON.parse(Buffer.from(p, "base64url"))];
}

function signEd(header, claims, pkcs8 = DEV.JWT_SIGNING_KEY) {
  const input = `${b64url(header)}.${b64url(claims)}`;
  const key = createPrivateKey({ key: Buffer.from(pkcs8, "base64"), format: "der", type: "pkcs8" });
  return `${input}.${edSign(null, Buffer.from(input), key).toString("base64url")}`;
}

test("forged and altered tokens are refused: alg none, HS256 with the public key, wrong aud/iss, expired, not yet valid, unknown kid", async () => {
  const s = await loginWechat(fresh("jwt"));
  const [header, claims] = decode(s.token);
  assert.deepEqual(header, { alg: "EdDSA", kid: DEV.JWT_SIGNING_KID, typ: "JWT" });
  assert.equal(claims.iss, "yuyue-login");
  assert.equal(claims.aud, "yuyue-api");
  assert.equal(claims.exp - claims.iat, 900);
  // A token built here with the real key and the real claims is accepted: so each refusal below
  // is for the one thing changed.
  assertOk(await me(signEd(header, claims)));

  const now = Math.floor(Date.now() / 1000);
  const unauthenticated = {
    "alg none": `${b64url({ alg: "none", typ: "JWT" })}.${b64url(claims)}.`,
    "alg none with kid": `${b64url({ ...header, alg: "none" })}.${b64url(claims)}.`,
    "HS256 keyed with the public key": (() => {
      const h = { alg: "HS256", typ: "JWT", kid: header.kid };
      const input = `${b64url(h)}.${b64url(claims)}`;
      const publicKey = DEV.JWT_PUBLIC_KEYS.split(",")[0].split(":")[1];
      return `${input}.${createHmac("sha256", publicKey).update(input).digest("base64url")}`;
    })(),
    "HS256 keyed with the public key bytes": (() => {
      const h = { alg: "HS256", typ: "JWT", kid: header.kid };
      const input = `${b64url(h)}.${b64url(claims)}`;
      const der = Buffer.from(DEV.JWT_PUBLIC_KEYS.split(",")[0].split(":")[1], "base64");
      return `${input}.${createHmac("sha256", der).update(input).digest("base64url")}`;
    })(),
    "another algorithm named": signEd({ ...header, alg: "ES256" }, claims),
    "wrong audience": signEd(header, { ...claims, aud: "another-api" }),
    "wrong issuer": signEd(header, { ...claims, iss: "someone-else" }),
    "not yet valid": signEd(header, { ...claims, nbf: now + 3600, iat: now, exp: now + 4000 }),
    "issued in the future": signEd(header, { ...claims, iat: now + 3600, nbf: now, exp: now + 4000 }),
    "no expiry": signEd(header, Object.fromEntries(Object.entries(claims).filter(([k]) => k !== "exp"))),
    "unknown kid": signEd({ ...header, kid: "dev-9" }, claims),
    "no kid": signEd({ alg: "EdDSA", typ: "JWT" }, claims),
    "kid of the other key": signEd({ ...header, kid: "dev-0" }, claims),
    "claims swapped under the signature": (() => {
      const [h, , sig] = s.token.split(".");
      return `${h}.${b64url({ ...claims, sub: "u_" + "0".repeat(32) })}.${sig}`;
    })(),
    "signature flipped": (() => {
      const [h, p, sig] = s.token.split(".");
      const raw = Buffer.from(sig, "base64url");
      raw[5] ^= 1;
      return `${h}.${p}.${raw.toString("base64url")}`;
    })(),
    "session that does not exist": signEd(header, { ...claims, sid: "s_" + "0".repeat(32) }),
    "someone else's session": signEd(header, { ...claims, sub: "u_" + "1".repeat(32) }),
  };
  for (const [what, token] of Object.entries(unauthenticated)) {
    const res = await me(token);
    assert.equal(res.status, 401, `${what}: ${res.text}`);
    assert.equal(res.body.code, "UNAUTHENTICATED", `${what}: ${res.text}`);
  }

  const expired = signEd(header, { ...claims, iat: now - 7200, nbf: now - 7200, exp: now - 3600 });
  assertError(await me(expired), 401, "TOKEN_EXPIRED");

  // During a key rotation the retiring key (still published) verifies what it signed.
  assertOk(await me(signEd({ ...header, kid: "dev-0" }, claims, RETIRING_KEY)));
});

// ---------------------------------------------------------------------------------------------
// Provider failures: a clean 4xx or 503, never a 500

test("WeChat failures: busy and timeouts are retried once, then 503; garbage is 503", async () => {
  try {
    await fault("wechat", "jscode2session", "busy", 1);
    assertOk(await wechat(wechatCode(fresh("wf"))), 200);

    await fault("wechat", "jscode2session", "busy", 2);
    assertError(await wechat(wechatCode(fresh("wf"))), 503, "UPSTREAM_UNAVAILABLE");

    await fault("wechat", "jscode2session", "http500", 2);
    assertError(await wechat(wechatCode(fresh("wf"))), 503, "UPSTREAM_UNAVAILABLE");

    await fault("wechat", "jscode2session", "malformed", 1);
    assertError(await wechat(wechatCode(fresh("wf"))), 503, "UPSTREAM_UNAVAILABLE");

    await fault("wechat", "jscode2session", "timeout", 1);
    const started = Date.now();
    assertOk(await wechat(wechatCode(fresh("wf"))));
    assert.ok(Date.now() - started < 10_000);

    await fault("wechat", "jscode2session", "timeout", 2);
    const t0 = Date.now();
    assertError(await wechat(wechatCode(fresh("wf"))), 503, "UPSTREAM_UNAVAILABLE");
    assert.ok(Date.now() - t0 < 12_000, "the timeout is bounded");
  } finally {
    await clearFaults();
  }
});

test("Alipay failures: a bad response signature, garbage, busy and timeouts are 503", async () => {
  try {
    await fault("alipay", "alipay.system.oauth.token", "badsig", 1);
    const badsig = await alipay(`dev-${fresh("af")}`);
    assertError(badsig, 503, "UPSTREAM_UNAVAILABLE");

    await fault("alipay", "alipay.system.oauth.token", "malformed", 1);
    assertError(await alipay(`dev-${fresh("af")}`), 503, "UPSTREAM_UNAVAILABLE");

    await fault("alipay", "alipay.system.oauth.token", "busy", 2);
    assertError(await alipay(`dev-${fresh("af")}`), 503, "UPSTREAM_UNAVAILABLE");

    await fault("alipay", "alipay.system.oauth.token", "busy", 1);
    assertOk(await alipay(`dev-${fresh("af")}`));

    await fault("alipay", "alipay.system.oauth.token", "http500", 2);
    assertError(await alipay(`dev-${fresh("af")}`), 503, "UPSTREAM_UNAVAILABLE");

    await fault("alipay", "alipay.system.oauth.token", "timeout", 2);
    assertError(await alipay(`dev-${fresh("af")}`), 503, "UPSTREAM_UNAVAILABLE");
  } finally {
    await clearFaults();
  }
});

test("face-verification and phone failures are 503 and bind nothing", async () => {
  const s = await loginWechat(fresh("ff"));
  try {
    for (const mode of ["busy", "malformed", "http500", "timeout"]) {
      await fault("face", "verify", mode, 2);
      const res = await bindIdentity(s.token, { name: "张三", id_number: freshId(), verify_token: "dev-ok" });
      assertError(res, 503, "UPSTREAM_UNAVAILABLE");
      await clearFaults();
    }
    assert.equal(assertOk(await me(s.token)).identity_bound, false);

    for (const mode of ["busy", "malformed", "timeout"]) {
      await fault("wechat", "getuserphonenumber", mode, 2);
      const res = await api("POST", "/v1/me/phone", { token: s.token, body: { code: "dev-13812345678" } });
      assertError(res, 503, "UPSTREAM_UNAVAILABLE");
      await clearFaults();
    }
    assert.equal(assertOk(await me(s.token)).phone, null);
  } finally {
    await clearFaults();
  }
});

// ---------------------------------------------------------------------------------------------
// Rate limits

/** Windows are whole minutes: start a burst early in one, so it cannot straddle two. */
async function earlyInAMinute() {
  const second = Math.floor(Date.now() / 1000) % 60;
  if (second > 40) await new Promise((r) => setTimeout(r, (61 - second) * 1000));
}

test("logins per client address are limited, under concurrency too, with Retry-After", async () => {
  await earlyInAMinute();
  const ip = clientIp();
  const results = await Promise.all(
    Array.from({ length: 26 }, () => wechat(wechatCode(fresh("rl")), ip)),
  );
  const ok = results.filter((r) => r.status === 200).length;
  const limited = results.filter((r) => r.status === 429);
  assert.equal(ok, 20, results.map((r) => r.status).join(","));
  assert.equal(limited.length, 6);
  for (const r of limited) {
    assertError(r, 429, "RATE_LIMITED");
    const after = Number(r.headers.get("retry-after"));
    assert.ok(after >= 1 && after <= 60, `Retry-After ${after}`);
  }
  // Other clients are not affected.
  assertOk(await wechat(wechatCode(fresh("rl"))));
});

test("logins into one account are limited whatever address they come from", async () => {
  await earlyInAMinute();
  const name = fresh("acct");
  const statuses = [];
  for (let i = 0; i < 11; i++) statuses.push((await wechat(wechatCode(name))).status);
  assert.deepEqual(statuses, [...Array(10).fill(200), 429]);
});

test("real-name verifications per user per day are limited (each is a paid provider call)", async () => {
  const s = await loginWechat(fresh("daily"));
  for (let i = 0; i < 5; i++) {
    const res = await bindIdentity(s.token, { name: "张三", id_number: freshId(), verify_token: "dev-nope" });
    assertError(res, 403, "IDENTITY_VERIFICATION_FAILED");
  }
  const res = await bindIdentity(s.token, { name: "张三", id_number: freshId(), verify_token: "dev-ok" });
  assertError(res, 429, "RATE_LIMITED");
  assert.ok(Number(res.headers.get("retry-after")) > 0);
});

// ---------------------------------------------------------------------------------------------
// What never leaves the server

test("no ID number, phone, token or session key reaches a log line", async () => {
  const id = freshId();
  const s = await loginIdentified(fresh("log"), id);
  assert.match(s.applicantId, /^a_/);
  assertOk(await api("POST", "/v1/me/phone", { token: s.token, body: { code: "dev-13700001111" } }));
  const rotated = assertOk(await refresh(s.refresh));
  await new Promise((r) => setTimeout(r, 300));
  const text = JSON.stringify(stackLog());
  assert.ok(text.length > 0);
  for (const secret of [id, "13700001111", s.token, s.refresh, rotated.access_token, rotated.refresh_token, "session_key"]) {
    assert.ok(!text.includes(secret), `a log line contains ${secret.slice(0, 12)}…`);
  }
  for (const key of [DEV.JWT_SIGNING_KEY, DEV.ID_HASH_KEY, DEV.ID_SEAL_KEY, DEV.WECHAT_SECRET]) {
    assert.ok(!text.includes(key));
  }
});
