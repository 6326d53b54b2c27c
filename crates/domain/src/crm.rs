//! Customer templates (客户模板): the fields an administrator defines, and the
//! validation of a customer's values against them. Also the phone rules OneID
//! matches on and the public pool's masking. Pure functions, no I/O.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The kinds of field a template may define.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    Number,
    /// `YYYY-MM-DD`.
    Date,
    Select,
    MultiSelect,
    /// A path in the field's option tree, e.g. `["电子产品", "手机"]`.
    Cascade,
    Phone,
    Email,
    /// Province / city / district: one to three names, e.g. `["广东省", "深圳市"]`.
    Region,
}

/// One option of a cascade field, with the options below it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CascadeNode {
    pub label: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<CascadeNode>,
}

/// One field of a template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldDef {
    /// Machine name: `[a-z][a-z0-9_]*`, at most 40 characters, unique in the template.
    pub key: String,
    /// What people see (any script).
    pub label: String,
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    /// The choices of a select or multi-select field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    /// The option tree of a cascade field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cascade: Vec<CascadeNode>,
}

/// One thing wrong with one field, with a stable machine-readable `code`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

const MAX_TEXT: usize = 1000;
const MAX_FIELDS: usize = 100;
const MAX_OPTIONS: usize = 500;

fn valid_key(k: &str) -> bool {
    let mut cs = k.chars();
    matches!(cs.next(), Some('a'..='z'))
        && k.len() <= 40
        && cs.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Check a template's definition: field keys and labels, options of select and
/// cascade fields, the status list and the one status hidden from the pool.
pub fn validate_template(
    fields: &[FieldDef],
    statuses: &[String],
    pool_hidden_status: Option<&str>,
) -> Result<(), Vec<FieldError>> {
    let mut errs = Vec::new();
    if fields.len() > MAX_FIELDS {
        errs.push(FieldError::new(
            "fields",
            "too_many",
            format!("at most {MAX_FIELDS} fields"),
        ));
    }
    let mut seen = std::collections::BTreeSet::new();
    for (i, f) in fields.iter().enumerate() {
        let at = format!("fields[{i}]");
        if !valid_key(&f.key) {
            errs.push(FieldError::new(
                format!("{at}.key"),
                "invalid_key",
                "use a-z, 0-9 and _, starting with a letter, at most 40 characters",
            ));
        } else if !seen.insert(f.key.as_str()) {
            errs.push(FieldError::new(
                format!("{at}.key"),
                "duplicate_key",
                format!("the key {} is used twice", f.key),
            ));
        }
        if f.label.trim().is_empty() || f.label.chars().count() > 100 {
            errs.push(FieldError::new(
                format!("{at}.label"),
                "invalid_label",
                "must be 1–100 characters",
            ));
        }
        let needs_options = matches!(f.kind, FieldKind::Select | FieldKind::MultiSelect);
        if needs_options {
            let distinct: std::collections::BTreeSet<_> = f.options.iter().collect();
            if f.options.is_empty()
                || f.options.len() > MAX_OPTIONS
                || distinct.len() != f.options.len()
                || f.options.iter().any(|o| o.trim().is_empty())
            {
                errs.push(FieldError::new(
                    format!("{at}.options"),
                    "invalid_options",
                    "a select field needs 1–500 distinct, non-empty options",
                ));
            }
        } else if !f.options.is_empty() {
            errs.push(FieldError::new(
                format!("{at}.options"),
                "unexpected_options",
                "only select fields have options",
            ));
        }
        if f.kind == FieldKind::Cascade {
            if f.cascade.is_empty() || !cascade_ok(&f.cascade) {
                errs.push(FieldError::new(
                    format!("{at}.cascade"),
                    "invalid_cascade",
                    "a cascade field needs a tree of distinct, non-empty labels",
                ));
            }
        } else if !f.cascade.is_empty() {
            errs.push(FieldError::new(
                format!("{at}.cascade"),
                "unexpected_cascade",
                "only cascade fields have an option tree",
            ));
        }
    }
    let distinct: std::collections::BTreeSet<_> = statuses.iter().collect();
    if distinct.len() != statuses.len()
        || statuses.len() > 50
        || statuses
            .iter()
            .any(|s| s.trim().is_empty() || s.chars().count() > 30)
    {
        errs.push(FieldError::new(
            "statuses",
            "invalid_statuses",
            "statuses must be distinct, 1–30 characters each, at most 50",
        ));
    }
    if let Some(h) = pool_hidden_status {
        if !statuses.iter().any(|s| s == h) {
            errs.push(FieldError::new(
                "pool_hidden_status",
                "unknown_status",
                "the status hidden from the pool must be one of the template's statuses",
            ));
        }
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs)
    }
}

fn cascade_ok(nodes: &[CascadeNode]) -> bool {
    let distinct: std::collections::BTreeSet<_> = nodes.iter().map(|n| &n.label).collect();
    distinct.len() == nodes.len()
        && nodes
            .iter()
            .all(|n| !n.label.trim().is_empty() && cascade_ok(&n.children))
}

/// Validate and normalise a customer's values against the template's fields.
/// `null` or an empty string/list means "not set". Unknown keys, wrong types,
/// options not offered and missing required fields are all reported at once.
pub fn validate_values(
    defs: &[FieldDef],
    input: &Map<String, Value>,
) -> Result<Map<String, Value>, Vec<FieldError>> {
    let mut out = Map::new();
    let mut errs = Vec::new();
    for k in input.keys() {
        if !defs.iter().any(|d| &d.key == k) {
            errs.push(FieldError::new(
                format!("fields.{k}"),
                "unknown_field",
                "the customer's template has no such field",
            ));
        }
    }
    for d in defs {
        let name = format!("fields.{}", d.key);
        let v = input.get(&d.key).filter(|v| !is_empty(v));
        let Some(v) = v else {
            if d.required {
                errs.push(FieldError::new(name, "required", "is required"));
            }
            continue;
        };
        match check_value(d, v) {
            Ok(v) => {
                out.insert(d.key.clone(), v);
            }
            Err((code, msg)) => errs.push(FieldError::new(name, code, msg)),
        }
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(errs)
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

type Check = Result<Value, (&'static str, String)>;

fn check_value(d: &FieldDef, v: &Value) -> Check {
    let text = |v: &Value| -> Result<String, (&'static str, String)> {
        match v {
            Value::String(s) => Ok(s.trim().to_string()),
            _ => Err(("not_text", "must be a string".into())),
        }
    };
    let list = |v: &Value| -> Result<Vec<String>, (&'static str, String)> {
        match v {
            Value::Array(items) => items
                .iter()
                .map(|i| match i {
                    Value::String(s) => Ok(s.trim().to_string()),
                    _ => Err(("not_a_list", "must be a list of strings".into())),
                })
                .collect(),
            _ => Err(("not_a_list", "must be a list of strings".into())),
        }
    };
    match d.kind {
        FieldKind::Text => {
            let s = text(v)?;
            if s.chars().count() > MAX_TEXT {
                return Err(("too_long", format!("must be at most {MAX_TEXT} characters")));
            }
            Ok(Value::String(s))
        }
        FieldKind::Number => match v {
            Value::Number(n) if n.as_f64().is_some_and(f64::is_finite) => Ok(v.clone()),
            _ => Err(("not_a_number", "must be a number".into())),
        },
        FieldKind::Date => {
            let s = text(v)?;
            if valid_date(&s) {
                Ok(Value::String(s))
            } else {
                Err(("invalid_date", "must be a date as YYYY-MM-DD".into()))
            }
        }
        FieldKind::Select => {
            let s = text(v)?;
            if d.options.contains(&s) {
                Ok(Value::String(s))
            } else {
                Err(("not_an_option", format!("{s} is not one of the options")))
            }
        }
        FieldKind::MultiSelect => {
            let items = list(v)?;
            let mut seen = Vec::new();
            for s in items {
                if !d.options.contains(&s) {
                    return Err(("not_an_option", format!("{s} is not one of the options")));
                }
                if !seen.contains(&s) {
                    seen.push(s);
                }
            }
            Ok(Value::from(seen))
        }
        FieldKind::Cascade => {
            let path = list(v)?;
            let mut level = &d.cascade;
            for step in &path {
                match level.iter().find(|n| &n.label == step) {
                    Some(n) => level = &n.children,
                    None => {
                        return Err((
                            "invalid_cascade",
                            format!("{} is not a path of the options", path.join(" / ")),
                        ))
                    }
                }
            }
            Ok(Value::from(path))
        }
        FieldKind::Phone => normalize_phone(&text(v)?)
            .map(Value::String)
            .ok_or(("invalid_phone", "is not a valid phone number".into())),
        FieldKind::Email => crate::Email::parse(&text(v)?)
            .map(|e| Value::String(e.as_str().to_string()))
            .map_err(|_| ("invalid_email", "is not a valid e-mail address".into())),
        FieldKind::Region => {
            let parts = list(v)?;
            if parts.len() > 3 || parts.iter().any(|p| p.is_empty() || p.chars().count() > 50) {
                return Err((
                    "invalid_region",
                    "must be 1–3 names: province, city, district".into(),
                ));
            }
            Ok(Value::from(parts))
        }
    }
}

/// `YYYY-MM-DD` naming a real day (leap years included).
pub fn valid_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok());
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    if !s[0..4].bytes().all(|c| c.is_ascii_digit())
        || !s[5..7].bytes().all(|c| c.is_ascii_digit())
        || !s[8..10].bytes().all(|c| c.is_ascii_digit())
    {
        return false;
    }
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    y >= 1900 && (1..=days).contains(&d)
}

/// The form OneID matches phone numbers in: separators dropped, a leading `+`
/// kept, and the mainland prefix `+86`/`0086` removed from an 11-digit mobile
/// number, so "+86 138-1234-5678" and "13812345678" are one customer.
/// `None` when what is left is not 5–20 digits.
pub fn normalize_phone(s: &str) -> Option<String> {
    let s = s.trim();
    let (plus, rest) = match s.strip_prefix('+') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let mut digits = String::new();
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '(' | ')' | '.' => {}
            _ => return None,
        }
    }
    let mainland = |d: &str| d.len() == 11 && d.starts_with('1');
    if plus && digits.starts_with("86") && mainland(&digits[2..]) {
        return Some(digits[2..].to_string());
    }
    if !plus && digits.starts_with("0086") && mainland(&digits[4..]) {
        return Some(digits[4..].to_string());
    }
    if !(5..=20).contains(&digits.len()) {
        return None;
    }
    Some(if plus { format!("+{digits}") } else { digits })
}

/// Hide the middle four digits of a phone number (the four before the last
/// four): `13812345678` → `138****5678`. Shorter numbers keep only their last
/// four digits visible.
pub fn mask_phone(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let digit_pos: Vec<usize> = (0..chars.len())
        .filter(|i| chars[*i].is_ascii_digit())
        .collect();
    let n = digit_pos.len();
    let hide: Vec<usize> = if n >= 8 {
        digit_pos[n - 8..n - 4].to_vec()
    } else {
        digit_pos[..n.saturating_sub(4)].to_vec()
    };
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| if hide.contains(&i) { '*' } else { *c })
        .collect()
}

/// A CSV cell's text as the value a field expects: numbers parsed, lists
/// split (`;` for multi-select, `/` for cascade and region). Anything that does
/// not parse is passed on as text, for [`validate_values`] to report.
pub fn value_from_text(d: &FieldDef, s: &str) -> Value {
    let s = s.trim();
    if s.is_empty() {
        return Value::Null;
    }
    let split = |sep: char| {
        Value::from(
            s.split(sep)
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect::<Vec<_>>(),
        )
    };
    match d.kind {
        FieldKind::Number => s
            .parse::<i64>()
            .map(Value::from)
            .ok()
            .or_else(|| {
                s.parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
            })
            .unwrap_or_else(|| Value::String(s.to_string())),
        FieldKind::MultiSelect => split(';'),
        FieldKind::Cascade | FieldKind::Region => split('/'),
        _ => Value::String(s.to_string()),
    }
}

/// The inverse of [`value_from_text`], for export.
pub fn value_to_text(d: &FieldDef, v: &Value) -> String {
    let join = |sep: &str| match v {
        Value::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str())
            .collect::<Vec<_>>()
            .join(sep),
        other => plain(other),
    };
    match d.kind {
        FieldKind::MultiSelect => join(";"),
        FieldKind::Cascade | FieldKind::Region => join("/"),
        _ => plain(v),
    }
}

fn plain(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn defs() -> Vec<FieldDef> {
        serde_json::from_value(json!([
            {"key": "age", "label": "年龄", "kind": "number"},
            {"key": "birthday", "label": "生日", "kind": "date"},
            {"key": "level", "label": "等级", "kind": "select", "options": ["VIP", "普通"], "required": true},
            {"key": "hobbies", "label": "爱好", "kind": "multi_select", "options": ["读书", "跑步"]},
            {"key": "product", "label": "产品", "kind": "cascade", "cascade": [
                {"label": "电子产品", "children": [{"label": "手机"}, {"label": "电脑"}]}]},
            {"key": "mobile", "label": "手机", "kind": "phone"},
            {"key": "mail", "label": "邮箱", "kind": "email"},
            {"key": "region", "label": "地区", "kind": "region"},
            {"key": "remark", "label": "备注", "kind": "text"}
        ]))
        .unwrap()
    }

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn good_values_are_normalised() {
        let out = validate_values(
            &defs(),
            &obj(json!({
                "age": 30, "birthday": "2000-02-29", "level": "VIP", "hobbies": ["读书", "读书"],
                "product": ["电子产品", "手机"], "mobile": "+86 138-1234-5678",
                "mail": "A@Example.com", "region": ["广东省", "深圳市"], "remark": " hi "
            })),
        )
        .unwrap();
        assert_eq!(out["mobile"], "13812345678");
        assert_eq!(out["mail"], "a@example.com");
        assert_eq!(out["hobbies"], json!(["读书"]));
        assert_eq!(out["remark"], "hi");
    }

    #[test]
    fn every_bad_value_is_reported_with_its_code() {
        let errs = validate_values(
            &defs(),
            &obj(json!({
                "age": "thirty", "birthday": "2001-02-29", "hobbies": ["游泳"],
                "product": ["电子产品", "冰箱"], "mobile": "call me", "mail": "nope",
                "region": ["a", "b", "c", "d"], "colour": "red"
            })),
        )
        .unwrap_err();
        let got: Vec<(&str, &str)> = errs.iter().map(|e| (e.field.as_str(), e.code)).collect();
        for want in [
            ("fields.colour", "unknown_field"),
            ("fields.age", "not_a_number"),
            ("fields.birthday", "invalid_date"),
            ("fields.level", "required"),
            ("fields.hobbies", "not_an_option"),
            ("fields.product", "invalid_cascade"),
            ("fields.mobile", "invalid_phone"),
            ("fields.mail", "invalid_email"),
            ("fields.region", "invalid_region"),
        ] {
            assert!(got.contains(&want), "{want:?} missing from {got:?}");
        }
    }

    #[test]
    fn templates_are_checked() {
        let bad: Vec<FieldDef> = serde_json::from_value(json!([
            {"key": "Age", "label": "x", "kind": "number"},
            {"key": "a", "label": "x", "kind": "select"},
            {"key": "a", "label": "", "kind": "text"}
        ]))
        .unwrap();
        let errs = validate_template(&bad, &["新".into()], Some("成交")).unwrap_err();
        let codes: Vec<&str> = errs.iter().map(|e| e.code).collect();
        assert_eq!(
            codes,
            [
                "invalid_key",
                "invalid_options",
                "duplicate_key",
                "invalid_label",
                "unknown_status"
            ]
        );
        assert!(validate_template(&defs(), &["新".into(), "成交".into()], Some("成交")).is_ok());
    }

    #[test]
    fn phones_normalise_and_mask() {
        assert_eq!(
            normalize_phone("138 1234 5678").as_deref(),
            Some("13812345678")
        );
        assert_eq!(
            normalize_phone("0086-13812345678").as_deref(),
            Some("13812345678")
        );
        assert_eq!(
            normalize_phone("+1 (415) 555-0100").as_deref(),
            Some("+14155550100")
        );
        assert_eq!(normalize_phone("12ab"), None);
        assert_eq!(normalize_phone("123"), None);
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("+14155550100"), "+141****0100");
        assert_eq!(mask_phone("12345"), "*2345");
    }

    #[test]
    fn csv_text_round_trips_through_values() {
        let d = defs();
        let by = |k: &str| d.iter().find(|f| f.key == k).unwrap().clone();
        assert_eq!(value_from_text(&by("age"), "42"), json!(42));
        assert_eq!(value_from_text(&by("age"), "4.5"), json!(4.5));
        assert_eq!(value_from_text(&by("age"), "x"), json!("x"));
        let p = value_from_text(&by("product"), "电子产品/手机");
        assert_eq!(p, json!(["电子产品", "手机"]));
        assert_eq!(value_to_text(&by("product"), &p), "电子产品/手机");
        let h = value_from_text(&by("hobbies"), "读书; 跑步");
        assert_eq!(value_to_text(&by("hobbies"), &h), "读书;跑步");
        assert!(valid_date("2024-02-29") && !valid_date("2023-02-29") && !valid_date("2023-13-01"));
    }
}
