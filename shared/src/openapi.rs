//! The API description, `openapi.yaml` at the project root, is served as JSON
//! (`GET /v1/openapi.json`). The catalog function embeds the file and converts it once per
//! isolate with this small YAML reader, so the YAML stays the one source and cannot drift from
//! what is served.
//!
//! The reader covers the YAML that file is written in, and refuses the rest rather than guess:
//! block mappings and sequences, flow `{…}` and `[…]` (also across lines), plain, single- and
//! double-quoted scalars (plain ones also over several lines), `|` and `>` block scalars with
//! `-`/`+` chomping, and comments. Plain scalars resolve by the YAML 1.2 core schema (null,
//! booleans, integers, floats, else strings); keys are always strings. Not supported: anchors
//! and aliases, tags, multiple documents, complex keys, tabs for indentation.

use serde_json::{Map, Number, Value};

#[derive(Debug, Clone)]
struct Line {
    no: usize,
    indent: usize,
    /// The text after the indentation, comments not yet removed.
    text: String,
}

struct Parser {
    lines: Vec<Line>,
    pos: usize,
}

pub fn yaml_to_json(src: &str) -> Result<Value, String> {
    let mut lines = Vec::new();
    for (i, raw) in src.lines().enumerate() {
        let indent = raw.len() - raw.trim_start_matches(' ').len();
        let text = &raw[indent..];
        if text.starts_with('\t') {
            return Err(format!("line {}: tabs cannot indent YAML", i + 1));
        }
        if indent == 0 && (text == "---" || text == "...") {
            continue;
        }
        lines.push(Line {
            no: i + 1,
            indent,
            text: text.trim_end().to_owned(),
        });
    }
    let mut p = Parser { lines, pos: 0 };
    p.skip_blank();
    if p.pos >= p.lines.len() {
        return Ok(Value::Null);
    }
    let indent = p.lines[p.pos].indent;
    let v = p.node(indent)?;
    p.skip_blank();
    if let Some(l) = p.lines.get(p.pos) {
        return Err(format!("line {}: unexpected content", l.no));
    }
    Ok(v)
}

/// The text without its comment: a `#` at the start or after a space, outside quotes.
fn strip_comment(s: &str) -> &str {
    let (mut single, mut double) = (false, false);
    let mut prev = ' ';
    for (i, c) in s.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single && prev != '\\' => double = !double,
            '#' if !single && !double && prev.is_whitespace() => return s[..i].trim_end(),
            _ => {}
        }
        prev = c;
    }
    s.trim_end()
}

fn is_blank(l: &Line) -> bool {
    strip_comment(&l.text).is_empty()
}

/// Splits `key: rest` (or `key:`) at the first `:` that ends the key, outside quotes.
fn split_key(s: &str) -> Option<(String, &str)> {
    let s = strip_comment(s);
    if let Some(q) = s.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let (key, len) = quoted(s, q).ok()?;
        let rest = s[len..].trim_start();
        return rest
            .strip_prefix(':')
            .filter(|r| r.is_empty() || r.starts_with(' '))
            .map(|r| (key, r.trim()));
    }
    if s.starts_with(['{', '[', '-', '|', '>']) && !s.starts_with("-:") {
        if s.starts_with('-') && !(s == "-" || s.starts_with("- ")) {
            // `-foo: x` is a plain key; fall through.
        } else {
            return None;
        }
    }
    let bytes = s.as_bytes();
    for i in 0..bytes.len() {
        if bytes[i] == b':' && (i + 1 == bytes.len() || bytes[i + 1] == b' ') {
            return Some((s[..i].trim().to_owned(), s[i + 1..].trim()));
        }
    }
    None
}

fn is_seq_item(s: &str) -> bool {
    s == "-" || s.starts_with("- ")
}

impl Parser {
    fn skip_blank(&mut self) {
        while self.lines.get(self.pos).is_some_and(is_blank) {
            self.pos += 1;
        }
    }

    fn err(&self, msg: &str) -> String {
        let no = self.lines.get(self.pos).map_or(0, |l| l.no);
        format!("line {no}: {msg}")
    }

    /// The node whose first line is the current one, at `indent`.
    fn node(&mut self, indent: usize) -> Result<Value, String> {
        self.skip_blank();
        let line = self
            .lines
            .get(self.pos)
            .ok_or_else(|| self.err("a value is missing"))?
            .clone();
        if is_seq_item(strip_comment(&line.text)) {
            self.sequence(line.indent)
        } else if split_key(&line.text).is_some() {
            self.mapping(line.indent)
        } else {
            let _ = indent;
            let text = strip_comment(&line.text).to_owned();
            self.pos += 1;
            self.inline_value(&text, line.indent)
        }
    }

    fn mapping(&mut self, indent: usize) -> Result<Value, String> {
        let mut map = Map::new();
        loop {
            self.skip_blank();
            let Some(line) = self.lines.get(self.pos).cloned() else {
                break;
            };
            if line.indent < indent {
                break;
            }
            if line.indent > indent {
                return Err(self.err("unexpected indentation"));
            }
            let Some((key, rest)) = split_key(&line.text) else {
                if is_seq_item(strip_comment(&line.text)) {
                    break;
                }
                return Err(self.err("expected `key: value`"));
            };
            let rest = rest.to_owned();
            self.pos += 1;
            let value = self.value_after(&rest, indent, true)?;
            if map.insert(key.clone(), value).is_some() {
                return Err(format!("line {}: duplicate key `{key}`", line.no));
            }
        }
        Ok(Value::Object(map))
    }

    fn sequence(&mut self, indent: usize) -> Result<Value, String> {
        let mut items = Vec::new();
        loop {
            self.skip_blank();
            let Some(line) = self.lines.get(self.pos).cloned() else {
                break;
            };
            let text = strip_comment(&line.text);
            if line.indent != indent || !is_seq_item(text) {
                if line.indent > indent {
                    return Err(self.err("unexpected indentation"));
                }
                break;
            }
            let rest = text[1..].trim_start();
            if rest.is_empty() {
                self.pos += 1;
                items.push(self.value_after("", indent, false)?);
            } else {
                // `- key: v` or `- - x`: the item is a node starting at the column of `rest`.
                let column = indent + (line.text.len() - line.text[1..].trim_start().len());
                let nested = split_key(rest).is_some() || is_seq_item(rest);
                if nested {
                    self.lines[self.pos] = Line {
                        no: line.no,
                        indent: column,
                        text: line.text[column - indent..].to_owned(),
                    };
                    items.push(self.node(column)?);
                } else {
                    let rest = rest.to_owned();
                    self.pos += 1;
                    items.push(self.inline_value(&rest, indent)?);
                }
            }
        }
        Ok(Value::Array(items))
    }

    /// The value after `key:` or `-`: inline text, a block scalar, or a nested node.
    fn value_after(
        &mut self,
        rest: &str,
        indent: usize,
        in_mapping: bool,
    ) -> Result<Value, String> {
        if rest.starts_with('|') || rest.starts_with('>') {
            return self.block_scalar(rest, indent);
        }
        if !rest.is_empty() {
            return self.inline_value(rest, indent);
        }
        self.skip_blank();
        match self.lines.get(self.pos) {
            Some(next) if next.indent > indent => {
                let i = next.indent;
                self.node(i)
            }
            // YAML lets a mapping's sequence value sit at the key's own indentation.
            Some(next)
                if in_mapping
                    && next.indent == indent
                    && is_seq_item(strip_comment(&next.text)) =>
            {
                self.sequence(indent)
            }
            _ => Ok(Value::Null),
        }
    }

    /// A scalar or flow collection starting on the current line; flow collections and plain
    /// scalars may continue on lines indented deeper than `indent`.
    fn inline_value(&mut self, text: &str, indent: usize) -> Result<Value, String> {
        let mut text = text.to_owned();
        if text.starts_with('{') || text.starts_with('[') {
            while !balanced(&text) {
                let next = self
                    .lines
                    .get(self.pos)
                    .ok_or_else(|| self.err("unclosed flow collection"))?;
                text.push(' ');
                text.push_str(strip_comment(next.text.trim()));
                self.pos += 1;
            }
            let mut f = Flow {
                s: text.as_bytes(),
                i: 0,
                src: &text,
            };
            let v = f.value()?;
            f.ws();
            if f.i != f.s.len() {
                return Err(self.err("content after a flow collection"));
            }
            return Ok(v);
        }
        if text.starts_with('"') || text.starts_with('\'') {
            let q = text.chars().next().unwrap_or('"');
            let (s, len) = quoted(&text, q).map_err(|e| self.err(&e))?;
            if !text[len..].trim().is_empty() {
                return Err(self.err("content after a quoted scalar"));
            }
            return Ok(Value::String(s));
        }
        // A plain scalar folds its continuation lines into one, separated by spaces.
        while let Some(next) = self.lines.get(self.pos) {
            if is_blank(next) || next.indent <= indent || split_key(&next.text).is_some() {
                break;
            }
            text.push(' ');
            text.push_str(strip_comment(&next.text));
            self.pos += 1;
        }
        Ok(plain(&text))
    }

    fn block_scalar(&mut self, header: &str, indent: usize) -> Result<Value, String> {
        let folded = header.starts_with('>');
        let chomp = header[1..].chars().find(|c| *c == '-' || *c == '+');
        let mut body: Vec<String> = Vec::new();
        let mut content_indent = None;
        while let Some(l) = self.lines.get(self.pos) {
            if l.text.is_empty() {
                body.push(String::new());
                self.pos += 1;
                continue;
            }
            if l.indent <= indent {
                break;
            }
            let ci = *content_indent.get_or_insert(l.indent);
            if l.indent < ci {
                return Err(self.err("a block scalar line is indented less than its first line"));
            }
            body.push(format!("{}{}", " ".repeat(l.indent - ci), l.text));
            self.pos += 1;
        }
        let trailing = body.iter().rev().take_while(|l| l.is_empty()).count();
        body.truncate(body.len() - trailing);
        let mut out = String::new();
        if folded {
            let mut prev_text = false;
            for l in &body {
                if l.is_empty() {
                    out.push('\n');
                    prev_text = false;
                } else if l.starts_with(' ') {
                    if prev_text {
                        out.push('\n');
                    }
                    out.push_str(l);
                    out.push('\n');
                    prev_text = false;
                } else {
                    if prev_text {
                        out.push(' ');
                    }
                    out.push_str(l);
                    prev_text = true;
                }
            }
        } else {
            out = body.join("\n");
        }
        let out = out.trim_end_matches('\n').to_owned();
        Ok(Value::String(match chomp {
            Some('-') => out,
            Some('+') => out + &"\n".repeat(trailing + 1),
            _ if out.is_empty() => out,
            _ => out + "\n",
        }))
    }
}

/// Whether every `{`/`[` opened outside quotes is closed.
fn balanced(s: &str) -> bool {
    let (mut depth, mut single, mut double) = (0i32, false, false);
    let mut prev = ' ';
    for c in s.chars() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single && prev != '\\' => double = !double,
            '{' | '[' if !single && !double => depth += 1,
            '}' | ']' if !single && !double => depth -= 1,
            _ => {}
        }
        prev = c;
    }
    depth <= 0
}

/// A quoted scalar at the start of `s`: its value and the bytes it took.
fn quoted(s: &str, q: char) -> Result<(String, usize), String> {
    let mut out = String::new();
    let mut chars = s.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        if q == '\'' {
            if c == '\'' {
                if chars.peek().is_some_and(|(_, n)| *n == '\'') {
                    chars.next();
                    out.push('\'');
                    continue;
                }
                return Ok((out, i + 1));
            }
            out.push(c);
            continue;
        }
        match c {
            '"' => return Ok((out, i + 1)),
            '\\' => {
                let (_, e) = chars.next().ok_or("unfinished escape")?;
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    '0' => out.push('\0'),
                    '"' | '\\' | '/' | ' ' => out.push(e),
                    'u' => {
                        let hex: String = (0..4)
                            .filter_map(|_| chars.next().map(|(_, h)| h))
                            .collect();
                        let code = u32::from_str_radix(&hex, 16).map_err(|_| "bad \\u escape")?;
                        out.push(char::from_u32(code).ok_or("bad \\u escape")?);
                    }
                    _ => return Err(format!("unsupported escape \\{e}")),
                }
            }
            _ => out.push(c),
        }
    }
    Err("unclosed quoted scalar".into())
}

/// A plain scalar by the YAML 1.2 core schema.
fn plain(s: &str) -> Value {
    let s = s.trim();
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let digits = s.strip_prefix(['-', '+']).unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(n) = s.parse::<i64>() {
            return Value::Number(n.into());
        }
    }
    let float_like = digits.bytes().all(|b| {
        b.is_ascii_digit() || b == b'.' || b == b'e' || b == b'E' || b == b'-' || b == b'+'
    }) && digits
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'.')
        && digits.contains(|c: char| c.is_ascii_digit());
    if float_like {
        if let Some(n) = s.parse::<f64>().ok().and_then(Number::from_f64) {
            return Value::Number(n);
        }
    }
    Value::String(s.to_owned())
}

struct Flow<'a> {
    s: &'a [u8],
    i: usize,
    src: &'a str,
}

impl Flow<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(|b| *b == b' ') {
            self.i += 1;
        }
    }

    fn err(&self, msg: &str) -> String {
        format!("flow `{}`: {msg}", self.src)
    }

    fn value(&mut self) -> Result<Value, String> {
        self.ws();
        match self.s.get(self.i) {
            Some(b'{') => self.map(),
            Some(b'[') => self.seq(),
            Some(b'"' | b'\'') => Ok(Value::String(self.quoted()?)),
            Some(_) => Ok(plain(&self.plain(false))),
            None => Err(self.err("a value is missing")),
        }
    }

    fn quoted(&mut self) -> Result<String, String> {
        let q = self.s[self.i] as char;
        let (v, len) = quoted(&self.src[self.i..], q).map_err(|e| self.err(&e))?;
        self.i += len;
        Ok(v)
    }

    /// Up to `,` `]` `}`, or for a key up to `:` followed by a space or an indicator.
    fn plain(&mut self, key: bool) -> String {
        let start = self.i;
        while let Some(&b) = self.s.get(self.i) {
            if matches!(b, b',' | b']' | b'}') {
                break;
            }
            if key
                && b == b':'
                && self
                    .s
                    .get(self.i + 1)
                    .is_none_or(|n| matches!(n, b' ' | b',' | b']' | b'}'))
            {
                break;
            }
            self.i += 1;
        }
        self.src[start..self.i].trim().to_owned()
    }

    fn expect(&mut self, b: u8) -> Result<(), String> {
        self.ws();
        if self.s.get(self.i) == Some(&b) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.err(&format!("expected `{}`", b as char)))
        }
    }

    fn map(&mut self) -> Result<Value, String> {
        self.i += 1;
        let mut m = Map::new();
        loop {
            self.ws();
            if self.s.get(self.i) == Some(&b'}') {
                self.i += 1;
                return Ok(Value::Object(m));
            }
            let key = match self.s.get(self.i) {
                Some(b'"' | b'\'') => self.quoted()?,
                _ => self.plain(true),
            };
            self.expect(b':')?;
            let v = self.value()?;
            if m.insert(key.clone(), v).is_some() {
                return Err(self.err(&format!("duplicate key `{key}`")));
            }
            self.ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b'}') => {}
                _ => return Err(self.err("expected `,` or `}`")),
            }
        }
    }

    fn seq(&mut self) -> Result<Value, String> {
        self.i += 1;
        let mut items = Vec::new();
        loop {
            self.ws();
            if self.s.get(self.i) == Some(&b']') {
                self.i += 1;
                return Ok(Value::Array(items));
            }
            items.push(self.value()?);
            self.ws();
            match self.s.get(self.i) {
                Some(b',') => self.i += 1,
                Some(b']') => {}
                _ => return Err(self.err("expected `,` or `]`")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn block_and_flow_collections_and_scalars() {
        let y = r##"
# a comment
openapi: 3.1.0
info:
  title: Yuyue (预约) API   # trailing comment
  version: "0.1.0"
  count: 12
  ratio: 0.5
  on: true
  nothing: ~
  empty:
tags:
  - name: login
    description: >
      Folded text
      on two lines.

      A new paragraph.
  - plain item
  -
    nested: 1
list:
- a
- 'it''s'
flow: { type: [string, "null"], examples: [a_3f2c…, 900], ref: "#/x", url: http://a/b }
multi: { a: 1,
  b: [x, y] }
literal: |
  line one
    indented
  line three
keep: |+
  kept

strip: >-
  no newline
plain: a plain scalar
  continued here
"200": { description: "UNAUTHENTICATED: the code is invalid." }
"##;
        let v = yaml_to_json(y).unwrap();
        assert_eq!(v["openapi"], "3.1.0");
        assert_eq!(v["info"]["title"], "Yuyue (预约) API");
        assert_eq!(v["info"]["version"], "0.1.0");
        assert_eq!(v["info"]["count"], 12);
        assert_eq!(v["info"]["ratio"], 0.5);
        assert_eq!(v["info"]["on"], true);
        assert_eq!(v["info"]["nothing"], Value::Null);
        assert_eq!(v["info"]["empty"], Value::Null);
        assert_eq!(
            v["tags"][0]["description"],
            "Folded text on two lines.\nA new paragraph.\n"
        );
        assert_eq!(v["tags"][1], "plain item");
        assert_eq!(v["tags"][2], json!({ "nested": 1 }));
        assert_eq!(v["list"], json!(["a", "it's"]));
        assert_eq!(
            v["flow"],
            json!({ "type": ["string", "null"], "examples": ["a_3f2c…", 900], "ref": "#/x", "url": "http://a/b" })
        );
        assert_eq!(v["multi"], json!({ "a": 1, "b": ["x", "y"] }));
        assert_eq!(v["literal"], "line one\n  indented\nline three\n");
        assert_eq!(v["keep"], "kept\n\n");
        assert_eq!(v["strip"], "no newline");
        assert_eq!(v["plain"], "a plain scalar continued here");
        assert_eq!(
            v["200"]["description"],
            "UNAUTHENTICATED: the code is invalid."
        );
    }

    #[test]
    fn what_it_cannot_read_is_an_error_not_a_guess() {
        for bad in [
            "a: 1\na: 2",
            "a:\n\t- x",
            "a: { b: 1",
            "a: \"unclosed",
            "a: 1\n  b: 2",
            "a: { b: 1, b: 2 }",
        ] {
            assert!(yaml_to_json(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_projects_spec_reads_and_names_every_endpoint() {
        let spec = yaml_to_json(include_str!("../../openapi.yaml")).unwrap();
        assert_eq!(spec["openapi"], "3.1.0");
        let paths = spec["paths"].as_object().unwrap();
        for (path, method) in [
            ("/v1/services", "get"),
            ("/v1/services/{service}/guide", "get"),
            ("/v1/offices", "get"),
            ("/v1/offices/{office_id}", "get"),
            ("/v1/offices/{office_id}/slots", "get"),
            ("/v1/openapi.json", "get"),
            ("/v1/applications", "get"),
            ("/v1/applications/{application_no}", "get"),
            ("/v1/documents", "get"),
            ("/v1/ops/bookings/{booking_no}/checkin", "post"),
            ("/v1/ops/applications/{application_no}/events", "post"),
            ("/v1/auth/wechat", "post"),
            ("/v1/applicants", "get"),
            ("/v1/applicants", "post"),
            ("/v1/applicants/{applicant_id}", "delete"),
            ("/v1/applicants/invitations/{code}/accept", "post"),
            ("/v1/me/helpers", "get"),
            ("/v1/me/helpers/{user_id}", "delete"),
            ("/v1/me/audit", "get"),
            ("/v1/ops/metrics", "get"),
            ("/v1/ops/dashboard", "get"),
            ("/v1/ops/offices/{office_id}/days/{date}/close", "post"),
            ("/v1/bookings/admission", "post"),
            ("/v1/bookings/admission", "get"),
            ("/v1/ops/offices/{office_id}/days/{date}/admission", "put"),
            ("/v1/bookings", "post"),
            ("/v1/bookings", "get"),
            ("/v1/bookings/{booking_no}", "get"),
            ("/v1/bookings/{booking_no}/cancel", "post"),
            ("/v1/ops/offices/{office_id}", "put"),
            ("/v1/ops/schedules", "post"),
            ("/v1/ops/offices/{office_id}/days/{date}", "get"),
            ("/v1/ops/reconcile", "post"),
            ("/v1/ops/sweeps/no-shows", "post"),
            ("/v1/ops/jobs/{job}", "post"),
            ("/v1/health", "get"),
            ("/v1/health/login", "get"),
            ("/v1/health/catalog", "get"),
            ("/v1/health/helper", "get"),
            ("/v1/health/book", "get"),
            ("/v1/health/cancel", "get"),
            ("/v1/health/progress", "get"),
            ("/v1/health/ops", "get"),
        ] {
            assert!(
                paths.get(path).and_then(|p| p.get(method)).is_some(),
                "{method} {path}"
            );
        }
        // Every reference points at something that exists.
        fn refs(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Object(m) => {
                    if let Some(Value::String(r)) = m.get("$ref") {
                        out.push(r.clone());
                    }
                    m.values().for_each(|x| refs(x, out));
                }
                Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
                _ => {}
            }
        }
        let mut all = Vec::new();
        refs(&spec, &mut all);
        assert!(!all.is_empty());
        for r in all {
            let pointer = r.strip_prefix('#').unwrap();
            assert!(spec.pointer(pointer).is_some(), "dangling {r}");
        }
    }
}
