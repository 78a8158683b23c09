use serde::de::DeserializeOwned;
use worker::{Context, Env, Request};
use yuyue_shared::routing::Params;
use yuyue_shared::{ApiError, ApiResult, ErrorCode};

/// Bodies are small JSON documents; anything larger is refused before it is read whole.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// What a handler gets: the request, the bindings, the path parameters and the request id.
pub struct Cx {
    pub req: Request,
    pub env: Env,
    pub ctx: Context,
    pub params: Params,
    pub request_id: String,
    pub function: &'static str,
}

impl Cx {
    /// A path parameter declared in the route pattern (always present when the route matched).
    pub fn param(&self, name: &str) -> &str {
        self.params.get(name).map(String::as_str).unwrap_or("")
    }

    /// A plain-text configuration value (`[vars]` or a secret).
    pub fn config(&self, name: &str) -> Option<String> {
        self.env
            .var(name)
            .map(|v| v.to_string())
            .or_else(|_| self.env.secret(name).map(|v| v.to_string()))
            .ok()
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

    /// The system of record.
    pub fn store(&self) -> ApiResult<crate::d1::D1Store> {
        let db = self.env.d1("DB").map_err(|_| {
            worker::console_error!("binding DB missing");
            ApiError::internal()
        })?;
        Ok(crate::d1::D1Store::new(db))
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
        if let Some(len) = self.header("content-length") {
            if len
                .trim()
                .parse::<usize>()
                .map_or(true, |n| n > MAX_BODY_BYTES)
            {
                return Err(ApiError::new(ErrorCode::PayloadTooLarge));
            }
        }
        let bytes = self
            .req
            .bytes()
            .await
            .map_err(|_| ApiError::invalid("body", "请求内容无法读取"))?;
        if bytes.len() > MAX_BODY_BYTES {
            return Err(ApiError::new(ErrorCode::PayloadTooLarge));
        }
        serde_json::from_slice(&bytes).map_err(|e| body_error(&e))
    }

    /// Parses the query string into `T`; `400` when it does not fit.
    pub fn query<T: DeserializeOwned>(&self) -> ApiResult<T> {
        self.req
            .query()
            .map_err(|_| ApiError::new(ErrorCode::InvalidArgument).with_message("查询参数有误"))
    }
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
        .with_message("请求内容不是有效的 JSON 或缺少必填项")
        .with_details(serde_json::json!({ "reason": reason }))
}
