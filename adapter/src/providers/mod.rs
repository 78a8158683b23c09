//! HTTP clients of the identity providers. Requests are built and answers judged by
//! `yuyue_shared::providers`; this module sends them with a per-attempt timeout and retries once
//! what may succeed on a second try. Bodies, tokens and personal data never reach a log line:
//! only the provider, the operation, the attempt and the cause.

pub mod alipay;
pub mod face;
pub mod wechat;

use crate::cx::Cx;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;
use worker::Env;
use worker::{AbortController, Delay, Fetch, Headers, Method, Request, RequestInit};
use yuyue_shared::providers::{Failure, Outgoing, ATTEMPTS, ATTEMPT_TIMEOUT_MS, RETRY_BACKOFF_MS};
use yuyue_shared::ApiResult;

/// Provider answers are small JSON documents; a huge one is not a provider answer.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// What a provider call needs from where it is made: configuration, the KV cache, and the id
/// its log lines carry. A request's [`Cx`] is one; [`Background`] is the queue consumer's.
pub trait Outbound {
    fn env(&self) -> &Env;
    fn request_id(&self) -> &str;

    fn config(&self, name: &str) -> Option<String> {
        crate::cx::config_of(self.env(), name)
    }

    fn required_config(&self, name: &str) -> ApiResult<String> {
        self.config(name)
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| crate::auth::config_error(name))
    }
}

impl Outbound for Cx {
    fn env(&self) -> &Env {
        &self.env
    }

    fn request_id(&self) -> &str {
        &self.request_id
    }
}

/// Provider calls made outside a request (the notifications queue consumer, cron).
pub struct Background<'a> {
    pub env: &'a Env,
    pub request_id: String,
}

impl Outbound for Background<'_> {
    fn env(&self) -> &Env {
        self.env
    }

    fn request_id(&self) -> &str {
        &self.request_id
    }
}

/// Sends `request` and judges the answer with `parse` (async: an answer's signature may be
/// checked by the runtime), retrying once when the failure allows.
pub(crate) async fn call<T>(
    cx: &impl Outbound,
    provider: &'static str,
    op: &'static str,
    request: &Outgoing,
    parse: impl AsyncFn(u16, &[u8]) -> Result<T, Failure>,
) -> ApiResult<T> {
    let mut attempt = 1;
    loop {
        let outcome = match send(request).await {
            Ok((status, body)) => parse(status, &body).await,
            Err(failure) => Err(failure),
        };
        let failure = match outcome {
            Ok(value) => return Ok(value),
            Err(f) => f,
        };
        let again = failure.retry && attempt < ATTEMPTS;
        let level = if failure.config || (!again && failure.error.status() >= 500) {
            "error"
        } else {
            "warn"
        };
        crate::log::event(
            level,
            "provider_failure",
            &[
                ("request_id", cx.request_id().into()),
                ("provider", provider.into()),
                ("op", op.into()),
                ("attempt", attempt.into()),
                ("cause", failure.reason.as_str().into()),
                ("retrying", again.into()),
                ("code", failure.error.code.as_str().into()),
            ],
        );
        if !again {
            return Err(failure.error);
        }
        Delay::from(Duration::from_millis(RETRY_BACKOFF_MS)).await;
        attempt += 1;
    }
}

/// One attempt: the status and body, or a transport failure. An attempt that outlives
/// [`ATTEMPT_TIMEOUT_MS`] is aborted.
async fn send(request: &Outgoing) -> Result<(u16, Vec<u8>), Failure> {
    let req = build(request).map_err(|_| Failure::misconfigured("request"))?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let exchange = async {
        let mut res = Fetch::Request(req)
            .send_with_signal(&signal)
            .await
            .map_err(|_| Failure::network())?;
        let status = res.status_code();
        let body = res.bytes().await.map_err(|_| Failure::network())?;
        if body.len() > MAX_ANSWER_BYTES {
            return Err(Failure::malformed());
        }
        Ok((status, body))
    };
    let timeout = Delay::from(Duration::from_millis(ATTEMPT_TIMEOUT_MS));
    match first_of(exchange, timeout).await {
        Some(result) => result,
        None => {
            controller.abort();
            Err(Failure::timeout())
        }
    }
}

/// `Some(output)` of `work`, or `None` if `deadline` came first.
async fn first_of<T>(
    work: impl Future<Output = T>,
    deadline: impl Future<Output = ()>,
) -> Option<T> {
    let mut work = pin!(work);
    let mut deadline = pin!(deadline);
    poll_fn(|cx| {
        if let Poll::Ready(v) = work.as_mut().poll(cx) {
            return Poll::Ready(Some(v));
        }
        if deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await
}

fn build(out: &Outgoing) -> worker::Result<Request> {
    let headers = Headers::new();
    headers.set("accept", "application/json")?;
    if let Some(ct) = out.content_type {
        headers.set("content-type", ct)?;
    }
    if let Some(auth) = &out.authorization {
        headers.set("authorization", auth)?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::from(out.method.to_owned()))
        .with_headers(headers);
    if let Some(body) = &out.body {
        init.with_body(Some(body.as_str().into()));
    }
    Request::new_with_init(&out.url, &init)
}

/// The base URL of a provider, from configuration.
pub(crate) fn base(cx: &impl Outbound, name: &str) -> ApiResult<String> {
    cx.required_config(name)
}
