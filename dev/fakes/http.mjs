// Small shared helpers for the fakes: body reading, JSON answers, the record log, masking.
import { randomBytes } from "node:crypto";

export const MAX_BODY_BYTES = 1024 * 1024;

export class BodyTooLarge extends Error {}

/** Reads the whole request body as a Buffer (rejects past MAX_BODY_BYTES). */
export function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on("data", (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        // Answer at once (413) and drain the rest, so the client reads the answer, not a reset.
        chunks.length = 0;
        reject(new BodyTooLarge("body too large"));
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** Parses a JSON body; returns undefined when it is not a JSON object. */
export function parseJsonObject(buf) {
  try {
    const v = JSON.parse(buf.toString("utf8"));
    return v && typeof v === "object" && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export function sendText(res, status, text, contentType = "application/json; charset=utf-8") {
  const body = Buffer.from(text, "utf8");
  res.writeHead(status, { "Content-Type": contentType, "Content-Length": body.length });
  res.end(body);
}

export function sendJson(res, status, value) {
  sendText(res, status, JSON.stringify(value));
}

export function randomId(bytes = 12) {
  return randomBytes(bytes).toString("hex");
}

/** "110101199003070017" -> "1101**********0017" (first 4 + last 4, length kept). */
export function maskIdNumber(id) {
  const s = String(id ?? "");
  if (s.length <= 8) return "*".repeat(s.length);
  return s.slice(0, 4) + "*".repeat(s.length - 8) + s.slice(-4);
}

/** "E12345678" -> "E1*****78": at most 2, and at most a quarter, of the characters at each end. */
export function maskPassportNo(no) {
  const s = String(no ?? "");
  const keep = Math.min(2, Math.floor(s.length / 4));
  return s.slice(0, keep) + "*".repeat(s.length - 2 * keep) + (keep ? s.slice(-keep) : "");
}

/** "13812345678" -> "138****5678". */
export function maskPhone(phone) {
  const s = String(phone ?? "");
  if (s.length < 7) return "*".repeat(s.length);
  return s.slice(0, 3) + "*".repeat(s.length - 7) + s.slice(-4);
}

/** In-memory log of what the fakes received, grouped by kind. */
export class Records {
  #byKind = new Map();
  #seq = 0;

  /** Appends an entry; returns the stored (mutable) object. */
  add(kind, entry) {
    const stored = { seq: ++this.#seq, received_at: new Date().toISOString(), ...entry };
    if (!this.#byKind.has(kind)) this.#byKind.set(kind, []);
    this.#byKind.get(kind).push(stored);
    return stored;
  }

  /** Entries of one kind (copies), optionally only those with seq > since. */
  list(kind, { since = 0 } = {}) {
    return (this.#byKind.get(kind) ?? [])
      .filter((e) => e.seq > since)
      .map((e) => structuredClone(e));
  }

  /** Every kind with its entries: { kind: [...] }. */
  all() {
    const out = {};
    for (const kind of this.#byKind.keys()) out[kind] = this.list(kind);
    return out;
  }

  kinds() {
    return [...this.#byKind.keys()];
  }

  clear() {
    this.#byKind.clear();
  }
}
