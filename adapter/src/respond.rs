use serde::Serialize;
use serde_json::value::RawValue;
use std::rc::Rc;
use worker::{Headers, Response};
use yuyue_shared::envelope::{self, Rendered};
use yuyue_shared::i18n::Lang;
use yuyue_shared::ApiError;

/// A handler's successful answer: its status (200 or 201) and the `data` of the envelope.
pub struct Reply {
    pub status: u16,
    pub data: serde_json::Value,
    /// `data` already serialized, sent as is: a cached answer is not turned back into a
    /// `Value` and re-serialized on every request that reads it.
    pub raw: Option<Rc<RawValue>>,
    /// An HTML page served as is, outside the envelope (the ops dashboard).
    pub page: Option<&'static str>,
}

impl Reply {
    pub fn ok(data: impl Serialize) -> Reply {
        Reply::with_status(200, data)
    }

    pub fn created(data: impl Serialize) -> Reply {
        Reply::with_status(201, data)
    }

    pub fn with_status(status: u16, data: impl Serialize) -> Reply {
        // Handler data types are plain structs; a failure here is a programming error that the
        // envelope reports as INTERNAL rather than a panic.
        let data = serde_json::to_value(data).unwrap_or(serde_json::Value::Null);
        Reply {
            status,
            data,
            raw: None,
            page: None,
        }
    }

    /// A static HTML page: no data in it, whatever it shows it fetches from the API.
    pub fn page(html: &'static str) -> Reply {
        Reply {
            status: 200,
            data: serde_json::Value::Null,
            raw: None,
            page: Some(html),
        }
    }

    pub fn raw(status: u16, data: Rc<RawValue>) -> Reply {
        Reply {
            status,
            data: serde_json::Value::Null,
            raw: Some(data),
            page: None,
        }
    }
}

pub fn render(result: &Result<Reply, ApiError>, request_id: &str, lang: Lang) -> Rendered {
    match result {
        Ok(Reply {
            status,
            page: Some(html),
            ..
        }) => Rendered {
            status: *status,
            body: (*html).to_owned(),
            retry_after: None,
        },
        Ok(Reply {
            status,
            raw: Some(raw),
            ..
        }) => envelope::success(*status, &&**raw, request_id),
        Ok(reply) => envelope::success(reply.status, &reply.data, request_id),
        Err(err) => envelope::failure(err, request_id, lang),
    }
}

pub fn to_response(
    rendered: Rendered,
    request_id: &str,
    extra: &[(&str, String)],
) -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set("content-type", "application/json; charset=utf-8")?;
    headers.set("x-request-id", request_id)?;
    headers.set("cache-control", "no-store")?;
    if let Some(secs) = rendered.retry_after {
        headers.set("retry-after", &secs.to_string())?;
    }
    for (k, v) in extra {
        headers.set(k, v)?;
    }
    Ok(Response::builder()
        .with_status(rendered.status)
        .with_headers(headers)
        .fixed(rendered.body.into_bytes()))
}
