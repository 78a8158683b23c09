// Fake face-verification provider (liveness + identity match done on the phone, checked here).
// POST /face/v1/verify {"verify_token","name","id_number"} (a resident ID card) or
// {"verify_token","name","document_type","document_number","nationality"?} (a foreigner's passport
// or permanent residence card), with Authorization: Bearer <FACE_API_KEY>.
import { timingSafeEqual } from "node:crypto";
import { maskIdNumber, maskPassportNo, parseJsonObject, randomId, sendJson } from "./http.mjs";

function sameSecret(a, b) {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  return x.length === y.length && timingSafeEqual(x, y);
}

const DOCUMENT_TYPES = ["foreign_passport", "permanent_residence"];

export function createFace(config, { records, faults }) {
  const { apiKey } = config;

  return {
    /** `path` is the part after /face. `note` is this call's entry in the "requests" record. */
    handle(req, res, path, url, rawBody, note) {
      if (path !== "/v1/verify") return sendJson(res, 404, { error: "not_found" });
      note.op = "verify";
      if (req.method !== "POST") return sendJson(res, 405, { error: "method_not_allowed" });
      const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
      if (!auth || !sameSecret(auth[1], apiKey)) return sendJson(res, 401, { error: "unauthorized" });
      const fault = faults.take("face", "verify");
      if (fault) {
        note.fault = fault;
        if (fault === "busy") return sendJson(res, 503, { error: "busy" });
        if (faults.applyGeneric(fault, req, res)) return;
      }
      const body = parseJsonObject(rawBody) ?? {};
      const text = (f) => typeof body[f] === "string" && body[f] !== "";
      const byId = text("id_number");
      const byDocument = text("document_type") && text("document_number");
      const documentOk =
        (byId && !("document_type" in body)) ||
        (!("id_number" in body) && byDocument && DOCUMENT_TYPES.includes(body.document_type));
      if (!text("verify_token") || !text("name") || !documentOk) {
        return sendJson(res, 400, {
          error: "invalid_request",
          message:
            "verify_token and name are required strings, with id_number or document_type (" +
            DOCUMENT_TYPES.join(", ") +
            ") and document_number",
        });
      }
      const request_id = randomId();
      const passed = body.verify_token === "dev-ok";
      const result = passed ? { passed, score: 0.98, request_id } : { passed, reason: "mismatch", request_id };
      // Only the masked ID number is ever stored.
      records.add("face_verifications", {
        verify_token: body.verify_token,
        name: body.name,
        ...(byId
          ? { id_number: maskIdNumber(body.id_number) }
          : { document_type: body.document_type, document_number:
              body.document_type === "foreign_passport"
                ? maskPassportNo(body.document_number)
                : maskIdNumber(body.document_number),
          }),
        passed,
        ...(passed ? {} : { reason: "mismatch" }),
        request_id,
      });
      return sendJson(res, 200, result);
    },
  };
}
