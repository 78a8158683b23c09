// Tests of the local development fakes. Run: node --test dev/fakes/
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createPrivateKey, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, beforeEach, describe, test } from "node:test";
import { AlipaySdk } from "alipay-sdk";
import { DEFAULTS, startFakes } from "./index.mjs";

const keyFile = (name) => readFileSync(new URL(`./keys/${name}`, import.meta.url), "utf8");
const APP_PRIVATE = createPrivateKey(keyFile("app_private.pem"));

/** An app as Alipay's official Node SDK makes one: it signs requests and checks the answers. */
const appSdk = (gateway) =>
  new AlipaySdk({
    appId: "ali-dev-appid",
    keyType: "PKCS8",
    privateKey: keyFile("app_private.b64"),
    alipayPublicKey: keyFile("alipay_public.b64"),
    gateway,
  });

let fakes;
let control;

before(async () => {
  fakes = await startFakes({ port: 0 });
  control = fakes.urls.wechat.replace(/\/wechat$/, "/__fakes");
});
after(() => fakes.close());
beforeEach(() => post(`${control}/reset`, {}));

async function post(url, body, headers = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text(), res };
}

async function getJson(url) {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get("content-type"), body: await res.json() };
}

const postJson = async (url, body, headers) => {
  const r = await post(url, body, headers);
  return { ...r, body: JSON.parse(r.text) };
};

const records = async (kind) => (await getJson(`${control}/records?kind=${kind}`)).body;
const fault = (spec) => postJson(`${control}/faults`, spec);

// ---------------------------------------------------------------- WeChat

function session(code, { appid = "wx-dev-appid", secret = "dev-wechat-secret", grant = "authorization_code" } = {}) {
  const q = new URLSearchParams({ appid, secret, js_code: code, grant_type: grant });
  return getJson(`${fakes.urls.wechat}/sns/jscode2session?${q}`);
}

async function accessToken(forceRefresh) {
  const body = { grant_type: "client_credential", appid: "wx-dev-appid", secret: "dev-wechat-secret" };
  if (forceRefresh !== undefined) body.force_refresh = forceRefresh;
  return (await postJson(`${fakes.urls.wechat}/cgi-bin/stable_token`, body)).body;
}

describe("wechat jscode2session", () => {
  test("dev-<x> gives openid wx-<x> and a session_key, without errcode", async () => {
    const r = await session("dev-alice");
    assert.equal(r.status, 200);
    assert.match(r.type, /^application\/json/);
    assert.equal(r.body.openid, "wx-alice");
    assert.equal(Buffer.from(r.body.session_key, "base64").length, 16);
    assert.equal("errcode" in r.body, false);
    assert.equal("unionid" in r.body, false);
  });

  test("x starting with u also gives unionid", async () => {
    const r = await session("dev-ubob");
    assert.equal(r.body.openid, "wx-ubob");
    assert.equal(r.body.unionid, "union-ubob");
  });

  test("codes are single-use: a second use is 40163", async () => {
    assert.equal((await session("dev-carol")).body.openid, "wx-carol");
    assert.deepEqual((await session("dev-carol")).body, { errcode: 40163, errmsg: "code been used" });
  });

  test("dev-<x>~<suffix> is a fresh code for the same user", async () => {
    assert.equal((await session("dev-uzoe~1")).body.openid, "wx-uzoe");
    const again = (await session("dev-uzoe~2")).body;
    assert.equal(again.openid, "wx-uzoe");
    assert.equal(again.unionid, "union-uzoe");
    assert.equal((await session("dev-~1")).body.errcode, 40029);
    assert.equal((await session("dev-invalid~1")).body.errcode, 40029);
  });

  test("reset makes used codes usable again", async () => {
    await session("dev-dave");
    await post(`${control}/reset`, {});
    assert.equal((await session("dev-dave")).body.openid, "wx-dave");
  });

  test("dev-invalid and codes not starting with dev- are 40029", async () => {
    assert.deepEqual((await session("dev-invalid")).body, { errcode: 40029, errmsg: "invalid code" });
    assert.equal((await session("0a3xYz")).body.errcode, 40029);
  });

  test("wrong appid, wrong secret, wrong grant_type, missing code", async () => {
    assert.equal((await session("dev-e1", { appid: "wx-other" })).body.errcode, 40013);
    assert.equal((await session("dev-e2", { secret: "nope" })).body.errcode, 40125);
    assert.equal((await session("dev-e3", { grant: "client_credential" })).body.errcode, 40002);
    const q = "appid=wx-dev-appid&secret=dev-wechat-secret&grant_type=authorization_code";
    assert.equal((await getJson(`${fakes.urls.wechat}/sns/jscode2session?${q}`)).body.errcode, 41008);
  });

  test("a refused call does not burn the code", async () => {
    await session("dev-frank", { secret: "nope" });
    assert.equal((await session("dev-frank")).body.openid, "wx-frank");
  });

  test("logins are recorded without the session_key", async () => {
    await session("dev-gina");
    const recs = await records("wechat_logins");
    assert.equal(recs.length, 1);
    assert.equal(recs[0].openid, "wx-gina");
    assert.equal("session_key" in recs[0], false);
  });
});

describe("wechat stable_token", () => {
  test("issues a token valid for 7200 s and hands out the same one until forced", async () => {
    const a = await accessToken();
    assert.match(a.access_token, /^fake-at-/);
    assert.ok(a.expires_in > 7100 && a.expires_in <= 7200);
    const b = await accessToken(false);
    assert.equal(b.access_token, a.access_token);
    const c = await accessToken(true);
    assert.notEqual(c.access_token, a.access_token);
    // The forced refresh killed the old token.
    const r = await postJson(`${fakes.urls.wechat}/wxa/business/getuserphonenumber?access_token=${a.access_token}`, {
      code: "dev-13812345678",
    });
    assert.equal(r.body.errcode, 40001);
  });

  test("wrong grant_type, appid, secret, body", async () => {
    const url = `${fakes.urls.wechat}/cgi-bin/stable_token`;
    const ok = { grant_type: "client_credential", appid: "wx-dev-appid", secret: "dev-wechat-secret" };
    assert.equal((await postJson(url, { ...ok, grant_type: "x" })).body.errcode, 40002);
    assert.equal((await postJson(url, { ...ok, appid: "wx-x" })).body.errcode, 40013);
    assert.equal((await postJson(url, { ...ok, secret: "x" })).body.errcode, 40125);
    assert.equal((await postJson(url, "not json")).body.errcode, 47001);
  });

  test("GET is refused with 43002", async () => {
    assert.equal((await getJson(`${fakes.urls.wechat}/cgi-bin/stable_token`)).body.errcode, 43002);
  });
});

describe("wechat getuserphonenumber", () => {
  const phoneUrl = (t) => `${fakes.urls.wechat}/wxa/business/getuserphonenumber?access_token=${t}`;

  test("dev-<11 digits> gives that phone with a watermark", async () => {
    const { access_token } = await accessToken();
    const before = Math.floor(Date.now() / 1000);
    const r = await postJson(phoneUrl(access_token), { code: "dev-13812345678" });
    assert.equal(r.body.errcode, 0);
    assert.equal(r.body.errmsg, "ok");
    const info = r.body.phone_info;
    assert.equal(info.phoneNumber, "13812345678");
    assert.equal(info.purePhoneNumber, "13812345678");
    assert.equal(info.countryCode, "86");
    assert.equal(info.watermark.appid, "wx-dev-appid");
    assert.ok(Math.abs(info.watermark.timestamp - before) <= 2);
    const recs = await records("phone_numbers");
    assert.equal(recs[0].phone, "138****5678");
    assert.ok(!JSON.stringify(recs).includes("13812345678"));
  });

  test("bad codes are 40029", async () => {
    const { access_token } = await accessToken();
    for (const code of ["dev-1381234567", "dev-138123456789", "13812345678", "dev-abcdefghijk", ""]) {
      assert.equal((await postJson(phoneUrl(access_token), { code })).body.errcode, 40029, code);
    }
  });

  test("unknown, missing or expired access_token is 40001", async () => {
    assert.equal((await postJson(phoneUrl("nope"), { code: "dev-13812345678" })).body.errcode, 40001);
    const noToken = `${fakes.urls.wechat}/wxa/business/getuserphonenumber`;
    assert.equal((await postJson(noToken, { code: "dev-13812345678" })).body.errcode, 40001);
    const { access_token } = await accessToken();
    await post(`${control}/expire-tokens`, {});
    assert.equal((await postJson(phoneUrl(access_token), { code: "dev-13812345678" })).body.errcode, 40001);
    const fresh = await accessToken();
    assert.notEqual(fresh.access_token, access_token);
    assert.equal((await postJson(phoneUrl(fresh.access_token), { code: "dev-13812345678" })).body.errcode, 0);
  });
});

describe("wechat subscribe message send", () => {
  const sendUrl = (t) => `${fakes.urls.wechat}/cgi-bin/message/subscribe/send?access_token=${t}`;
  const message = (data, extra = {}) => ({ touser: "wx-alice", template_id: "tpl-booked", data, ...extra });
  let token;
  before(async () => {
    token = (await accessToken()).access_token;
  });
  // Both users accepted the template in the mini-program, enough times for every test below.
  beforeEach(async () => {
    for (const openid of ["wx-alice", "wx-bob"]) {
      assert.equal((await post(`${control}/wechat/subscriptions`, { openid, template_ids: ["tpl-booked"], times: 100 })).status, 200);
    }
  });

  test("an account that never subscribed gets 43101 and no message; a one-time subscription allows one", async () => {
    const msg = { ...message({ thing1: { value: "预约成功" } }), touser: "wx-carol" };
    assert.deepEqual((await postJson(sendUrl(token), msg)).body, { errcode: 43101, errmsg: "user refuse to accept the msg" });
    assert.equal((await post(`${control}/wechat/subscriptions`, { openid: "wx-carol", template_ids: ["tpl-booked"] })).status, 200);
    // Another template is still refused; the one accepted passes once.
    assert.equal((await postJson(sendUrl(token), { ...msg, template_id: "tpl-other" })).body.errcode, 43101);
    assert.equal((await postJson(sendUrl(token), msg)).body.errcode, 0);
    assert.equal((await postJson(sendUrl(token), msg)).body.errcode, 43101);
    assert.deepEqual((await records("subscribe_messages")).map((m) => m.touser), ["wx-carol"]);
    assert.deepEqual((await records("subscribe_rejected")).map((m) => [m.template_id, m.errcode]), [
      ["tpl-booked", 43101],
      ["tpl-other", 43101],
      ["tpl-booked", 43101],
    ]);
    for (const bad of [{ openid: "wx-carol" }, { openid: "", template_ids: ["t"] }, { openid: "wx-carol", template_ids: ["t"], times: 0 }]) {
      assert.equal((await post(`${control}/wechat/subscriptions`, bad)).status, 400, JSON.stringify(bad));
    }
  });

  test("a valid message is accepted and recorded with a received timestamp", async () => {
    const msg = message(
      {
        thing1: { value: "普通护照（首次申领）" },
        time2: { value: "2024年5月1日 09:00~10:00" },
        character_string3: { value: "YY20240501-0001" },
        phrase4: { value: "预约成功" },
        name5: { value: "张*" },
        date6: { value: "2024-05-01" },
        number7: { value: "3" },
        amount8: { value: "¥120.00元" },
      },
      { page: "pages/booking/detail?no=YY20240501-0001", miniprogram_state: "trial", lang: "zh_CN" },
    );
    const r = await postJson(sendUrl(token), msg);
    assert.deepEqual(r.body, { errcode: 0, errmsg: "ok" });
    const recs = await records("subscribe_messages");
    assert.equal(recs.length, 1);
    const { seq, received_at, ...stored } = recs[0];
    assert.deepEqual(stored, msg);
    assert.ok(Math.abs(Date.parse(received_at) - Date.now()) < 5000);
  });

  const limitCases = [
    ["thing1", "一二三四五六七八九十一二三四五六七八九十", true],
    ["thing1", "一二三四五六七八九十一二三四五六七八九十一", false],
    ["phrase1", "已取消", true],
    ["phrase1", "预约已取消了", false],
    ["phrase1", "OK", false],
    ["name1", "欧阳娜娜", true],
    ["name1", "一二三四五六七八九十一", false],
    ["name1", "Alexander Hamilton", true],
    ["name1", "Alexander Hamilton Jr.", false],
    ["name1", "R2D2", false],
    ["character_string1", "A".repeat(32), true],
    ["character_string1", "A".repeat(33), false],
    ["character_string1", "编号123", false],
    ["number1", "1".repeat(32), true],
    ["number1", "1".repeat(33), false],
    ["number1", "12a", false],
    ["time1", "15:01", true],
    ["time1", "2019年10月1日 15:01", true],
    ["time1", "2024-05-01 09:00~2024-05-01 10:00", true],
    ["time1", "明天上午", false],
    ["time1", "25:00", false],
    ["date1", "2019年10月1日", true],
    ["date1", "2024-02-30", false],
    ["date1", "soon", false],
    ["amount1", "99.8元", true],
    ["amount1", "12345678901", true],
    ["amount1", "123456789012", false],
    ["amount1", "十元", false],
  ];
  for (const [key, value, ok] of limitCases) {
    test(`${key} = ${JSON.stringify(value)} is ${ok ? "accepted" : "47003"}`, async () => {
      const r = await postJson(sendUrl(token), message({ [key]: { value } }));
      if (ok) {
        assert.equal(r.body.errcode, 0, r.body.errmsg);
      } else {
        assert.equal(r.body.errcode, 47003);
        assert.match(r.body.errmsg, new RegExp(`^argument invalid! data\\.${key}\\.value `));
      }
    });
  }

  test("the exact errmsg for a too-long thing", async () => {
    const r = await postJson(sendUrl(token), message({ thing1: { value: "x".repeat(21) } }));
    assert.deepEqual(r.body, { errcode: 47003, errmsg: "argument invalid! data.thing1.value exceeds limit" });
    assert.equal((await records("subscribe_messages")).length, 0);
    assert.equal((await records("subscribe_rejected"))[0].errcode, 47003);
  });

  test("an openid listed via /__fakes/no-subscription gets 43101", async () => {
    assert.equal((await post(`${control}/no-subscription`, { openid: "wx-alice" })).status, 200);
    const r = await postJson(sendUrl(token), message({ thing1: { value: "预约成功" } }));
    assert.deepEqual(r.body, { errcode: 43101, errmsg: "user refuse to accept the msg" });
    const other = await postJson(sendUrl(token), { ...message({ thing1: { value: "预约成功" } }), touser: "wx-bob" });
    assert.equal(other.body.errcode, 0);
    await post(`${control}/no-subscription`, { openid: "wx-alice", refuse: false });
    assert.equal((await postJson(sendUrl(token), message({ thing1: { value: "预约成功" } }))).body.errcode, 0);
  });

  test("missing or invalid access_token is 40001; missing fields are refused", async () => {
    const msg = message({ thing1: { value: "预约成功" } });
    assert.equal((await postJson(`${fakes.urls.wechat}/cgi-bin/message/subscribe/send`, msg)).body.errcode, 40001);
    assert.equal((await postJson(sendUrl("fake-at-bogus"), msg)).body.errcode, 40001);
    assert.equal((await postJson(sendUrl(token), { ...msg, touser: "" })).body.errcode, 40003);
    assert.equal((await postJson(sendUrl(token), { ...msg, template_id: undefined })).body.errcode, 40037);
    assert.equal((await postJson(sendUrl(token), { ...msg, data: {} })).body.errcode, 47003);
    assert.equal((await postJson(sendUrl(token), { ...msg, data: { thing1: { value: 5 } } })).body.errcode, 47003);
    assert.equal((await postJson(sendUrl(token), { ...msg, miniprogram_state: "beta" })).body.errcode, 47003);
    assert.equal((await postJson(sendUrl(token), "{oops")).body.errcode, 47001);
    assert.equal((await records("subscribe_messages")).length, 0);
  });
});

// ---------------------------------------------------------------- Alipay

function shanghaiTimestamp(offsetMs = 0) {
  return new Date(Date.now() + offsetMs + 8 * 3600_000).toISOString().slice(0, 19).replace("T", " ");
}

/** Signs the way an Alipay client does (written independently of the fake's own code). */
function signParams(params, key = APP_PRIVATE) {
  const content = Object.entries(params)
    .filter(([k, v]) => k !== "sign" && v !== "" && v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  return { ...params, sign: sign("sha256", Buffer.from(content, "utf8"), key).toString("base64") };
}

function oauthParams(code, extra = {}) {
  return {
    app_id: "ali-dev-appid",
    method: "alipay.system.oauth.token",
    charset: "utf-8",
    sign_type: "RSA2",
    timestamp: shanghaiTimestamp(),
    version: "1.0",
    grant_type: "authorization_code",
    code,
    ...extra,
  };
}

async function gateway(params, { inQuery = false } = {}) {
  const form = new URLSearchParams(params).toString();
  const res = inQuery
    ? await fetch(`${fakes.urls.alipay}?${form}`, { method: "POST" })
    : await fetch(fakes.urls.alipay, {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded;charset=utf-8" },
        body: form,
      });
  return { status: res.status, type: res.headers.get("content-type"), text: await res.text() };
}

/** Splits the raw body into the response key, the exact signed value text and the sign. */
function splitSigned(text) {
  const m = /^\{"([a-z_]+)":(.*),"sign":"([A-Za-z0-9+/=]+)"\}$/s.exec(text);
  assert.ok(m, `unexpected body shape: ${text}`);
  return { text, key: m[1], valueText: m[2], value: JSON.parse(m[2]), sign: m[3], whole: JSON.parse(text) };
}

/** Whether the official SDK accepts the answer's signature (its checkResponseSign throws if not). */
function signatureValid(r) {
  try {
    appSdk().checkResponseSign(r.text, r.key, r.sign, "test");
    return true;
  } catch {
    return false;
  }
}

describe("alipay alipay.open.app.mini.templatemessage.send", () => {
  const sendParams = (biz) => {
    const { grant_type, code, ...common } = oauthParams(undefined, { method: "alipay.open.app.mini.templatemessage.send" });
    return { ...common, biz_content: JSON.stringify(biz) };
  };
  const message = (to, data = { keyword1: { value: "普通护照" }, keyword3: { value: "2026-12-01 09:00~10:00" } }) => ({
    to_user_id: to,
    user_template_id: "tmpl-1",
    page: "pages/bookings/bookings",
    data: JSON.stringify(data),
  });

  const grant = (user_id, times = 1) => post(`${control}/alipay/subscriptions`, { user_id, template_ids: ["tmpl-1"], times });

  test("a signed send is recorded and answered 10000 under the method's key", async () => {
    assert.equal((await grant("ali-ivy")).status, 200);
    const r = splitSigned((await gateway(signParams(sendParams(message("ali-ivy"))))).text);
    assert.equal(r.key, "alipay_open_app_mini_templatemessage_send_response");
    assert.deepEqual(r.value, { code: "10000", msg: "Success" });
    assert.ok(signatureValid(r));
    const [sent] = await records("alipay_messages");
    assert.equal(sent.to_user_id, "ali-ivy");
    assert.equal(sent.data.keyword1.value, "普通护照");
  });

  test("a user who never subscribed is refused; one acceptance allows one message", async () => {
    const send = async () => splitSigned((await gateway(signParams(sendParams(message("ali-lee"))))).text).value;
    assert.equal((await send()).sub_code, "USER_NOT_SUBSCRIBED");
    assert.equal((await grant("ali-lee")).status, 200);
    assert.equal((await send()).code, "10000");
    assert.equal((await send()).sub_code, "USER_NOT_SUBSCRIBED");
    assert.deepEqual((await records("alipay_messages")).map((m) => m.to_user_id), ["ali-lee"]);
    for (const bad of [{ user_id: "ali-lee" }, { user_id: "", template_ids: ["t"] }, { user_id: "ali-lee", template_ids: ["t"], times: 0 }]) {
      assert.equal((await post(`${control}/alipay/subscriptions`, bad)).status, 400, JSON.stringify(bad));
    }
  });

  test("an unsubscribed user, bad data and a bad signature are refused and recorded", async () => {
    for (const user of ["ali-jon", "ali-kim"]) assert.equal((await grant(user, 5)).status, 200);
    const refuse = await fetch(`${fakes.urls.control}/no-subscription`, { method: "POST", body: JSON.stringify({ user_id: "ali-jon" }) });
    assert.equal(refuse.status, 200);
    const r = splitSigned((await gateway(signParams(sendParams(message("ali-jon"))))).text);
    assert.equal(r.key, "alipay_open_app_mini_templatemessage_send_response");
    assert.equal(r.value.code, "40004");
    assert.equal(r.value.sub_code, "USER_NOT_SUBSCRIBED");
    assert.ok(signatureValid(r));
    const bad = splitSigned((await gateway(signParams(sendParams(message("ali-kim", { thing1: { value: "x" } }))))).text);
    assert.equal(bad.value.sub_code, "TEMPLATE_DATA_ILLEGAL");
    const unsigned = splitSigned((await gateway(sendParams(message("ali-kim")))).text);
    assert.equal(unsigned.value.sub_code, "isv.invalid-signature");
    assert.deepEqual((await records("alipay_rejected")).map((x) => x.sub_code), ["USER_NOT_SUBSCRIBED", "TEMPLATE_DATA_ILLEGAL", "isv.invalid-signature"]);
    assert.equal((await records("alipay_messages")).length, 0);
  });
});

describe("alipay, driven by the official SDK (alipay-sdk)", () => {
  test("my.getPhoneNumber's sealed number opens and verifies with the SDK's own aesDecrypt and rsaCheck", async () => {
    const res = await postJson(`${control}/alipay/phone`, { mobile: "13812345678" });
    assert.equal(res.status, 200);
    const sealed = JSON.parse(res.body.response);
    assert.deepEqual([sealed.sign_type, sealed.encrypt_type], ["RSA2", "AES"]);
    const sdk = new AlipaySdk({
      appId: "ali-dev-appid",
      keyType: "PKCS8",
      privateKey: keyFile("app_private.b64"),
      alipayPublicKey: keyFile("alipay_public.b64"),
      encryptKey: DEFAULTS.alipayContentKey,
    });
    // As the SDK's README says: the ciphertext is checked wrapped in double quotes.
    assert.equal(sdk.rsaCheck(`"${sealed.response}"`, sealed.sign, "RSA2"), true);
    assert.equal(sdk.rsaCheck(sealed.response, sealed.sign, "RSA2"), false);
    assert.deepEqual(JSON.parse(sdk.aesDecrypt(sealed.response)), { code: "10000", msg: "Success", mobile: "13812345678" });

    const refused = JSON.parse((await postJson(`${control}/alipay/phone`, { refused: true })).body.response);
    assert.equal(JSON.parse(sdk.aesDecrypt(refused.response)).code, "40003");
    assert.equal((await post(`${control}/alipay/phone`, { mobile: "not a number" })).status, 400);
  });

  // The SDK stamps requests with its host's local time; the gateway reads Beijing time.
  const timestamp = () => shanghaiTimestamp();

  test("the SDK's signed token request is accepted and the SDK accepts the signed answer", async () => {
    const answer = await appSdk(fakes.urls.alipay).exec(
      "alipay.system.oauth.token",
      { grantType: "authorization_code", code: "dev-sdk", timestamp: timestamp() },
      { validateSign: true },
    );
    assert.equal(answer.userId, "ali-sdk");
    assert.equal(answer.openId, "ali-open-sdk");
    assert.equal((await records("alipay_oauth"))[0].user_id, "ali-sdk");
  });

  test("the SDK's template message (biz_content) is accepted, recorded and its answer verifies", async () => {
    await post(`${control}/alipay/subscriptions`, { user_id: "ali-sdk-user", template_ids: ["tmpl-sdk"] });
    const answer = await appSdk(fakes.urls.alipay).exec(
      "alipay.open.app.mini.templatemessage.send",
      {
        timestamp: timestamp(),
        bizContent: {
          toUserId: "ali-sdk-user",
          userTemplateId: "tmpl-sdk",
          page: "pages/bookings/bookings",
          data: JSON.stringify({ keyword1: { value: "普通护照 / 预约成功" } }),
        },
      },
      { validateSign: true },
    );
    assert.equal(answer.code, "10000");
    const [sent] = await records("alipay_messages");
    assert.equal(sent.to_user_id, "ali-sdk-user");
    assert.equal(sent.data.keyword1.value, "普通护照 / 预约成功");
  });

  test("the SDK refuses an answer whose signature does not verify (badsig)", async () => {
    await fault({ provider: "alipay", op: "alipay.system.oauth.token", mode: "badsig" });
    await assert.rejects(
      appSdk(fakes.urls.alipay).exec("alipay.system.oauth.token", { grantType: "authorization_code", code: "dev-sdk2", timestamp: timestamp() }, { validateSign: true }),
      (e) => e.name === "AlipayRequestError" && /验签失败/.test(e.message),
    );
  });

  test("a request the SDK signed with another key is refused", async () => {
    const other = new AlipaySdk({ appId: "ali-dev-appid", keyType: "PKCS8", privateKey: keyFile("alipay_private.b64"), gateway: fakes.urls.alipay });
    const answer = await other.exec("alipay.system.oauth.token", { grantType: "authorization_code", code: "dev-sdk3", timestamp: timestamp() });
    assert.equal(answer.subCode, "isv.invalid-signature");
  });
});

describe("alipay alipay.system.oauth.token", () => {
  test("a correctly signed request succeeds and the response signature verifies", async () => {
    const raw = await gateway(signParams(oauthParams("dev-alice")));
    assert.equal(raw.status, 200);
    assert.match(raw.type, /json/);
    const r = splitSigned(raw.text);
    assert.equal(r.key, "alipay_system_oauth_token_response");
    assert.equal(r.value.user_id, "ali-alice");
    assert.equal(r.value.open_id, "ali-open-alice");
    assert.equal(r.value.expires_in, 1296000);
    assert.equal(r.value.re_expires_in, 2592000);
    assert.ok(r.value.access_token && r.value.refresh_token);
    assert.equal(r.whole.sign, r.sign);
    assert.ok(signatureValid(r), "response signature must verify with alipay_public.pem");
    assert.equal((await records("alipay_oauth"))[0].user_id, "ali-alice");
  });

  test("params in the query string are accepted too", async () => {
    const r = splitSigned((await gateway(signParams(oauthParams("dev-bob")), { inQuery: true })).text);
    assert.equal(r.value.user_id, "ali-bob");
    assert.ok(signatureValid(r));
  });

  test("a tampered request fails with isv.invalid-signature (signed error)", async () => {
    const signed = signParams(oauthParams("dev-carol"));
    const r = splitSigned((await gateway({ ...signed, code: "dev-mallory" })).text);
    assert.equal(r.key, "error_response");
    assert.deepEqual(r.value, {
      code: "40002",
      msg: "Invalid Arguments",
      sub_code: "isv.invalid-signature",
      sub_msg: "验签出错",
    });
    assert.ok(signatureValid(r));
  });

  test("a missing signature, or one by another key, fails", async () => {
    const unsigned = oauthParams("dev-dan");
    assert.equal(splitSigned((await gateway(unsigned)).text).value.sub_code, "isv.invalid-signature");
    const otherKey = createPrivateKey(keyFile("alipay_private.pem"));
    const wrong = signParams(oauthParams("dev-dan"), otherKey);
    assert.equal(splitSigned((await gateway(wrong)).text).value.sub_code, "isv.invalid-signature");
  });

  test("a signed string in another order, or with URL-encoded values, is refused", async () => {
    const params = oauthParams("dev-ola", { extra_field: "a b/c" });
    const unsorted = Object.entries(params).map(([k, v]) => `${k}=${v}`).join("&");
    const encoded = Object.keys(params).sort().map((k) => `${k}=${encodeURIComponent(params[k])}`).join("&");
    for (const content of [unsorted, encoded]) {
      const signed = { ...params, sign: sign("sha256", Buffer.from(content, "utf8"), APP_PRIVATE).toString("base64") };
      assert.equal(splitSigned((await gateway(signed)).text).value.sub_code, "isv.invalid-signature", content);
    }
    assert.equal(splitSigned((await gateway(signParams(params))).text).value.user_id, "ali-ola");
  });

  test("empty params are left out of the signed string", async () => {
    const r = splitSigned((await gateway(signParams(oauthParams("dev-erin", { app_auth_token: "" })))).text);
    assert.equal(r.value.user_id, "ali-erin");
  });

  test("dev-invalid, other codes and reused codes are isv.code-invalid (signed)", async () => {
    for (const code of ["dev-invalid", "abc123"]) {
      const r = splitSigned((await gateway(signParams(oauthParams(code)))).text);
      assert.equal(r.key, "error_response");
      assert.equal(r.value.code, "40002");
      assert.equal(r.value.sub_code, "isv.code-invalid");
      assert.ok(signatureValid(r));
    }
    assert.equal(splitSigned((await gateway(signParams(oauthParams("dev-fay")))).text).value.user_id, "ali-fay");
    const again = splitSigned((await gateway(signParams(oauthParams("dev-fay")))).text);
    assert.equal(again.value.sub_code, "isv.code-invalid");
    const fresh = splitSigned((await gateway(signParams(oauthParams("dev-fay~2")))).text);
    assert.equal(fresh.value.user_id, "ali-fay");
  });

  test("common parameters are checked", async () => {
    const sub = async (extra) => splitSigned((await gateway(signParams(oauthParams("dev-gus", extra)))).text).value;
    assert.equal((await sub({ app_id: "ali-other" })).sub_code, "isv.invalid-app-id");
    assert.equal((await sub({ method: "alipay.user.info.share" })).sub_code, "isv.invalid-method");
    assert.equal((await sub({ sign_type: "RSA" })).sub_code, "isv.invalid-signature-type");
    assert.equal((await sub({ charset: "GBK" })).sub_code, "isv.invalid-charset");
    assert.equal((await sub({ timestamp: "2024/05/01 10:00:00" })).sub_code, "isv.invalid-timestamp");
    assert.equal((await sub({ timestamp: shanghaiTimestamp(-3600_000) })).sub_code, "isv.invalid-timestamp");
    assert.equal((await sub({ grant_type: "password" })).sub_code, "isv.grant-type-invalid");
  });

  test("grant_type=refresh_token rotates the refresh token", async () => {
    const first = splitSigned((await gateway(signParams(oauthParams("dev-hal")))).text).value;
    const params = oauthParams(undefined, { grant_type: "refresh_token", refresh_token: first.refresh_token });
    delete params.code;
    const second = splitSigned((await gateway(signParams(params))).text);
    assert.equal(second.value.user_id, "ali-hal");
    assert.notEqual(second.value.refresh_token, first.refresh_token);
    const replay = splitSigned((await gateway(signParams(params))).text);
    assert.equal(replay.value.sub_code, "isv.refresh-token-invalid");
  });
});

// ---------------------------------------------------------------- face verification

describe("face verification", () => {
  const verifyUrl = () => `${fakes.urls.faceVerify}/v1/verify`;
  const auth = { Authorization: "Bearer dev-face-key" };
  const ID = "11010119900307002X";

  test("dev-ok passes for the name and ID given", async () => {
    const r = await postJson(verifyUrl(), { verify_token: "dev-ok", name: "张三", id_number: ID }, auth);
    assert.equal(r.status, 200);
    assert.equal(r.body.passed, true);
    assert.equal(r.body.score, 0.98);
    assert.ok(r.body.request_id);
  });

  test("any other token fails with reason mismatch", async () => {
    const r = await postJson(verifyUrl(), { verify_token: "dev-nope", name: "张三", id_number: ID }, auth);
    assert.equal(r.status, 200);
    assert.equal(r.body.passed, false);
    assert.equal(r.body.reason, "mismatch");
    assert.ok(r.body.request_id);
  });

  test("a wrong or missing API key is 401", async () => {
    const body = { verify_token: "dev-ok", name: "张三", id_number: ID };
    const wrong = await postJson(verifyUrl(), body, { Authorization: "Bearer other" });
    assert.equal(wrong.status, 401);
    assert.deepEqual(wrong.body, { error: "unauthorized" });
    assert.equal((await postJson(verifyUrl(), body)).status, 401);
  });

  test("a foreigner's document passes with dev-ok and is recorded masked", async () => {
    const body = {
      verify_token: "dev-ok",
      name: "SMITH JOHN",
      document_type: "foreign_passport",
      document_number: "E12345678",
      nationality: "USA",
    };
    const r = await postJson(verifyUrl(), body, auth);
    assert.equal(r.status, 200);
    assert.equal(r.body.passed, true);
    const rec = (await records("face_verifications")).at(-1);
    assert.equal(rec.document_type, "foreign_passport");
    assert.equal(rec.document_number, "E1*****78");
    const everything = JSON.stringify((await getJson(`${control}/records`)).body);
    assert.ok(!everything.includes("E12345678"));
    const unknown = await postJson(verifyUrl(), { ...body, document_type: "driving_licence" }, auth);
    assert.equal(unknown.status, 400);
    const both = await postJson(verifyUrl(), { ...body, id_number: ID }, auth);
    assert.equal(both.status, 400);
  });

  test("missing fields are 400", async () => {
    assert.equal((await postJson(verifyUrl(), { verify_token: "dev-ok", name: "张三" }, auth)).status, 400);
    assert.equal((await post(verifyUrl(), "{bad", auth)).status, 400);
  });

  test("records keep only the masked ID number", async () => {
    await postJson(verifyUrl(), { verify_token: "dev-ok", name: "张三", id_number: ID }, auth);
    const recs = await records("face_verifications");
    assert.equal(recs.length, 1);
    assert.equal(recs[0].id_number, "1101**********002X");
    assert.equal(recs[0].passed, true);
    const everything = JSON.stringify((await getJson(`${control}/records`)).body);
    assert.ok(!everything.includes(ID), "the full ID number must not be stored anywhere");
  });
});

// ---------------------------------------------------------------- faults and control endpoints

describe("fault switch", () => {
  test("busy: WeChat answers errcode -1 for the next N calls, then works again", async () => {
    const f = await fault({ provider: "wechat", op: "jscode2session", mode: "busy", count: 2 });
    assert.equal(f.status, 200);
    assert.deepEqual((await session("dev-ivy")).body, { errcode: -1, errmsg: "system error" });
    assert.deepEqual((await session("dev-ivy")).body, { errcode: -1, errmsg: "system error" });
    assert.equal((await session("dev-ivy")).body.openid, "wx-ivy", "a faulted call must not burn the code");
  });

  test("malformed: the body is {not json", async () => {
    await fault({ provider: "wechat", op: "stable_token", mode: "malformed" });
    const r = await post(`${fakes.urls.wechat}/cgi-bin/stable_token`, {
      grant_type: "client_credential",
      appid: "wx-dev-appid",
      secret: "dev-wechat-secret",
    });
    assert.equal(r.status, 200);
    assert.equal(r.text, "{not json");
  });

  test("http500: status 500", async () => {
    await fault({ provider: "face", op: "verify", mode: "http500" });
    const r = await post(
      `${fakes.urls.faceVerify}/v1/verify`,
      { verify_token: "dev-ok", name: "张三", id_number: "11010119900307002X" },
      { Authorization: "Bearer dev-face-key" },
    );
    assert.equal(r.status, 500);
  });

  test("busy on face and alipay", async () => {
    await fault({ provider: "face", op: "*", mode: "busy" });
    const r = await post(
      `${fakes.urls.faceVerify}/v1/verify`,
      { verify_token: "dev-ok", name: "张三", id_number: "11010119900307002X" },
      { Authorization: "Bearer dev-face-key" },
    );
    assert.equal(r.status, 503);
    await fault({ provider: "alipay", op: "alipay.system.oauth.token", mode: "busy" });
    const a = splitSigned((await gateway(signParams(oauthParams("dev-jo")))).text);
    assert.equal(a.key, "error_response");
    assert.equal(a.value.code, "20000");
  });

  test("badsig: Alipay's response signature does not verify, the content is otherwise right", async () => {
    await fault({ provider: "alipay", op: "alipay.system.oauth.token", mode: "badsig" });
    const bad = splitSigned((await gateway(signParams(oauthParams("dev-kim")))).text);
    assert.equal(bad.value.user_id, "ali-kim");
    assert.equal(signatureValid(bad), false);
    const good = splitSigned((await gateway(signParams(oauthParams("dev-kim2")))).text);
    assert.ok(signatureValid(good));
  });

  test("timeout: no answer (a fetch with a 500 ms AbortSignal aborts)", async () => {
    await fault({ provider: "wechat", op: "jscode2session", mode: "timeout" });
    const q = "appid=wx-dev-appid&secret=dev-wechat-secret&js_code=dev-lee&grant_type=authorization_code";
    await assert.rejects(
      fetch(`${fakes.urls.wechat}/sns/jscode2session?${q}`, { signal: AbortSignal.timeout(500) }),
      (e) => e.name === "TimeoutError" || e.name === "AbortError",
    );
    const held = (await records("requests")).find((r) => r.fault === "timeout");
    assert.equal(held.status, null);
  });

  test("bad fault specs are 400; pending faults are listed and cleared by reset", async () => {
    assert.equal((await fault({ provider: "wechat", op: "nope", mode: "busy" })).status, 400);
    assert.equal((await fault({ provider: "wechat", op: "jscode2session", mode: "badsig" })).status, 400);
    assert.equal((await fault({ provider: "x", op: "y", mode: "busy" })).status, 400);
    assert.equal((await fault({ provider: "wechat", op: "jscode2session", mode: "busy", count: 0 })).status, 400);
    await fault({ provider: "faceVerify", op: "verify", mode: "busy", count: 3 });
    assert.deepEqual((await getJson(`${control}/faults`)).body, [
      { provider: "face", op: "verify", mode: "busy", remaining: 3 },
    ]);
    await post(`${control}/reset`, {});
    assert.deepEqual((await getJson(`${control}/faults`)).body, []);
  });
});

describe("records and control", () => {
  test("records are readable in process and over HTTP, and reset clears them", async () => {
    await session("dev-mia");
    assert.equal(fakes.records.list("wechat_logins").length, 1);
    const req = (await records("requests")).find((r) => r.op === "jscode2session");
    assert.equal(req.status, 200);
    assert.equal(req.path, "/wechat/sns/jscode2session");
    assert.deepEqual(await records("no_such_kind"), []);
    await post(`${control}/reset`, {});
    assert.deepEqual(await records("wechat_logins"), []);
  });

  test("since= returns only newer entries", async () => {
    await session("dev-ned");
    const [first] = await records("wechat_logins");
    await session("dev-ola");
    const newer = (await getJson(`${control}/records?kind=wechat_logins&since=${first.seq}`)).body;
    assert.deepEqual(
      newer.map((r) => r.openid),
      ["wx-ola"],
    );
  });

  test("unknown paths are 404", async () => {
    assert.equal((await getJson(`${fakes.urls.wechat}/cgi-bin/nope`)).status, 404);
    assert.equal((await getJson(fakes.urls.wechat.replace(/\/wechat$/, "/elsewhere"))).status, 404);
  });
});

describe("options and CLI", () => {
  test("configured credentials replace the defaults", async () => {
    const other = await startFakes({
      wechat: { appid: "wx-custom", secret: "s3" },
      alipay: { appId: "ali-custom", appPublicKeyPem: keyFile("app_public.b64") },
      faceApiKey: "k2",
    });
    try {
      const q = new URLSearchParams({
        appid: "wx-custom",
        secret: "s3",
        js_code: "dev-pam",
        grant_type: "authorization_code",
      });
      assert.equal((await getJson(`${other.urls.wechat}/sns/jscode2session?${q}`)).body.openid, "wx-pam");
      const defaults = new URLSearchParams({ ...Object.fromEntries(q), appid: "wx-dev-appid", js_code: "dev-q" });
      assert.equal((await getJson(`${other.urls.wechat}/sns/jscode2session?${defaults}`)).body.errcode, 40013);
      const form = new URLSearchParams(signParams(oauthParams("dev-quinn", { app_id: "ali-custom" })));
      const res = await fetch(other.urls.alipay, { method: "POST", body: form });
      assert.equal(splitSigned(await res.text()).value.user_id, "ali-quinn");
      const face = await postJson(
        `${other.urls.faceVerify}/v1/verify`,
        { verify_token: "dev-ok", name: "A", id_number: "11010119900307002X" },
        { Authorization: "Bearer k2" },
      );
      assert.equal(face.body.passed, true);
    } finally {
      await other.close();
    }
  });

  test("node index.mjs --port 0 prints one ready line and exits cleanly on SIGTERM", async () => {
    const child = spawn(process.execPath, [new URL("./index.mjs", import.meta.url).pathname, "--port", "0"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const line = await new Promise((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d) => {
        out += d;
        if (out.includes("\n")) resolve(out.split("\n")[0]);
      });
      child.once("exit", (code) => reject(new Error(`exited early with ${code}`)));
    });
    const ready = JSON.parse(line);
    assert.equal(ready.fakes, "ready");
    assert.ok(ready.port > 0);
    const health = await getJson(`http://127.0.0.1:${ready.port}/__fakes/health`);
    assert.deepEqual(health.body, { fakes: "ok" });
    const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    child.kill("SIGTERM");
    assert.deepEqual(await exited, { code: 0, signal: null });
  });
});
