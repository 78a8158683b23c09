// WeChat subscribe-message field limits, by the key's prefix (thing1, time2, character_string3, ...).
// Mirrors the limits WeChat documents for "订阅消息参数值内容限制".

const HAN = /\p{Script=Han}/u;
const ALL_HAN = /^\p{Script=Han}+$/u;

const chars = (s) => [...s].length;

function inRange(y, mo, d, h = 0, mi = 0, s = 0) {
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 59) return false;
  const dt = new Date(Date.UTC(y, mo - 1, d));
  return dt.getUTCFullYear() === y && dt.getUTCMonth() === mo - 1 && dt.getUTCDate() === d;
}

const DATE_TIME_FORMS = [
  // 2024-05-01, 2024/05/01, 2024.05.01, optionally followed by a time
  /^(?<y>\d{4})[-/.](?<mo>\d{1,2})[-/.](?<d>\d{1,2})(?:[ T]+(?<h>\d{1,2}):(?<mi>\d{2})(?::(?<s>\d{2}))?)?$/,
  // 2024年5月1日, optionally followed by a time
  /^(?<y>\d{4})年(?<mo>\d{1,2})月(?<d>\d{1,2})日(?:\s*(?<h>\d{1,2}):(?<mi>\d{2})(?::(?<s>\d{2}))?)?$/,
  // a bare time: 15:01 or 15:01:30
  /^(?<h>\d{1,2}):(?<mi>\d{2})(?::(?<s>\d{2}))?$/,
];

/** Parses one point in time; returns { hasDate, hasTime } or null. */
function parsePoint(text) {
  const t = text.trim();
  for (const re of DATE_TIME_FORMS) {
    const m = re.exec(t);
    if (!m) continue;
    const g = m.groups;
    const hasDate = g.y !== undefined;
    const hasTime = g.h !== undefined;
    const ok = inRange(
      hasDate ? +g.y : 2000,
      hasDate ? +g.mo : 1,
      hasDate ? +g.d : 1,
      hasTime ? +g.h : 0,
      hasTime ? +g.mi : 0,
      g.s !== undefined ? +g.s : 0,
    );
    return ok ? { hasDate, hasTime } : null;
  }
  return null;
}

/** A `time` needs a time of day (date optional); a `date` needs a date (time optional); "a~b" ranges allowed. */
function validDateTime(value, need) {
  const parts = value.split("~");
  if (parts.length > 2) return false;
  return parts.every((p) => {
    const r = parsePoint(p);
    return r !== null && (need === "time" ? r.hasTime : r.hasDate);
  });
}

// Each rule returns "limit" (too long), "invalid" (bad content) or null (fine).
const RULES = {
  thing: (v) => (chars(v) > 20 ? "limit" : null),
  number: (v) => (chars(v) > 32 ? "limit" : /^\d+(\.\d+)?$/.test(v) ? null : "invalid"),
  letter: (v) => (chars(v) > 32 ? "limit" : /^[A-Za-z]+$/.test(v) ? null : "invalid"),
  symbol: (v) => (chars(v) > 5 ? "limit" : /^[^\p{L}\p{N}\s]+$/u.test(v) ? null : "invalid"),
  character_string: (v) => (chars(v) > 32 ? "limit" : /^[\x21-\x7e]+$/.test(v) ? null : "invalid"),
  phone_number: (v) => (chars(v) > 17 ? "limit" : /^[0-9+\-()# ]+$/.test(v) ? null : "invalid"),
  car_number: (v) =>
    chars(v) > 8
      ? "limit"
      : /^[\p{Script=Han}A-Za-z0-9][A-Za-z0-9]*[\p{Script=Han}A-Za-z0-9]?$/u.test(v)
        ? null
        : "invalid",
  name: (v) => {
    if (/\p{N}/u.test(v)) return "invalid";
    // Chinese (or mixed) names: 10 characters; pure Latin letters/symbols: 20.
    return chars(v) > (HAN.test(v) ? 10 : 20) ? "limit" : null;
  },
  phrase: (v) => (chars(v) > 5 ? "limit" : ALL_HAN.test(v) ? null : "invalid"),
  time: (v) => (validDateTime(v, "time") ? null : "invalid"),
  date: (v) => (validDateTime(v, "date") ? null : "invalid"),
  amount: (v) => {
    const m = /^[¥￥$€£]?(?<num>[0-9.]+)元?$/u.exec(v);
    if (!m || !/^\d+(\.\d+)?$/.test(m.groups.num)) return "invalid";
    return m.groups.num.length > 11 ? "limit" : null;
  },
};

/**
 * Checks `data` of a subscribe message. Returns null when fine, else the errmsg of WeChat's 47003.
 * Keys whose prefix WeChat does not define are accepted unchecked.
 */
export function checkSubscribeData(data) {
  if (!data || typeof data !== "object" || Array.isArray(data) || Object.keys(data).length === 0) {
    return "argument invalid! data is empty";
  }
  for (const [key, entry] of Object.entries(data)) {
    const where = `data.${key}.value`;
    if (!entry || typeof entry !== "object" || typeof entry.value !== "string") {
      return `argument invalid! ${where} invalid`;
    }
    if (entry.value.length === 0) return `argument invalid! ${where} is empty`;
    const m = /^([a-z_]+?)(\d+)$/.exec(key);
    const rule = m && RULES[m[1]];
    if (!rule) continue;
    const verdict = rule(entry.value);
    if (verdict === "limit") return `argument invalid! ${where} exceeds limit`;
    if (verdict === "invalid") return `argument invalid! ${where} invalid`;
  }
  return null;
}
