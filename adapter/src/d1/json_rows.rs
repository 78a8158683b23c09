//! Records read as JSON built by SQLite, so that a read of several records is one statement whose
//! one text value crosses into wasm and is parsed there by serde_json. A D1 batch of the same
//! reads answers one result per statement, each row a JavaScript object that the bindings convert
//! field by field; on the local stack a booking's eight-statement read cost 2.7 ms of workerd CPU
//! against 2.0 ms as one JSON statement (measured 2026-11-27, see bench/README.md).
//!
//! The JSON is built from the same `SELECT` constants the other reads use, so a column added to a
//! row is read the same way in both: each column is keyed by its name (`t.col` → `col`) or its
//! alias (`(…) AS name` → `name`), the keys the row structs deserialize.

use std::rc::Rc;
use std::thread::LocalKey;
use yuyue_shared::ApiResult;

/// A statement text built once per isolate from constants (`thread_local!` of [`Rc<str>`]):
/// `None` only if a constant is not a plain select, which the unit tests rule out.
pub(super) fn built(text: &'static LocalKey<Option<Rc<str>>>, what: &str) -> ApiResult<Rc<str>> {
    text.with(Clone::clone).ok_or_else(|| super::corrupt(what))
}

/// The JSON of one record: `json((SELECT json_object(…) FROM … <filter>))`, SQL NULL when no row
/// matches (the first row when several do, as `first` takes it).
pub(super) fn record(select: &str, filter: &str) -> Option<String> {
    let (object, from) = json_object_of(select)?;
    Some(format!("json((SELECT {object} FROM {from} {filter}))"))
}

/// The JSON array of every record: `(SELECT json_group_array(…) FROM (SELECT … <filter>))`, in the
/// order the filter gives (its `ORDER BY`); `[]` when none matches.
pub(super) fn records(select: &str, filter: &str) -> Option<String> {
    let (object, from) = json_object_of(select)?;
    Some(format!(
        "(SELECT json_group_array(json(j)) FROM (SELECT {object} AS j FROM {from} {filter}))"
    ))
}

/// `SELECT json_object('<key>', <value>, …) AS facts`: one row, one column, every record a read
/// gathers, keyed as the struct it is parsed into (see [`FactsColumn`]).
pub(super) fn facts_statement(parts: &[(&str, String)]) -> String {
    let fields: Vec<String> = parts
        .iter()
        .map(|(key, value)| format!("'{key}', {value}"))
        .collect();
    format!("SELECT json_object({}) AS facts", fields.join(", "))
}

/// The row of a [`facts_statement`].
#[derive(serde::Deserialize)]
pub(super) struct FactsColumn {
    pub facts: String,
}

impl FactsColumn {
    pub(super) fn parse<T: serde::de::DeserializeOwned>(&self, what: &str) -> ApiResult<T> {
        serde_json::from_str(&self.facts).map_err(|_| super::corrupt(what))
    }
}

/// `SELECT a, t.b, (…) AS c FROM rest` → (`json_object('a', a, 'b', t.b, 'c', (…))`, `rest`).
/// `None` for what is not such a select (no top-level `FROM`, an expression without a name).
fn json_object_of(select: &str) -> Option<(String, &str)> {
    let body = strip_keyword(select.trim_start(), "SELECT")?;
    let from = top_level_keyword(body, "FROM")?;
    let columns = split_top_level(&body[..from]);
    let rest = body[from + "FROM".len()..].trim();
    let mut pairs = Vec::with_capacity(columns.len());
    for column in columns {
        let (expr, key) = match top_level_keyword(column, "AS") {
            Some(at) => (column[..at].trim(), column[at + "AS".len()..].trim()),
            None => (column, column.rsplit('.').next()?),
        };
        let plain = !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !plain || expr.is_empty() {
            return None;
        }
        pairs.push(format!("'{key}', {expr}"));
    }
    Some((format!("json_object({})", pairs.join(", ")), rest))
}

fn strip_keyword<'a>(s: &'a str, keyword: &str) -> Option<&'a str> {
    let head = s.get(..keyword.len())?;
    let after = s[keyword.len()..].chars().next()?;
    (head.eq_ignore_ascii_case(keyword) && after.is_whitespace()).then(|| &s[keyword.len()..])
}

/// Where `keyword` first stands as a word outside parentheses and quotes.
fn top_level_keyword(s: &str, keyword: &str) -> Option<usize> {
    let bytes = s.as_bytes();
    let n = keyword.len();
    let word =
        |i: usize| i >= bytes.len() || !(bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_');
    let mut depth = 0usize;
    let mut quoted = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\'' => quoted = !quoted,
            b'(' if !quoted => depth += 1,
            b')' if !quoted => depth = depth.saturating_sub(1),
            _ if quoted || depth > 0 => {}
            _ if (i == 0 || word(i - 1))
                && s.get(i..i + n)
                    .is_some_and(|w| w.eq_ignore_ascii_case(keyword))
                && word(i + n) =>
            {
                return Some(i);
            }
            _ => {}
        }
    }
    None
}

/// The comma-separated parts of `s` outside parentheses and quotes, trimmed.
fn split_top_level(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut quoted, mut start) = (0usize, false, 0);
    for (i, b) in s.bytes().enumerate() {
        match b {
            b'\'' => quoted = !quoted,
            b'(' if !quoted => depth += 1,
            b')' if !quoted => depth = depth.saturating_sub(1),
            b',' if !quoted && depth == 0 => {
                parts.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(s[start..].trim());
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_keyed_by_name_or_alias() {
        let (object, rest) = json_object_of(
            "SELECT o.office_id, name, (SELECT group_concat(s.service_id) FROM office_services s \
             WHERE s.office_id = o.office_id) AS services FROM offices o",
        )
        .unwrap();
        assert_eq!(
            object,
            "json_object('office_id', o.office_id, 'name', name, 'services', \
             (SELECT group_concat(s.service_id) FROM office_services s WHERE s.office_id = o.office_id))"
        );
        assert_eq!(rest, "offices o");
    }

    #[test]
    fn the_from_of_a_join_and_its_filter_are_kept() {
        let sql = record(
            "SELECT u.user_id, p.phone FROM users u LEFT JOIN user_phones p ON p.user_id = u.user_id",
            "WHERE u.user_id = ?2",
        )
        .unwrap();
        assert_eq!(
            sql,
            "json((SELECT json_object('user_id', u.user_id, 'phone', p.phone) FROM users u \
             LEFT JOIN user_phones p ON p.user_id = u.user_id WHERE u.user_id = ?2))"
        );
    }

    #[test]
    fn a_list_keeps_the_order_its_filter_gives() {
        assert_eq!(
            records("SELECT cancelled_at FROM bookings", "WHERE a = ?1 ORDER BY cancelled_at DESC")
                .unwrap(),
            "(SELECT json_group_array(json(j)) FROM (SELECT json_object('cancelled_at', cancelled_at) \
             AS j FROM bookings WHERE a = ?1 ORDER BY cancelled_at DESC))"
        );
    }

    #[test]
    fn keywords_inside_names_quotes_and_parentheses_do_not_count() {
        let (object, rest) =
            json_object_of("select fromage, 'a FROM b' AS quoted, (x AS y) AS inner_as from t")
                .unwrap();
        assert_eq!(
            object,
            "json_object('fromage', fromage, 'quoted', 'a FROM b', 'inner_as', (x AS y))"
        );
        assert_eq!(rest, "t");
    }

    #[test]
    fn what_is_not_a_plain_select_is_refused() {
        assert_eq!(json_object_of("SELECT a"), None); // no FROM
        assert_eq!(json_object_of("DELETE FROM t"), None);
        assert_eq!(json_object_of("SELECT count(*) FROM t"), None); // no name
        assert_eq!(json_object_of("SELECT a AS \"B\" FROM t"), None); // not a plain key
        assert_eq!(json_object_of("SELECT a, , b FROM t"), None);
    }
}
