//! The current time. Production reads the runtime's clock; the dev environment lets a request
//! set it (`x-dev-now`, RFC 3339) so tests move time without sleeping. Nothing else may read time.

use yuyue_shared::time::{from_unix_millis, Instant};

pub fn system_now() -> Instant {
    from_unix_millis(worker::Date::now().as_millis() as i64)
}

/// `override_header` is honoured only when `dev` is true.
pub fn now(dev: bool, override_header: Option<&str>) -> Instant {
    if dev {
        if let Some(t) = override_header.and_then(yuyue_shared::time::instant_from) {
            return t;
        }
    }
    system_now()
}
