// The fault switch: makes the next N calls of one provider operation misbehave.
import { sendText } from "./http.mjs";

export const PROVIDER_OPS = {
  wechat: ["jscode2session", "stable_token", "getuserphonenumber", "subscribe_send"],
  alipay: ["alipay.system.oauth.token", "alipay.open.app.mini.templatemessage.send"],
  face: ["verify"],
};

export const MODES = ["busy", "timeout", "malformed", "http500", "badsig"];

const PROVIDER_ALIASES = { faceVerify: "face", face_verify: "face" };
const OP_ALIASES = {
  "alipay:oauth.token": "alipay.system.oauth.token",
  "alipay:templatemessage_send": "alipay.open.app.mini.templatemessage.send",
  "alipay:oauth.token": "alipay.system.oauth.token",
  "alipay:templatemessage_send": "alipay.open.app.mini.templatemessage.send",
  "wechat:subscribe/send": "subscribe_send",
  "wechat:getPhoneNumber": "getuserphonenumber",
  "face:v1/verify": "verify",
};

export class Faults {
  #queue = [];
  #held = new Set();
  #timeoutMs;

  constructor({ timeoutMs = 15_000 } = {}) {
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Queues a fault. `spec` = { provider, op, mode, count = 1 }; op "*" means every op of the provider.
   * Returns { fault } or { error: "message" }.
   */
  add(spec) {
    if (!spec || typeof spec !== "object") return { error: "body must be a JSON object" };
    const provider = PROVIDER_ALIASES[spec.provider] ?? spec.provider;
    if (!Object.hasOwn(PROVIDER_OPS, provider ?? "")) {
      return { error: `provider must be one of ${Object.keys(PROVIDER_OPS).join(", ")}` };
    }
    const op = OP_ALIASES[`${provider}:${spec.op}`] ?? spec.op ?? "*";
    if (op !== "*" && !PROVIDER_OPS[provider].includes(op)) {
      return { error: `op for ${provider} must be one of ${PROVIDER_OPS[provider].join(", ")} or *` };
    }
    if (!MODES.includes(spec.mode)) return { error: `mode must be one of ${MODES.join(", ")}` };
    if (spec.mode === "badsig" && provider !== "alipay") {
      return { error: "mode badsig applies to the alipay provider only" };
    }
    const count = spec.count ?? 1;
    if (!Number.isInteger(count) || count < 1 || count > 10_000) {
      return { error: "count must be an integer from 1 to 10000" };
    }
    const fault = { provider, op, mode: spec.mode, remaining: count };
    this.#queue.push(fault);
    return { fault: { ...fault } };
  }

  /** Consumes one call of the first matching pending fault; returns its mode or null. */
  take(provider, op) {
    const f = this.#queue.find((q) => q.provider === provider && (q.op === "*" || q.op === op));
    if (!f) return null;
    f.remaining -= 1;
    if (f.remaining <= 0) this.#queue.splice(this.#queue.indexOf(f), 1);
    return f.mode;
  }

  pending() {
    return this.#queue.map((f) => ({ ...f }));
  }

  clear() {
    this.#queue = [];
  }

  /**
   * Answers the modes every provider shares (timeout, malformed, http500).
   * Returns true when it handled the response.
   */
  applyGeneric(mode, req, res) {
    switch (mode) {
      case "timeout":
        this.#hold(req);
        return true;
      case "malformed":
        sendText(res, 200, "{not json");
        return true;
      case "http500":
        sendText(res, 500, "Internal Server Error", "text/plain; charset=utf-8");
        return true;
      default:
        return false;
    }
  }

  /** Never answers: keeps the socket open for timeoutMs, then drops it. */
  #hold(req) {
    const socket = req.socket;
    const entry = { socket, timer: null };
    entry.timer = setTimeout(() => {
      this.#held.delete(entry);
      socket.destroy();
    }, this.#timeoutMs);
    socket.once("close", () => {
      clearTimeout(entry.timer);
      this.#held.delete(entry);
    });
    this.#held.add(entry);
  }

  /** Stops every hold timer and drops the held sockets. */
  close() {
    for (const entry of this.#held) {
      clearTimeout(entry.timer);
      entry.socket.destroy();
    }
    this.#held.clear();
    this.#queue = [];
  }
}
