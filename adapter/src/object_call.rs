//! Calls into Durable Objects (inventory, rate limits, metrics): a JSON body POSTed to the
//! object's `fetch`, its JSON answer read back; both sides move JSON as one string.
//!
//! worker-rs builds a `Request` and a `Response` wrapper around each exchange, reads an answer
//! chunk by chunk through a stream reader, and decodes `Request::json` by walking the parsed
//! JavaScript object field by field across the wasm boundary. Profiling a booking wave put these
//! at a sizeable share of the CPU of a booking made, which makes four such calls; the runtime's
//! own `fetch`, `text()` and serde_json over the string do the same work in a few steps.

use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use worker::Stub;

#[wasm_bindgen]
extern "C" {
    /// A Durable Object stub as the runtime hands it out.
    type ObjectStub;

    #[wasm_bindgen(method, catch)]
    fn fetch(
        this: &ObjectStub,
        url: &str,
        init: &web_sys::RequestInit,
    ) -> Result<js_sys::Promise, JsValue>;
}

/// Why a call got no usable answer; callers log it and map it to their own error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallError {
    /// The runtime could not deliver the request or read the answer.
    Fetch,
    /// The object answered, but not `200`.
    Status(u16),
    /// The answer was not the JSON expected.
    Decode,
}

impl CallError {
    pub fn as_str(self) -> &'static str {
        match self {
            CallError::Fetch => "fetch",
            CallError::Status(_) => "status",
            CallError::Decode => "decode",
        }
    }
}

/// POSTs `body` (JSON) to `url` on the object behind `stub` and decodes its `200` answer.
pub async fn post<T: DeserializeOwned>(stub: Stub, url: &str, body: &str) -> Result<T, CallError> {
    let text = post_text(stub, url, body).await?;
    serde_json::from_str(&text).map_err(|_| CallError::Decode)
}

/// POSTs `body` (JSON) to `url` on the object behind `stub` and returns its `200` answer's text,
/// for a caller that decodes it as it expects.
pub async fn post_text(stub: Stub, url: &str, body: &str) -> Result<String, CallError> {
    let stub: ObjectStub = stub.into_rpc();
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from_str(body));
    let promise = stub.fetch(url, &init).map_err(|_| CallError::Fetch)?;
    let res: web_sys::Response = JsFuture::from(promise)
        .await
        .map_err(|_| CallError::Fetch)?
        .dyn_into()
        .map_err(|_| CallError::Fetch)?;
    let status = res.status();
    let text = res.text().map_err(|_| CallError::Fetch)?;
    let text = JsFuture::from(text)
        .await
        .map_err(|_| CallError::Fetch)?
        .as_string()
        .ok_or(CallError::Fetch)?;
    if status != 200 {
        return Err(CallError::Status(status));
    }
    Ok(text)
}

/// The JSON body of a request to an object (the other end of [`post`]). The error names no
/// part of the body: serde's messages can quote it, and the runtime logs an object's errors.
pub async fn read_json<T: DeserializeOwned>(req: &mut worker::Request) -> worker::Result<T> {
    let text = req.text().await?;
    serde_json::from_str(&text)
        .map_err(|_| worker::Error::RustError("request body is not the JSON expected".into()))
}
