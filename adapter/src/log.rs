//! One JSON object per line, so logs can be queried by field. Callers pass only values that are
//! already free of personal data (ids, codes, durations); never a request body.

use serde_json::{Map, Value};

pub fn line(level: &str, fields: Map<String, Value>) {
    let mut obj = Map::new();
    obj.insert("level".into(), Value::from(level));
    let now = yuyue_shared::time::from_unix_millis(worker::Date::now().as_millis() as i64);
    let ts = now.to_rfc3339_opts(chrono::SecondsFormat::Millis, false);
    obj.insert("ts".into(), Value::from(ts));
    obj.extend(fields);
    let text = Value::Object(obj).to_string();
    if level == "error" {
        worker::console_error!("{text}");
    } else {
        worker::console_log!("{text}");
    }
}

/// One line about something that happened inside a request (a provider failure, a refused
/// limit): `event` names it, `fields` hold only ids, codes and causes.
pub fn event(level: &str, event: &str, fields: &[(&str, Value)]) {
    let mut map = Map::new();
    map.insert("event".into(), Value::from(event));
    for (k, v) in fields {
        map.insert((*k).into(), v.clone());
    }
    line(level, map);
}
