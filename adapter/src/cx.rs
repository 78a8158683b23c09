use serde::de::DeserializeOwned;
use std::cell::RefCell;
use std::collections::HashMap;
use worker::{Context, Env, Request};
use yuyue_shared::routing::Params;
use yuyue_shared::t;
use yuyue_shared::{ApiError, ApiResult, ErrorCode};

/// Bodies are small JSON documents; anything larger is refused before it is read whole.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Oversized bodies up to this size are still read (and dropped) before the `413`.
const DRAIN_LIMIT_BYTES: usize = 1024 * 1024;

/// The request body, read before routing: a body left unread makes the runtime close a
/// keep-alive connection after an early answer (a 404, a 401), losing the client's next request.
pub enum Body {
    Bytes(Vec<u8>),
    TooLarge,
    Unreadable,
}

impl Body {
    pub async fn read(req: &mut Request) -> Body {
        let method = req.method();
        if matches!(method, worker::Method::Get | worker::Method::Head) {
            return Body::Bytes(Vec::new());
        }
        let declared = req
            .headers()
            .get("content-length")
            .ok()
            .flatten()
            .and_then(|l| l.trim().parse::<usize>().ok());
        // A body left unread makes workerd reset the connection instead of delivering the 413,
        // so a moderately oversized body is read and dropped; only one too big to be worth
        // reading is refused unread.
        if declared.is_some_and(|n| n > DRAIN_LIMIT_BYTES) {
            return Body::TooLarge;
        }
        match req.bytes().await {
            Ok(b) if b.len() > MAX_BODY_BYTES => Body::TooLarge,
            Ok(b) => Body::Bytes(b),
            Err(_) => Body::Unreadable,
        }
    }
}

/// What a handler gets: the request, the bindings, the path parameters and the request id.
pub struct Cx {
    pub req: Request,
    pub env: Env,
    pub ctx: Context,
    pub params: Params,
    pub request_id: String,
    pub function: &'static str,
    pub body: Body,
    /// What `Accept-Language` asks for: the language of every text the answer carries.
    pub lang: yuyue_shared::i18n::Lang,
}

impl Cx {
    /// A path parameter declared in the route pattern (always present when the route matched).
    pub fn param(&self, name: &str) -> &str {
        self.params.get(name).map(String::as_str).unwrap_or("")
    }

    /// A plain-text configuration value (`[vars]` or a secret).
    pub fn config(&self, name: &str) -> Option<String> {
        config_of(&self.env, name)
    }

    /// Dev-only switches (fault injection, clock override, the panic probe) exist only where
    /// `ENVIRONMENT` is `dev`; production config never sets it.
    pub fn is_dev(&self) -> bool {
        self.config("ENVIRONMENT").as_deref() == Some("dev")
    }

    /// Now, in Asia/Shanghai; in the dev environment `x-dev-now` may set it.
    pub fn now(&self) -> yuyue_shared::time::Instant {
        crate::clock::now(self.is_dev(), self.header("x-dev-now").as_deref())
    }

    /// Runs `work` to its end even if the client goes away meanwhile, and answers what it
    /// returned. On Cloudflare a client's disconnect cancels its request's own work but not what
    /// the request waits until (`waitUntil`): a submit cancelled between its hold and its read
    /// would leave the place held until the hold lapses, never counted by the limits (a script
    /// could hold places that way), and a cancel stopped between its write and its release
    /// would keep the cancelled booking's place until the nightly reconciliation.
    pub async fn to_the_end<T: 'static>(
        &self,
        work: impl std::future::Future<Output = T> + 'static,
    ) -> ApiResult<T> {
        let (done, answer) = futures_channel::oneshot::channel();
        self.ctx.wait_until(async move {
            let _ = done.send(work.await);
        });
        answer.await.map_err(|_| ApiError::internal())
    }

    /// The system of record.
    pub fn store(&self) -> ApiResult<crate::d1::D1Store> {
        crate::d1::D1Store::from_env(&self.env)
    }

    /// A required secret holding bytes as standard base64. Missing or malformed configuration is
    /// a deployment fault: logged, and `500` to the client. An empty value is missing too: it
    /// decodes to no bytes, and a key of no bytes would still sign.
    pub fn secret_bytes(&self, name: &str) -> ApiResult<Vec<u8>> {
        use base64::Engine;
        self.config(name)
            .filter(|v| !v.trim().is_empty())
            .and_then(|v| {
                base64::engine::general_purpose::STANDARD
                    .decode(v.trim())
                    .ok()
            })
            .ok_or_else(|| crate::auth::config_missing(name))
    }

    /// The inventory objects.
    pub fn inventory(&self) -> ApiResult<crate::inventory::DoInventory> {
        let ns = self.env.durable_object("INVENTORY").map_err(|_| {
            worker::console_error!("binding INVENTORY missing");
            ApiError::internal()
        })?;
        Ok(crate::inventory::DoInventory::new(ns))
    }

    /// A fault the dev environment was asked to inject (`x-dev-fault`); the header is refused
    /// with `400` anywhere else, so a production request cannot ask for one.
    pub fn dev_fault(&self) -> ApiResult<Option<crate::faults::Fault>> {
        let Some(raw) = self.header("x-dev-fault") else {
            return Ok(None);
        };
        if !self.is_dev() {
            return Err(ApiError::invalid("x-dev-fault", t!("dev.only")));
        }
        crate::faults::Fault::parse(&raw)
            .map(Some)
            .ok_or_else(|| ApiError::invalid("x-dev-fault", t!("dev.unknown_fault")))
    }

    /// A shorter hold for this request (`x-dev-hold-seconds`, 1..=600), so tests of a lapsing
    /// hold need not wait the configured minute. Dev environment only, like `x-dev-fault`.
    pub fn dev_hold_seconds(&self) -> ApiResult<Option<u32>> {
        let Some(raw) = self.header("x-dev-hold-seconds") else {
            return Ok(None);
        };
        if !self.is_dev() {
            return Err(ApiError::invalid("x-dev-hold-seconds", t!("dev.only")));
        }
        raw.trim()
            .parse::<u32>()
            .ok()
            .filter(|s| (1..=600).contains(s))
            .map(Some)
            .ok_or_else(|| ApiError::invalid("x-dev-hold-seconds", t!("dev.bad_hold_seconds")))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.req.headers().get(name).ok().flatten()
    }

    /// Reads a JSON body: `415` unless it is declared JSON, `413` past [`MAX_BODY_BYTES`],
    /// `400` when it does not parse into `T`.
    pub async fn json<T: DeserializeOwned>(&mut self) -> ApiResult<T> {
        let content_type = self.header("content-type").unwrap_or_default();
        let media = content_type.split(';').next().unwrap_or("").trim();
        if !media.eq_ignore_ascii_case("application/json") {
            return Err(ApiError::new(ErrorCode::UnsupportedMediaType));
        }
        match &self.body {
            Body::TooLarge => Err(ApiError::new(ErrorCode::PayloadTooLarge)),
            Body::Unreadable => Err(ApiError::invalid("body", t!("request.unreadable_body"))),
            Body::Bytes(b) => serde_json::from_slice(b).map_err(|e| body_error(&e)),
        }
    }

    /// The body as sent, for checks over its exact bytes (webhook signatures): `413` past
    /// [`MAX_BODY_BYTES`], `400` when it could not be read.
    pub fn raw_body(&self) -> ApiResult<&[u8]> {
        match &self.body {
            Body::Bytes(b) => Ok(b),
            Body::TooLarge => Err(ApiError::new(ErrorCode::PayloadTooLarge)),
            Body::Unreadable => Err(ApiError::invalid("body", t!("request.unreadable_body"))),
        }
    }

    /// A JSON body that may be absent altogether (an empty `POST`).
    pub async fn optional_json<T: DeserializeOwned>(&mut self) -> ApiResult<Option<T>> {
        let empty = matches!(&self.body, Body::Bytes(b) if b.iter().all(u8::is_ascii_whitespace));
        if empty {
            return Ok(None);
        }
        self.json().await.map(Some)
    }

    /// Parses the query string into `T`; `400` when it does not fit. Read from the request's
    /// URL text, not through `worker::Request::query`: that parses the whole URL with the `url`
    /// crate, whose host parsing links IDNA's Unicode tables into every function that reads a
    /// query (about 30 KB of wasm) for a host the runtime has already parsed.
    pub fn query<T: DeserializeOwned>(&self) -> ApiResult<T> {
        serde_urlencoded::from_str(query_of(&self.req.inner().url())).map_err(|_| {
            ApiError::new(ErrorCode::InvalidArgument).with_message(t!("request.bad_query"))
        })
    }
}

/// The query of a URL: after the first `?`, before any `#`; empty when there is none.
fn query_of(url: &str) -> &str {
    let url = url.split_once('#').map_or(url, |(before, _)| before);
    url.split_once('?').map_or("", |(_, query)| query)
}

thread_local! {
    /// Configuration as read from this isolate's environment. Vars and secrets are fixed for an
    /// isolate's life (a deployment or a secret change starts new isolates), and each read
    /// crosses into JavaScript and copies the string back: a booking submit reads about ten.
    static CONFIG: RefCell<HashMap<String, Option<String>>> = RefCell::new(HashMap::new());
}

/// A plain-text configuration value (`[vars]` or a secret) of a Worker's environment.
pub fn config_of(env: &Env, name: &str) -> Option<String> {
    if let Some(known) = CONFIG.with(|c| c.borrow().get(name).cloned()) {
        return known;
    }
    let value = env
        .var(name)
        .map(|v| v.to_string())
        .or_else(|_| env.secret(name).map(|v| v.to_string()))
        .ok();
    CONFIG.with(|c| c.borrow_mut().insert(name.to_owned(), value.clone()));
    value
}

/// serde's messages may quote the offending value (an ID number, a phone), so only the ones that
/// name a field without a value are passed on.
fn body_error(e: &serde_json::Error) -> ApiError {
    let text = e.to_string();
    let reason = if text.starts_with("missing field") || text.starts_with("unknown field") {
        text.split(" at line").next().unwrap_or("").replace('`', "")
    } else {
        match e.classify() {
            serde_json::error::Category::Data => "a field has the wrong type or value".to_owned(),
            _ => "body is not valid JSON".to_owned(),
        }
    };
    ApiError::new(ErrorCode::InvalidArgument)
        .with_message(t!("request.bad_json"))
        .with_details(serde_json::json!({ "reason": reason }))
}

#[cfg(test)]
mod tests {
    use super::query_of;

    #[test]
    fn the_query_is_what_stands_between_the_question_mark_and_the_fragment() {
        for (url, query) in [
            ("https://a.example/v1/x", ""),
            ("https://a.example/v1/x?", ""),
            ("https://a.example/v1/x?a=1&b=%E4%B8%AD", "a=1&b=%E4%B8%AD"),
            ("https://a.example/v1/x?a=1#frag?b=2", "a=1"),
            ("https://a.example/v1/x#frag?b=2", ""),
            ("https://a.example/v1/x?a=?b", "a=?b"),
        ] {
            assert_eq!(query_of(url), query, "{url}");
        }
    }
}
