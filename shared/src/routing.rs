//! Path patterns for the functions' route tables (`/v1/offices/:office_id/slots`). Matching is
//! pure so that the 404-versus-405 decision is tested natively.

use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    source: String,
    segments: Vec<Segment>,
}

pub type Params = HashMap<String, String>;

impl Pattern {
    /// `:name` segments capture one non-empty path segment.
    pub fn new(source: &str) -> Self {
        let segments = split(source)
            .map(|s| match s.strip_prefix(':') {
                Some(name) => Segment::Param(name.to_owned()),
                None => Segment::Literal(s.to_owned()),
            })
            .collect();
        Pattern {
            source: source.to_owned(),
            segments,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    pub fn matches(&self, path: &str) -> Option<Params> {
        let parts: Vec<&str> = split(path).collect();
        if parts.len() != self.segments.len() {
            return None;
        }
        let mut params = Params::new();
        for (seg, part) in self.segments.iter().zip(parts) {
            match seg {
                Segment::Literal(l) if l == part => {}
                Segment::Literal(_) => return None,
                Segment::Param(name) => {
                    params.insert(name.clone(), percent_decode(part)?);
                }
            }
        }
        Some(params)
    }
}

/// Splits on `/`, ignoring one trailing slash so `/v1/me/` routes like `/v1/me`.
fn split(path: &str) -> impl Iterator<Item = &str> {
    let trimmed = path.strip_suffix('/').unwrap_or(path);
    trimmed.split('/').filter(|s| !s.is_empty())
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// What a route table says about a request.
#[derive(Debug, PartialEq)]
pub enum Resolution<T> {
    Found(T, Params),
    /// The path exists under other methods only.
    MethodNotAllowed(Vec<String>),
    NotFound,
}

/// Finds the first route whose method and pattern match; method `*` matches any method.
pub fn resolve<'a, T>(
    routes: impl IntoIterator<Item = (&'a str, &'a Pattern, T)>,
    method: &str,
    path: &str,
) -> Resolution<T> {
    let mut allowed = Vec::new();
    for (m, pattern, value) in routes {
        if let Some(params) = pattern.matches(path) {
            if m == "*" || m.eq_ignore_ascii_case(method) {
                return Resolution::Found(value, params);
            }
            allowed.push(m.to_ascii_uppercase());
        }
    }
    if allowed.is_empty() {
        Resolution::NotFound
    } else {
        allowed.dedup();
        Resolution::MethodNotAllowed(allowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_and_params() {
        let p = Pattern::new("/v1/offices/:office_id/slots");
        let m = p.matches("/v1/offices/bj-chaoyang/slots").unwrap();
        assert_eq!(m["office_id"], "bj-chaoyang");
        assert!(p.matches("/v1/offices/bj-chaoyang").is_none());
        assert!(p.matches("/v1/offices//slots").is_none());
        assert!(p.matches("/v1/offices/a/b/slots").is_none());
        assert!(Pattern::new("/v1/me").matches("/v1/me/").is_some());
    }

    #[test]
    fn params_are_percent_decoded_and_bad_escapes_do_not_match() {
        let p = Pattern::new("/v1/services/:service/guide");
        assert_eq!(
            p.matches("/v1/services/a%2Db/guide").unwrap()["service"],
            "a-b"
        );
        assert!(p.matches("/v1/services/%zz/guide").is_none());
        assert!(p.matches("/v1/services/%ff/guide").is_none());
    }

    #[test]
    fn resolve_distinguishes_404_and_405() {
        let a = Pattern::new("/v1/bookings");
        let b = Pattern::new("/v1/bookings/:no");
        let routes = [("GET", &a, 1), ("POST", &a, 2), ("GET", &b, 3)];
        assert!(matches!(
            resolve(
                routes.iter().map(|(m, p, v)| (*m, *p, *v)),
                "POST",
                "/v1/bookings"
            ),
            Resolution::Found(2, _)
        ));
        assert_eq!(
            resolve(
                routes.iter().map(|(m, p, v)| (*m, *p, *v)),
                "DELETE",
                "/v1/bookings/X"
            ),
            Resolution::MethodNotAllowed(vec!["GET".into()])
        );
        assert_eq!(
            resolve(routes.iter().map(|(m, p, v)| (*m, *p, *v)), "GET", "/v2/x"),
            Resolution::NotFound
        );
    }

    #[test]
    fn star_matches_any_method() {
        let c = Pattern::new("/v1/bookings/:no/cancel");
        let routes = [("*", &c, 7)];
        for m in ["GET", "POST", "DELETE"] {
            assert!(matches!(
                resolve(
                    routes.iter().map(|(m, p, v)| (*m, *p, *v)),
                    m,
                    "/v1/bookings/X/cancel"
                ),
                Resolution::Found(7, _)
            ));
        }
    }
}
