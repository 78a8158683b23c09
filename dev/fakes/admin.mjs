// Test-control endpoints under /__fakes: records, reset, fault switch, subscription and token switches.
import { parseJsonObject, sendJson } from "./http.mjs";

export function createAdmin({ records, faults, wechat, alipay }) {
  const ok = (res, extra = {}) => sendJson(res, 200, { ok: true, ...extra });
  const bad = (res, error) => sendJson(res, 400, { error });

  /** `{"<who>":"…","template_ids":["…"],"times"?:1}`: the user `who` names accepted those templates. */
  function subscriptions(res, body, who, platform, prefix) {
    const spec = parseJsonObject(body);
    const ids = spec?.template_ids;
    const times = spec?.times ?? 1;
    const valid =
      typeof spec?.[who] === "string" &&
      spec[who] !== "" &&
      Array.isArray(ids) &&
      ids.length > 0 &&
      ids.every((t) => typeof t === "string" && t !== "") &&
      Number.isInteger(times) &&
      times > 0;
    if (!valid) return bad(res, `body must be {"${who}":"${prefix}…","template_ids":["…"],"times"?:1}`);
    platform.grant(spec[who], ids, times);
    return ok(res);
  }

  const routes = {
    "GET /health": (req, res) => sendJson(res, 200, { fakes: "ok" }),

    "GET /records": (req, res, url) => {
      const kind = url.searchParams.get("kind");
      const since = Number(url.searchParams.get("since") ?? 0) || 0;
      if (kind) return sendJson(res, 200, records.list(kind, { since }));
      const all = records.all();
      for (const k of Object.keys(all)) all[k] = all[k].filter((e) => e.seq > since);
      return sendJson(res, 200, all);
    },

    "POST /reset": (req, res) => {
      records.clear();
      faults.clear();
      wechat.reset();
      alipay.reset();
      return ok(res);
    },

    "GET /faults": (req, res) => sendJson(res, 200, faults.pending()),

    "POST /faults": (req, res, url, body) => {
      const spec = parseJsonObject(body);
      const { fault, error } = faults.add(spec);
      if (error) return bad(res, error);
      return ok(res, { fault, pending: faults.pending() });
    },

    "DELETE /faults": (req, res) => {
      faults.clear();
      return ok(res);
    },

    "POST /no-subscription": (req, res, url, body) => {
      const spec = parseJsonObject(body);
      const id = (v) => typeof v === "string" && v !== "";
      if (!spec || id(spec.openid) === id(spec.user_id)) {
        return bad(res, 'body must be {"openid":"wx-…"} (WeChat) or {"user_id":"ali-…"} (Alipay), with "refuse"?:true|false');
      }
      if (id(spec.openid)) wechat.setRefusing(spec.openid, spec.refuse !== false);
      else alipay.setRefusing(spec.user_id, spec.refuse !== false);
      return ok(res);
    },

    // What WeChat's (Alipay's) servers record when a user accepts wx.requestSubscribeMessage
    // (my.requestSubscribeMessage): the client, or a test acting as one, reports it here.
    "POST /wechat/subscriptions": (req, res, url, body) => subscriptions(res, body, "openid", wechat, "wx-"),
    "POST /alipay/subscriptions": (req, res, url, body) => subscriptions(res, body, "user_id", alipay, "ali-"),

    // What my.getPhoneNumber hands the client once the user allows their number: the sealed text
    // it sends on to POST /v1/me/phone as `response`.
    "POST /alipay/phone": (req, res, url, body) => {
      const spec = parseJsonObject(body);
      const refused = spec?.refused === true;
      if (!refused && !(typeof spec?.mobile === "string" && /^\d{6,15}$/.test(spec.mobile))) {
        return bad(res, 'body must be {"mobile":"138…"} or {"refused":true}');
      }
      return ok(res, { response: alipay.phoneResponse(spec.mobile, { refused }) });
    },

    "POST /expire-tokens": (req, res) => {
      wechat.expireTokens();
      return ok(res);
    },
  };

  return {
    /** `path` is the part after /__fakes. */
    handle(req, res, path, url, body) {
      const route = routes[`${req.method} ${path}`];
      if (route) return route(req, res, url, body);
      const known = Object.keys(routes).some((r) => r.endsWith(` ${path}`));
      return sendJson(res, known ? 405 : 404, { error: known ? "method_not_allowed" : "not_found" });
    },
  };
}
