// Fake WeChat server API (api.weixin.qq.com): jscode2session, stable_token,
// getuserphonenumber and subscribe-message send, with WeChat's query names, JSON fields and errcodes.
import { randomBytes } from "node:crypto";
import { maskPhone, parseJsonObject, sendJson } from "./http.mjs";
import { checkSubscribeData } from "./subscribe_limits.mjs";

const ROUTES = {
  "/sns/jscode2session": { op: "jscode2session", method: "GET" },
  "/cgi-bin/stable_token": { op: "stable_token", method: "POST" },
  "/wxa/business/getuserphonenumber": { op: "getuserphonenumber", method: "POST" },
  "/cgi-bin/message/subscribe/send": { op: "subscribe_send", method: "POST" },
};

const err = (errcode, errmsg) => ({ errcode, errmsg });
const E = {
  busy: err(-1, "system error"),
  badToken: err(40001, "invalid credential, access_token is invalid or not latest"),
  grantType: err(40002, "invalid grant_type"),
  openid: err(40003, "invalid openid"),
  appid: err(40013, "invalid appid"),
  code: err(40029, "invalid code"),
  templateId: err(40037, "invalid template_id"),
  secret: err(40125, "invalid appsecret"),
  codeUsed: err(40163, "code been used"),
  appidMissing: err(41002, "appid missing"),
  secretMissing: err(41004, "appsecret missing"),
  codeMissing: err(41008, "missing code"),
  needGet: err(43001, "require GET method"),
  needPost: err(43002, "require POST method"),
  refused: err(43101, "user refuse to accept the msg"),
  format: err(47001, "data format error"),
  notFound: err(40066, "invalid url"),
};

export function createWechat(config, { records, faults }) {
  const { appid, secret, singleUseCodes = true, tokenTtlSec = 7200 } = config;
  const usedCodes = new Set();
  const tokens = new Map(); // access_token -> expiry (ms since epoch)
  let current = null; // the token stable_token hands out while it is valid
  const refusing = new Set(); // openids that did not subscribe
  // What each user allowed in the mini-program's wx.requestSubscribeMessage dialog, as WeChat's
  // servers learn it: openid -> template id -> messages still allowed. A one-time subscription
  // (一次性订阅) allows one message; a send without one is 43101, as on real WeChat.
  const grants = new Map();

  /** Uses up one of the messages `openid` allowed for `templateId`; false when none is left. */
  function takeGrant(openid, templateId) {
    const left = grants.get(openid)?.get(templateId) ?? 0;
    if (left <= 0) return false;
    grants.get(openid).set(templateId, left - 1);
    return true;
  }

  const reply = (res, body) => sendJson(res, 200, body);

  function checkApp(gotAppid, gotSecret) {
    if (!gotAppid) return E.appidMissing;
    if (gotAppid !== appid) return E.appid;
    if (!gotSecret) return E.secretMissing;
    if (gotSecret !== secret) return E.secret;
    return null;
  }

  function tokenValid(url) {
    const t = url.searchParams.get("access_token");
    const exp = t ? tokens.get(t) : undefined;
    return exp !== undefined && exp > Date.now();
  }

  function jscode2session(url, res) {
    const q = url.searchParams;
    const code = q.get("js_code");
    const entry = records.add("wechat_logins", { js_code: code });
    const answer = (body) => {
      Object.assign(entry, body.errcode ? { errcode: body.errcode } : { openid: body.openid, unionid: body.unionid });
      reply(res, body);
    };
    const appErr = checkApp(q.get("appid"), q.get("secret"));
    if (appErr) return answer(appErr);
    if (q.get("grant_type") !== "authorization_code") return answer(E.grantType);
    if (!code) return answer(E.codeMissing);
    // dev-<x> or dev-<x>~<anything>: the part after "~" only makes the code unique (same user).
    const m = /^dev-([^~]+)(?:~.*)?$/.exec(code);
    if (!m || m[1] === "invalid") return answer(E.code);
    if (singleUseCodes) {
      if (usedCodes.has(code)) return answer(E.codeUsed);
      usedCodes.add(code);
    }
    const x = m[1];
    const body = { openid: `wx-${x}`, session_key: randomBytes(16).toString("base64") };
    if (x.startsWith("u")) body.unionid = `union-${x}`;
    return answer(body);
  }

  function stableToken(body, res) {
    if (!body) return reply(res, E.format);
    if (body.grant_type !== "client_credential") return reply(res, E.grantType);
    const appErr = checkApp(body.appid, body.secret);
    if (appErr) return reply(res, appErr);
    const now = Date.now();
    const force = body.force_refresh === true;
    let reused = true;
    if (force || !current || tokens.get(current) === undefined || tokens.get(current) <= now) {
      // A forced refresh makes the previous token invalid at once, as WeChat documents.
      if (current) tokens.delete(current);
      current = `fake-at-${randomBytes(24).toString("hex")}`;
      tokens.set(current, now + tokenTtlSec * 1000);
      reused = false;
    }
    records.add("wechat_tokens", { appid: body.appid, force_refresh: force, reused });
    const expiresIn = Math.max(1, Math.floor((tokens.get(current) - now) / 1000));
    return reply(res, { access_token: current, expires_in: expiresIn });
  }

  function phoneNumber(url, body, res) {
    if (!tokenValid(url)) {
      records.add("phone_numbers", { errcode: E.badToken.errcode });
      return reply(res, E.badToken);
    }
    const m = body && typeof body.code === "string" ? /^dev-(\d{11})$/.exec(body.code) : null;
    if (!m) {
      records.add("phone_numbers", { errcode: E.code.errcode });
      return reply(res, E.code);
    }
    const phone = m[1];
    records.add("phone_numbers", { phone: maskPhone(phone) });
    return reply(res, {
      errcode: 0,
      errmsg: "ok",
      phone_info: {
        phoneNumber: phone,
        purePhoneNumber: phone,
        countryCode: "86",
        watermark: { timestamp: Math.floor(Date.now() / 1000), appid },
      },
    });
  }

  function subscribeSend(url, body, res) {
    const reject = (e, msg) => {
      records.add("subscribe_rejected", {
        touser: msg?.touser,
        template_id: msg?.template_id,
        errcode: e.errcode,
        errmsg: e.errmsg,
      });
      return reply(res, e);
    };
    if (!tokenValid(url)) return reject(E.badToken, body);
    if (!body) return reject(E.format, body);
    const { touser, template_id, page, data, miniprogram_state, lang } = body;
    if (typeof touser !== "string" || touser === "") return reject(E.openid, body);
    if (typeof template_id !== "string" || template_id === "") return reject(E.templateId, body);
    if (page !== undefined && typeof page !== "string") return reject(err(47003, "argument invalid! page invalid"), body);
    if (miniprogram_state !== undefined && !["developer", "trial", "formal"].includes(miniprogram_state)) {
      return reject(err(47003, "argument invalid! miniprogram_state invalid"), body);
    }
    if (lang !== undefined && !["zh_CN", "en_US", "zh_HK", "zh_TW"].includes(lang)) {
      return reject(err(47003, "argument invalid! lang invalid"), body);
    }
    const limitMsg = checkSubscribeData(data);
    if (limitMsg) return reject(err(47003, limitMsg), body);
    if (refusing.has(touser) || !takeGrant(touser, template_id)) return reject(E.refused, body);
    const message = { touser, template_id, data };
    if (page !== undefined) message.page = page;
    if (miniprogram_state !== undefined) message.miniprogram_state = miniprogram_state;
    if (lang !== undefined) message.lang = lang;
    records.add("subscribe_messages", message);
    return reply(res, { errcode: 0, errmsg: "ok" });
  }

  return {
    /** `path` is the part after /wechat. `note` is this call's entry in the "requests" record. */
    handle(req, res, path, url, rawBody, note) {
      const route = ROUTES[path];
      if (!route) return sendJson(res, 404, E.notFound);
      note.op = route.op;
      if (req.method !== route.method) return reply(res, route.method === "GET" ? E.needGet : E.needPost);
      const fault = faults.take("wechat", route.op);
      if (fault) {
        note.fault = fault;
        if (fault === "busy") return reply(res, E.busy);
        if (faults.applyGeneric(fault, req, res)) return;
      }
      if (route.op === "jscode2session") return jscode2session(url, res);
      const body = parseJsonObject(rawBody);
      if (route.op === "stable_token") return stableToken(body, res);
      if (route.op === "getuserphonenumber") return phoneNumber(url, body, res);
      return subscribeSend(url, body, res);
    },

    /**
     * The user `openid` accepted `templateIds` in wx.requestSubscribeMessage, `times` times: as
     * many messages of each may be sent to them.
     */
    grant(openid, templateIds, times = 1) {
      const mine = grants.get(openid) ?? new Map();
      for (const t of templateIds) mine.set(t, (mine.get(t) ?? 0) + times);
      grants.set(openid, mine);
    },

    /** Marks an openid as refusing every message (43101) or, with refuse=false, no longer. */
    setRefusing(openid, refuse = true) {
      if (refuse) refusing.add(openid);
      else refusing.delete(openid);
    },

    /** Every access_token issued so far stops working (40001); the next stable_token issues a new one. */
    expireTokens() {
      tokens.clear();
      current = null;
    },

    /** Forgets used codes, subscriptions and refusing openids. Issued access tokens stay valid. */
    reset() {
      usedCodes.clear();
      refusing.clear();
      grants.clear();
    },
  };
}
