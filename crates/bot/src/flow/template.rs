//! `{{slot}}` templates. A missing slot renders as nothing (validation makes sure every
//! referenced slot is one the flow can fill).

use std::collections::BTreeMap;

/// How a slot value is written into the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Escape {
    /// As it is (messages to the visitor, header values).
    Plain,
    /// Percent-encoded (URLs): nothing a visitor types can change the path or query.
    Url,
    /// Escaped for the inside of a JSON string (request bodies).
    Json,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    Text(&'a str),
    Slot(&'a str),
}

/// Split a template into text and slot references; an error names what is wrong.
pub(crate) fn pieces(t: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = t;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            out.push(Piece::Text(&rest[..open]));
        }
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            return Err(format!("unclosed \"{{{{\" at \"{}\"", clip(&rest[open..])));
        };
        let name = after[..close].trim();
        if !is_slot_name(name) {
            return Err(format!(
                "\"{{{{{}}}}}\" is not a slot name (letters, digits, _ . -)",
                &after[..close]
            ));
        }
        out.push(Piece::Slot(name));
        rest = &after[close + 2..];
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    Ok(out)
}

fn clip(s: &str) -> String {
    s.chars().take(20).collect()
}

pub(crate) fn is_slot_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars().count() <= 64
        && s.chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '-')
}

/// Render a template; an invalid template renders as written (validation rejects those).
pub fn render(t: &str, slots: &BTreeMap<String, String>, esc: Escape) -> String {
    let Ok(ps) = pieces(t) else {
        return t.to_string();
    };
    let mut out = String::with_capacity(t.len());
    for p in ps {
        match p {
            Piece::Text(s) => out.push_str(s),
            Piece::Slot(name) => {
                let v = slots.get(name).map(String::as_str).unwrap_or("");
                match esc {
                    Escape::Plain => out.push_str(v),
                    Escape::Url => percent_encode(v, &mut out),
                    Escape::Json => json_escape(v, &mut out),
                }
            }
        }
    }
    out
}

fn percent_encode(v: &str, out: &mut String) {
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

fn json_escape(v: &str, out: &mut String) {
    let quoted = serde_json::Value::String(v.to_string()).to_string();
    out.push_str(&quoted[1..quoted.len() - 1]);
}
