// Fake Alipay open-platform gateway (openapi.alipay.com/gateway.do) for alipay.system.oauth.token
// and alipay.open.app.mini.templatemessage.send (template messages to subscribed users).
// Requests must be RSA2-signed with the app's private key, and the official Node SDK (alipay-sdk)
// judges each signature with its own parameter ordering and encoding, so a mistake in how our
// backend builds the signed string fails here as it would at Alipay. Responses are RSA2-signed
// with the platform's private key over the exact JSON text of the response value, as Alipay does
// and as the SDK's checkResponseSign reads it back (dev/fakes/fakes.test.mjs checks each kind).
import { createCipheriv, randomBytes, sign as rsaSign } from "node:crypto";
import { AlipaySdk } from "alipay-sdk";
import { sendText } from "./http.mjs";

const OAUTH_METHOD = "alipay.system.oauth.token";
const SUCCESS_KEY = "alipay_system_oauth_token_response";
const SEND_METHOD = "alipay.open.app.mini.templatemessage.send";
const SEND_KEY = "alipay_open_app_mini_templatemessage_send_response";
const METHODS = new Set([OAUTH_METHOD, SEND_METHOD]);

const E = {
  busy: ["20000", "Service Currently Unavailable", "isp.unknow-error", "系统繁忙"],
  missingMethod: ["40001", "Missing Required Arguments", "isv.missing-method", "缺少方法名参数"],
  missingAppId: ["40001", "Missing Required Arguments", "isv.missing-app-id", "缺少AppID参数"],
  missingSignType: ["40001", "Missing Required Arguments", "isv.missing-signature-type", "缺少签名类型参数"],
  missingTimestamp: ["40001", "Missing Required Arguments", "isv.missing-timestamp", "缺少时间戳参数"],
  missingVersion: ["40001", "Missing Required Arguments", "isv.missing-version", "缺少版本参数"],
  invalidAppId: ["40002", "Invalid Arguments", "isv.invalid-app-id", "无效的AppID参数"],
  invalidMethod: ["40002", "Invalid Arguments", "isv.invalid-method", "不存在的方法名"],
  invalidSignType: ["40002", "Invalid Arguments", "isv.invalid-signature-type", "无效签名方式"],
  invalidCharset: ["40002", "Invalid Arguments", "isv.invalid-charset", "字符集错误"],
  invalidTimestamp: ["40002", "Invalid Arguments", "isv.invalid-timestamp", "非法的时间戳参数"],
  invalidVersion: ["40002", "Invalid Arguments", "isv.invalid-version", "版本号错误"],
  invalidSignature: ["40002", "Invalid Arguments", "isv.invalid-signature", "验签出错"],
  grantType: ["40002", "Invalid Arguments", "isv.grant-type-invalid", "不支持的grantType"],
  codeInvalid: ["40002", "Invalid Arguments", "isv.code-invalid", "授权码code无效"],
  refreshInvalid: ["40002", "Invalid Arguments", "isv.refresh-token-invalid", "刷新令牌refresh_token无效"],
  missingBiz: ["40001", "Missing Required Arguments", "isv.missing-biz-content", "缺少业务参数"],
  invalidBiz: ["40002", "Invalid Arguments", "isv.invalid-biz-content", "业务参数格式错误"],
  notSubscribed: ["40004", "Business Failed", "USER_NOT_SUBSCRIBED", "用户未订阅该模板消息"],
  dataIllegal: ["40004", "Business Failed", "TEMPLATE_DATA_ILLEGAL", "模板数据不合法"],
};

const succeeded = { code: "10000", msg: "Success" };
// A generous bound on one keyword's value: the fake refuses only what no template could show.
const KEYWORD_MAX = 64;

/**
 * The official SDK set up as the gateway's mirror image of an app: its "Alipay public key" is the
 * app's, so the check it gives apps for what Alipay signed (checkNotifySignV2: every parameter but
 * `sign`, sorted, raw `k=v` joined by `&`, RSA2) verifies what the app signed. Its private key is
 * the platform's, the key the gateway answers with.
 */
function gatewaySdk(appId, appPublicKey, alipayPrivateKey) {
  return new AlipaySdk({
    appId,
    keyType: "PKCS8",
    privateKey: alipayPrivateKey.export({ format: "der", type: "pkcs8" }).toString("base64"),
    alipayPublicKey: appPublicKey.export({ format: "der", type: "spki" }).toString("base64"),
  });
}

/**
 * Whether an app signed these request parameters. The gateway leaves empty parameters out of the
 * signed string (its documented rule); the SDK's check keeps whatever it is given, so they are
 * dropped first. The SDK also accepts a signature made without `sign_type` in the string (it
 * tries both, for notifications' sake): the gateway is stricter there, this fake is not.
 */
function verifiedBy(sdk, params) {
  const signed = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== ""));
  try {
    return sdk.checkNotifySignV2(signed);
  } catch {
    return false;
  }
}

/**
 * The SDK exports no signer for a response's text (it is a client: it signs requests and checks
 * answers), so answers are signed here, RSA-SHA256 over the UTF-8 text, as its own signing does.
 */
function signAnswer(text, privateKey) {
  return rsaSign("sha256", Buffer.from(text, "utf8"), privateKey).toString("base64");
}

/** "yyyy-MM-dd HH:mm:ss" read as Asia/Shanghai time; NaN when malformed. */
function parseTimestamp(ts) {
  const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})$/.exec(ts);
  return m ? Date.parse(`${m[1]}T${m[2]}+08:00`) : NaN;
}

function shanghaiNow() {
  return new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 19).replace("T", " ");
}

/** Query string and form body merged (the body wins), as the gateway reads them. */
function readParams(req, url, rawBody) {
  const params = Object.fromEntries(url.searchParams);
  const type = (req.headers["content-type"] ?? "").toLowerCase();
  if (rawBody.length > 0 && (type === "" || type.startsWith("application/x-www-form-urlencoded"))) {
    Object.assign(params, Object.fromEntries(new URLSearchParams(rawBody.toString("utf8"))));
  }
  return params;
}

/**
 * What my.getPhoneNumber gives the client: `{"code","msg","mobile"}` sealed with the app's content
 * key (AES-CBC, zero IV, PKCS#7, base64) and the ciphertext signed in double quotes (RSA2), as the
 * official SDK's `aesDecrypt` and `rsaCheck` read it back (dev/fakes/fakes.test.mjs checks).
 */
function sealPhone(answer, contentKey, alipayPrivateKey) {
  const cipher = createCipheriv(`aes-${contentKey.length * 8}-cbc`, contentKey, Buffer.alloc(16));
  const content = Buffer.concat([cipher.update(JSON.stringify(answer), "utf8"), cipher.final()]).toString("base64");
  const sign = signAnswer(`"${content}"`, alipayPrivateKey);
  return JSON.stringify({ response: content, sign, sign_type: "RSA2", encrypt_type: "AES", charset: "UTF-8" });
}

export function createAlipay(config, { records, faults }) {
  const { appId, appPublicKey, alipayPrivateKey, contentKey, singleUseCodes = true, maxSkewSec = 900 } = config;
  const sdk = gatewaySdk(appId, appPublicKey, alipayPrivateKey);
  const usedCodes = new Set();
  const refusing = new Set(); // user ids that did not subscribe
  // What my.requestSubscribeMessage tells Alipay's servers: user id -> template id -> messages
  // still allowed. One acceptance allows one message (一次性订阅); a send without one is
  // USER_NOT_SUBSCRIBED, as at Alipay.
  const grants = new Map();

  /** Uses up one of the messages `userId` allowed for `templateId`; false when none is left. */
  function takeGrant(userId, templateId) {
    const left = grants.get(userId)?.get(templateId) ?? 0;
    if (left < 1) return false;
    grants.get(userId).set(templateId, left - 1);
    return true;
  }
  const refreshTokens = new Map(); // refresh_token -> x (of dev-<x>)

  /** Writes `{"<key>":<json>,"sign":"<sig>"}` so the signed text is exactly the value's text in the body. */
  function respond(res, key, value, { badsig = false } = {}) {
    const json = JSON.stringify(value);
    // badsig: a well-formed signature, but over other bytes than the ones sent.
    const sig = signAnswer(badsig ? `${json} ` : json, alipayPrivateKey);
    sendText(res, 200, `{"${key}":${json},"sign":"${sig}"}`, "application/json;charset=utf-8");
  }

  const errorValue = ([code, msg, sub_code, sub_msg]) => ({ code, msg, sub_code, sub_msg });

  /** Common-parameter and signature checks; returns an error tuple or null. */
  function checkCommon(p) {
    if (!p.method) return E.missingMethod;
    if (!p.app_id) return E.missingAppId;
    if (p.app_id !== appId) return E.invalidAppId;
    if (!METHODS.has(p.method)) return E.invalidMethod;
    if (!p.sign_type) return E.missingSignType;
    if (p.sign_type !== "RSA2") return E.invalidSignType;
    if ((p.charset ?? "").toLowerCase() !== "utf-8") return E.invalidCharset;
    if (!p.timestamp) return E.missingTimestamp;
    const ts = parseTimestamp(p.timestamp);
    if (Number.isNaN(ts)) return E.invalidTimestamp;
    if (maxSkewSec > 0 && Math.abs(Date.now() - ts) > maxSkewSec * 1000) return E.invalidTimestamp;
    if (!p.version) return E.missingVersion;
    if (p.version !== "1.0") return E.invalidVersion;
    if (!p.sign || !verifiedBy(sdk, p)) return E.invalidSignature;
    return null;
  }

  function issue(x) {
    const token = () => `authusrB${randomBytes(16).toString("hex")}`;
    const refresh_token = token();
    refreshTokens.set(refresh_token, x);
    return {
      user_id: `ali-${x}`,
      open_id: `ali-open-${x}`,
      access_token: token(),
      expires_in: 1296000,
      refresh_token,
      re_expires_in: 2592000,
      auth_start: shanghaiNow(),
    };
  }

  /** Business part of alipay.system.oauth.token: returns [key, value]. */
  function oauthToken(p) {
    if (p.grant_type === "authorization_code") {
      // dev-<x> or dev-<x>~<anything>: the part after "~" only makes the code unique (same user).
      const m = typeof p.code === "string" ? /^dev-([^~]+)(?:~.*)?$/.exec(p.code) : null;
      if (!m || m[1] === "invalid") return ["error_response", errorValue(E.codeInvalid)];
      if (singleUseCodes) {
        if (usedCodes.has(p.code)) return ["error_response", errorValue(E.codeInvalid)];
        usedCodes.add(p.code);
      }
      return [SUCCESS_KEY, issue(m[1])];
    }
    if (p.grant_type === "refresh_token") {
      const x = refreshTokens.get(p.refresh_token);
      if (x === undefined) return ["error_response", errorValue(E.refreshInvalid)];
      refreshTokens.delete(p.refresh_token);
      return [SUCCESS_KEY, issue(x)];
    }
    return ["error_response", errorValue(E.grantType)];
  }

  /**
   * Business part of the template message send: returns [key, value, record]. Business failures
   * come under the method's own key with code 40004, as the gateway answers them.
   */
  function templateMessage(p) {
    if (!p.biz_content) return ["error_response", errorValue(E.missingBiz)];
    let biz;
    try {
      biz = JSON.parse(p.biz_content);
    } catch {
      return ["error_response", errorValue(E.invalidBiz)];
    }
    const { to_user_id, user_template_id, page, data } = biz ?? {};
    const str = (v, max) => typeof v === "string" && v !== "" && [...v].length <= max;
    if (!str(to_user_id, 64) || !str(user_template_id, 64) || (page !== undefined && !str(page, 128)) || !str(data, 2048)) {
      return ["error_response", errorValue(E.invalidBiz)];
    }
    let fields;
    try {
      fields = JSON.parse(data);
    } catch {
      fields = null;
    }
    const keywordsOk =
      fields !== null &&
      typeof fields === "object" &&
      !Array.isArray(fields) &&
      Object.keys(fields).length > 0 &&
      Object.entries(fields).every(([k, v]) => /^keyword\d+$/.test(k) && typeof v?.value === "string" && [...v.value].length <= KEYWORD_MAX);
    const message = { to_user_id, user_template_id, page, data: fields };
    if (!keywordsOk) return [SEND_KEY, errorValue(E.dataIllegal), { rejected: true, message, sub_code: E.dataIllegal[2] }];
    if (refusing.has(to_user_id) || !takeGrant(to_user_id, user_template_id)) return [SEND_KEY, errorValue(E.notSubscribed), { rejected: true, message, sub_code: E.notSubscribed[2] }];
    return [SEND_KEY, succeeded, { rejected: false, message }];
  }

  /** alipay.open.app.mini.templatemessage.send: records `alipay_messages` or `alipay_rejected`. */
  function sendTemplateMessage(req, res, p, note) {
    const fault = faults.take("alipay", SEND_METHOD);
    if (fault) {
      note.fault = fault;
      if (fault === "busy") return respond(res, "error_response", errorValue(E.busy));
      if (faults.applyGeneric(fault, req, res)) return;
    }
    const commonErr = checkCommon(p);
    if (commonErr) {
      records.add("alipay_rejected", { sub_code: commonErr[2] });
      return respond(res, "error_response", errorValue(commonErr), { badsig: fault === "badsig" });
    }
    const [key, value, outcome] = templateMessage(p);
    if (!outcome) records.add("alipay_rejected", { sub_code: value.sub_code });
    else if (outcome.rejected) records.add("alipay_rejected", { ...outcome.message, sub_code: outcome.sub_code });
    else records.add("alipay_messages", outcome.message);
    return respond(res, key, value, { badsig: fault === "badsig" });
  }

  return {
    /** `path` is the part after /alipay. `note` is this call's entry in the "requests" record. */
    handle(req, res, path, url, rawBody, note) {
      if (path !== "/gateway.do") {
        return sendText(res, 404, "Not Found", "text/plain; charset=utf-8");
      }
      const p = readParams(req, url, rawBody);
      note.op = p.method;
      if (p.method === SEND_METHOD) return sendTemplateMessage(req, res, p, note);
      const entry = records.add("alipay_oauth", {
        app_id: p.app_id,
        method: p.method,
        grant_type: p.grant_type,
        code: p.code,
      });
      const fault = faults.take("alipay", p.method);
      if (fault) {
        note.fault = fault;
        entry.fault = fault;
        if (fault === "busy") return respond(res, "error_response", errorValue(E.busy));
        if (faults.applyGeneric(fault, req, res)) return;
      }
      const commonErr = checkCommon(p);
      const [key, value] = commonErr ? ["error_response", errorValue(commonErr)] : oauthToken(p);
      if (key === SUCCESS_KEY) entry.user_id = value.user_id;
      else entry.sub_code = value.sub_code;
      return respond(res, key, value, { badsig: fault === "badsig" });
    },

    /** Marks a user id as not subscribed (USER_NOT_SUBSCRIBED) or, with refuse=false, subscribed again. */
    setRefusing(userId, refuse = true) {
      if (refuse) refusing.add(userId);
      else refusing.delete(userId);
    },

    /**
     * The `response` text my.getPhoneNumber hands a client whose user allowed their number
     * `mobile`; `refused` gives Alipay's answer for a user who did not bind one.
     */
    phoneResponse(mobile, { refused = false } = {}) {
      const answer = refused
        ? { code: "40003", msg: "Business Failed", subCode: "isv.invalid-auth-relations", subMsg: "无效的授权关系" }
        : { code: "10000", msg: "Success", mobile };
      records.add("alipay_phone", { mobile: refused ? null : mobile });
      return sealPhone(answer, contentKey, alipayPrivateKey);
    },

    /** The user `userId` accepted `templateIds` in my.requestSubscribeMessage, `times` times. */
    grant(userId, templateIds, times = 1) {
      if (!grants.has(userId)) grants.set(userId, new Map());
      const mine = grants.get(userId);
      for (const t of templateIds) mine.set(t, (mine.get(t) ?? 0) + times);
    },

    /** Forgets used authorization codes, subscriptions and unsubscribed users. Issued refresh tokens stay valid. */
    reset() {
      usedCodes.clear();
      refusing.clear();
      grants.clear();
    },
  };
}
