use crate::cx::Cx;
use crate::log;
use crate::respond::{render, to_response, Reply};
use serde_json::{json, Map, Value};
use std::future::Future;
use std::pin::Pin;
use worker::{Context, Env, Request, Response};
use yuyue_shared::i18n::Lang;
use yuyue_shared::routing::{resolve, Pattern, Resolution};
use yuyue_shared::{ApiError, ApiResult, ErrorCode};

type HandlerFuture = Pin<Box<dyn Future<Output = ApiResult<Reply>>>>;
type Handler = Box<dyn Fn(Cx) -> HandlerFuture>;

enum Target {
    Handler(Handler),
    /// Hand the request unchanged to another function over a service binding.
    Forward(&'static str),
}

/// A function's route table. Every table also answers `GET /v1/health` and
/// `GET /v1/health/<function>` (the path that reaches this function on the shared origin).
pub struct Routes {
    function: &'static str,
    entries: Vec<(&'static str, Pattern, Target)>,
}

impl Routes {
    pub fn new(function: &'static str) -> Self {
        let routes = Routes {
            function,
            entries: Vec::new(),
        };
        let health_path = format!("/v1/health/{function}");
        let panic_path = format!("/v1/health/{function}/panic");
        routes
            .route("GET", "/v1/health", health)
            .route("GET", &health_path, health)
            .route("GET", &panic_path, dev_panic)
    }

    pub fn route<F, Fut>(mut self, method: &'static str, pattern: &str, handler: F) -> Self
    where
        F: Fn(Cx) -> Fut + 'static,
        Fut: Future<Output = ApiResult<Reply>> + 'static,
    {
        self.entries.push((
            method,
            Pattern::new(pattern),
            Target::Handler(Box::new(move |cx| Box::pin(handler(cx)))),
        ));
        self
    }

    /// Hands every request on `pattern` to the function behind service binding `binding` (which
    /// answers for methods itself), for paths that production route patterns cannot split: they
    /// allow a wildcard only at the end.
    pub fn forward(mut self, pattern: &str, binding: &'static str) -> Self {
        self.entries
            .push(("*", Pattern::new(pattern), Target::Forward(binding)));
        self
    }

    pub fn get<F, Fut>(self, pattern: &str, handler: F) -> Self
    where
        F: Fn(Cx) -> Fut + 'static,
        Fut: Future<Output = ApiResult<Reply>> + 'static,
    {
        self.route("GET", pattern, handler)
    }

    pub fn post<F, Fut>(self, pattern: &str, handler: F) -> Self
    where
        F: Fn(Cx) -> Fut + 'static,
        Fut: Future<Output = ApiResult<Reply>> + 'static,
    {
        self.route("POST", pattern, handler)
    }

    pub fn put<F, Fut>(self, pattern: &str, handler: F) -> Self
    where
        F: Fn(Cx) -> Fut + 'static,
        Fut: Future<Output = ApiResult<Reply>> + 'static,
    {
        self.route("PUT", pattern, handler)
    }

    pub fn delete<F, Fut>(self, pattern: &str, handler: F) -> Self
    where
        F: Fn(Cx) -> Fut + 'static,
        Fut: Future<Output = ApiResult<Reply>> + 'static,
    {
        self.route("DELETE", pattern, handler)
    }
}

async fn health(cx: Cx) -> ApiResult<Reply> {
    Ok(Reply::ok(json!({
        "function": cx.function,
        "version": cx.config("VERSION").unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_owned()),
        "status": "ok",
    })))
}

/// Lets the test suite prove that a panic becomes `500 INTERNAL` in the envelope. Outside the dev
/// environment the route does not exist.
async fn dev_panic(cx: Cx) -> ApiResult<Reply> {
    if !cx.is_dev() {
        return Err(ApiError::not_found());
    }
    panic!("deliberate panic requested through the dev probe");
}

/// Request ids come from the edge wrapper (`adapter/js/guard.mjs`), which also answers for a
/// panic; a request that reached us without one gets its own.
fn request_id(req: &Request) -> String {
    req.headers()
        .get("x-request-id")
        .ok()
        .flatten()
        .filter(|v| is_valid_request_id(v))
        .unwrap_or_else(new_request_id)
}

fn is_valid_request_id(v: &str) -> bool {
    (8..=64).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn new_request_id() -> String {
    let mut bytes = [0u8; 12];
    if getrandom::fill(&mut bytes).is_err() {
        return format!("t{}", worker::Date::now().as_millis());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Runs one request through `routes`: resolution (404/405 in the envelope), the handler, the
/// envelope, and one structured log line.
pub async fn serve(
    routes: &Routes,
    mut req: Request,
    env: Env,
    ctx: Context,
) -> worker::Result<Response> {
    console_error_panic_hook::set_once();
    let started = worker::Date::now().as_millis();
    let metrics_env = env.clone();
    let request_id = request_id(&req);
    let lang = Lang::from_accept_language(
        req.headers()
            .get("accept-language")
            .ok()
            .flatten()
            .as_deref(),
    );
    let method = req.method().to_string();
    let path = req.path();
    let served_by = [("x-served-by", routes.function.to_owned())];

    let entries = routes.entries.iter().map(|(m, p, t)| (*m, p, (p, t)));
    let (route, result, allow) = match resolve(entries, &method, &path) {
        Resolution::Found((_, Target::Forward(binding)), _) => {
            // The receiving function logs and answers for itself.
            return match env.service(binding) {
                Ok(fetcher) => fetcher.fetch_request(req).await,
                Err(e) => Err(e),
            }
            .or_else(|_| {
                let err = Err(ApiError::new(ErrorCode::UpstreamUnavailable));
                to_response(render(&err, &request_id, lang), &request_id, &served_by)
            });
        }
        Resolution::Found((pattern, Target::Handler(handler)), params) => {
            let body = crate::cx::Body::read(&mut req).await;
            let cx = Cx {
                body,
                req,
                env,
                ctx,
                params,
                request_id: request_id.clone(),
                function: routes.function,
                lang,
            };
            (pattern.as_str().to_owned(), handler(cx).await, None)
        }
        Resolution::MethodNotAllowed(allowed) => {
            crate::cx::Body::read(&mut req).await;
            (
                "(method not allowed)".to_owned(),
                Err(ApiError::new(ErrorCode::MethodNotAllowed)),
                Some(allowed.join(", ")),
            )
        }
        Resolution::NotFound => {
            crate::cx::Body::read(&mut req).await;
            ("(no route)".to_owned(), Err(ApiError::not_found()), None)
        }
    };

    let rendered = render(&result, &request_id, lang);
    let mut fields = Map::new();
    fields.insert("request_id".into(), Value::from(request_id.as_str()));
    fields.insert("function".into(), Value::from(routes.function));
    fields.insert("method".into(), Value::from(method));
    fields.insert("route".into(), Value::from(route));
    fields.insert("status".into(), Value::from(rendered.status));
    if let Err(e) = &result {
        fields.insert("code".into(), Value::from(e.code.as_str()));
    }
    let duration_ms = worker::Date::now().as_millis().saturating_sub(started);
    fields.insert("duration_ms".into(), Value::from(duration_ms));
    let code = match &result {
        Ok(_) => "OK",
        Err(e) => e.code.as_str(),
    };
    crate::metrics::observe(&metrics_env, routes.function, code, duration_ms).await;
    let level = if rendered.status >= 500 {
        "error"
    } else {
        "info"
    };
    log::line(level, fields);

    let mut extra = served_by.to_vec();
    if matches!(&result, Ok(r) if r.page.is_some()) {
        extra.push(("content-type", "text/html; charset=utf-8".to_owned()));
        // The page's own inline script and styles, and calls to this origin only.
        extra.push((
            "content-security-policy",
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:"
                .to_owned(),
        ));
    }
    if let Some(a) = allow {
        extra.push(("allow", a));
    }
    to_response(rendered, &request_id, &extra)
}
