//! Message bodies: parse what a client sent into what we store, refusing what
//! the sender may not send (visitors cannot send button lists or cards).

use crate::{AppError, AppResult};
use kefu_domain::ValidationError;
use serde_json::{json, Value};

pub const MAX_TEXT: usize = 5_000;

fn text_field(v: &Value, field: &'static str, max: usize) -> AppResult<String> {
    let s = v
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_string();
    if s.is_empty() {
        return Err(ValidationError::new(field, "must not be empty").into());
    }
    if s.chars().count() > max {
        return Err(AppError::Validation(ValidationError::new(
            field,
            format!("must be at most {max} characters"),
        )));
    }
    Ok(s)
}

/// `from_visitor`: the widget may send text, images, files and a button answer;
/// agents may also send button lists and cards.
pub fn parse(v: &Value, from_visitor: bool) -> AppResult<Value> {
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or("");
    match kind {
        "text" => Ok(json!({"kind": "text", "text": text_field(v, "text", MAX_TEXT)?})),
        "image" | "file" => {
            let id = v.get("attachment_id").and_then(Value::as_str).unwrap_or("");
            if kefu_domain::AttachmentId::parse(id).is_none() {
                return Err(
                    ValidationError::new("attachment_id", "is not an uploaded attachment").into(),
                );
            }
            Ok(json!({
                "kind": kind,
                "attachment_id": id,
                "name": v.get("name").and_then(Value::as_str).unwrap_or(""),
                "size": v.get("size").and_then(Value::as_i64).unwrap_or(0),
                "url": v.get("url").and_then(Value::as_str).unwrap_or(""),
            }))
        }
        "button" => Ok(json!({
            "kind": "button",
            "value": text_field(v, "value", 200)?,
            "label": v.get("label").and_then(Value::as_str).unwrap_or(""),
        })),
        "buttons" if !from_visitor => {
            let buttons = v
                .get("buttons")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if buttons.is_empty() || buttons.len() > 10 {
                return Err(ValidationError::new("buttons", "must have 1–10 buttons").into());
            }
            Ok(
                json!({"kind": "buttons", "text": v.get("text").and_then(Value::as_str).unwrap_or(""), "buttons": buttons}),
            )
        }
        "card" if !from_visitor => Ok(json!({
            "kind": "card",
            "title": text_field(v, "title", 200)?,
            "description": v.get("description").and_then(Value::as_str).unwrap_or(""),
            "image_url": v.get("image_url").and_then(Value::as_str).unwrap_or(""),
            "url": v.get("url").and_then(Value::as_str).unwrap_or(""),
        })),
        _ => Err(
            ValidationError::new("kind", format!("cannot send a message of kind {kind:?}")).into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_trimmed_and_bounded() {
        assert_eq!(
            parse(&json!({"kind": "text", "text": "  你好 😀 "}), true).unwrap()["text"],
            "你好 😀"
        );
        assert!(parse(&json!({"kind": "text", "text": "   "}), true).is_err());
        assert!(parse(
            &json!({"kind": "text", "text": "字".repeat(MAX_TEXT + 1)}),
            true
        )
        .is_err());
    }

    #[test]
    fn visitors_cannot_send_cards_but_agents_can() {
        let card = json!({"kind": "card", "title": "新品", "url": "https://example.cn"});
        assert!(parse(&card, true).is_err());
        assert_eq!(parse(&card, false).unwrap()["title"], "新品");
        assert!(parse(&json!({"kind": "script"}), false).is_err());
    }
}
