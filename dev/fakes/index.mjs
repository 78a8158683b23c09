// Local development fakes: WeChat, Alipay and face verification on one HTTP server,
// told apart by path prefix (/wechat, /alipay, /face), plus /__fakes test controls.
//
//   import { startFakes } from "./dev/fakes/index.mjs";
//   const fakes = await startFakes({ port: 0 });   // { port, urls, records, faults, close }
//
//   node dev/fakes/index.mjs --port 8790            // prints {"fakes":"ready","port":8790,...}
import { createPrivateKey, createPublicKey } from "node:crypto";
import { existsSync, readFileSync, realpathSync } from "node:fs";
import { createServer } from "node:http";
import { fileURLToPath } from "node:url";
import { createAdmin } from "./admin.mjs";
import { createAlipay } from "./alipay.mjs";
import { createFace } from "./face.mjs";
import { Faults } from "./faults.mjs";
import { BodyTooLarge, Records, readBody, sendJson } from "./http.mjs";
import { createWechat } from "./wechat.mjs";

const KEYS_DIR = fileURLToPath(new URL("./keys/", import.meta.url));

export const DEFAULTS = Object.freeze({
  wechatAppid: "wx-dev-appid",
  wechatSecret: "dev-wechat-secret",
  alipayAppId: "ali-dev-appid",
  // The app's content key (base64 of "yuyue-dev-aeskey"): .dev.vars.example's ALIPAY_AES_KEY.
  alipayContentKey: "eXV5dWUtZGV2LWFlc2tleQ==",
  faceApiKey: "dev-face-key",
});

/** Reads one of the committed development keys (PEM text). */
export function devKey(name) {
  return readFileSync(`${KEYS_DIR}${name}.pem`, "utf8");
}

/** A key given as PEM text or as single-line base64 DER (spki / pkcs8, or pkcs1 for RSA). */
function loadKey(text, kind) {
  const create = kind === "public" ? createPublicKey : createPrivateKey;
  const s = String(text).trim();
  if (s.includes("-----BEGIN")) return create(s);
  const der = Buffer.from(s.replace(/\s+/g, ""), "base64");
  const types = kind === "public" ? ["spki", "pkcs1"] : ["pkcs8", "pkcs1"];
  for (const type of types) {
    try {
      return create({ key: der, format: "der", type });
    } catch {
      // try the next encoding
    }
  }
  throw new Error(`cannot read the ${kind} key (expected PEM or base64 DER)`);
}

function urlHost(host) {
  if (host === "0.0.0.0" || host === "::" || host === "") return "127.0.0.1";
  return host.includes(":") ? `[${host}]` : host;
}

/**
 * Starts the fakes on one port.
 * @param {object} [options]
 * @param {string} [options.host="127.0.0.1"]
 * @param {number} [options.port=0] 0 picks a free port
 * @param {{appid?: string, secret?: string, tokenTtlSec?: number}} [options.wechat]
 * @param {{appId?: string, appPublicKeyPem?: string, alipayPrivateKeyPem?: string, contentKey?: string, maxSkewSec?: number}} [options.alipay]
 * @param {string} [options.faceApiKey="dev-face-key"]
 * @param {boolean} [options.singleUseCodes=true] login codes (WeChat js_code, Alipay auth code) work once
 * @param {number} [options.faultTimeoutMs=15000] how long the "timeout" fault holds a socket
 * @param {boolean} [options.log=false] one line per provider request (method, path, status) on stderr
 * @returns {Promise<{port: number, host: string, urls: {wechat: string, alipay: string, faceVerify: string, control: string},
 *   records: Records, faults: Faults, close: () => Promise<void>}>}
 */
export async function startFakes(options = {}) {
  const { host = "127.0.0.1", port = 0, singleUseCodes = true, faultTimeoutMs = 15_000, log = false } = options;
  const wx = options.wechat ?? {};
  const ali = options.alipay ?? {};

  const records = new Records();
  const faults = new Faults({ timeoutMs: faultTimeoutMs });
  const ctx = { records, faults };
  const wechat = createWechat(
    {
      appid: wx.appid ?? DEFAULTS.wechatAppid,
      secret: wx.secret ?? DEFAULTS.wechatSecret,
      tokenTtlSec: wx.tokenTtlSec ?? 7200,
      singleUseCodes,
    },
    ctx,
  );
  const alipay = createAlipay(
    {
      appId: ali.appId ?? DEFAULTS.alipayAppId,
      appPublicKey: loadKey(ali.appPublicKeyPem ?? devKey("app_public"), "public"),
      alipayPrivateKey: loadKey(ali.alipayPrivateKeyPem ?? devKey("alipay_private"), "private"),
      contentKey: Buffer.from(ali.contentKey ?? DEFAULTS.alipayContentKey, "base64"),
      maxSkewSec: ali.maxSkewSec ?? 900,
      singleUseCodes,
    },
    ctx,
  );
  const face = createFace({ apiKey: options.faceApiKey ?? DEFAULTS.faceApiKey }, ctx);
  const admin = createAdmin({ records, faults, wechat, alipay });
  const providers = { wechat, alipay, face };

  async function onRequest(req, res) {
    const url = new URL(req.url ?? "/", "http://fakes.invalid");
    const m = /^\/(wechat|alipay|face|__fakes)(\/.*)?$/.exec(url.pathname);
    if (!m) return sendJson(res, 404, { error: "not_found", hint: "paths start with /wechat, /alipay, /face or /__fakes" });
    const [, prefix, rest = "/"] = m;
    let body;
    try {
      body = await readBody(req);
    } catch (e) {
      if (e instanceof BodyTooLarge) {
        res.setHeader("Connection", "close");
        return sendJson(res, 413, { error: "payload_too_large" });
      }
      throw e;
    }
    if (prefix === "__fakes") return admin.handle(req, res, rest, url, body);

    // Every provider call is logged (never its query string or body: they carry codes and tokens).
    const note = records.add("requests", { provider: prefix, method: req.method, path: url.pathname, status: null });
    res.once("finish", () => {
      note.status = res.statusCode;
      if (log) process.stderr.write(`[fakes] ${req.method} ${url.pathname} ${res.statusCode}${note.fault ? ` (fault ${note.fault})` : ""}\n`);
    });
    return providers[prefix].handle(req, res, rest, url, body, note);
  }

  const server = createServer((req, res) => {
    onRequest(req, res).catch((e) => {
      process.stderr.write(`[fakes] internal error: ${e?.message ?? e}\n`);
      if (!res.headersSent) sendJson(res, 500, { error: "fake_internal_error" });
      else res.destroy();
    });
  });

  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });

  const actualPort = server.address().port;
  const base = `http://${urlHost(host)}:${actualPort}`;
  let closing;
  return {
    port: actualPort,
    host,
    urls: {
      wechat: `${base}/wechat`,
      alipay: `${base}/alipay/gateway.do`,
      faceVerify: `${base}/face`,
      control: `${base}/__fakes`,
    },
    records,
    faults,
    close() {
      closing ??= new Promise((resolve) => {
        faults.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** A key from the environment: PEM text, base64 DER, or a path to a PEM file. */
function envKey(name) {
  const v = process.env[name];
  if (!v) return undefined;
  if (!v.includes("-----BEGIN") && existsSync(v)) return readFileSync(v, "utf8");
  return v;
}

function envFlag(name, fallback) {
  const v = process.env[name];
  if (v === undefined || v === "") return fallback;
  return !["0", "false", "no", "off"].includes(v.toLowerCase());
}

function argValue(args, name) {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${name}`) return args[i + 1];
    if (args[i].startsWith(`--${name}=`)) return args[i].slice(name.length + 3);
  }
  return undefined;
}

async function main(args) {
  const portText = argValue(args, "port") ?? process.env.FAKES_PORT ?? "8790";
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`[fakes] bad port: ${portText}\n`);
    process.exit(2);
  }
  const fakes = await startFakes({
    host: argValue(args, "host") ?? process.env.FAKES_HOST ?? "127.0.0.1",
    port,
    wechat: { appid: process.env.WECHAT_APPID || undefined, secret: process.env.WECHAT_SECRET || undefined },
    alipay: {
      appId: process.env.ALIPAY_APPID || undefined,
      appPublicKeyPem: envKey("ALIPAY_APP_PUBLIC_KEY"),
      alipayPrivateKeyPem: envKey("ALIPAY_PLATFORM_PRIVATE_KEY"),
      contentKey: process.env.ALIPAY_AES_KEY || undefined,
    },
    faceApiKey: process.env.FACE_API_KEY || undefined,
    singleUseCodes: envFlag("FAKES_SINGLE_USE_CODES", true),
    faultTimeoutMs: Number(process.env.FAKES_FAULT_TIMEOUT_MS) || 15_000,
    log: envFlag("FAKES_LOG", false),
  });
  process.stdout.write(`${JSON.stringify({ fakes: "ready", port: fakes.port, urls: fakes.urls })}\n`);
  const stop = () => fakes.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

const invokedDirectly = (() => {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();

if (invokedDirectly) {
  main(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`[fakes] failed to start: ${e?.message ?? e}\n`);
    process.exit(1);
  });
}
