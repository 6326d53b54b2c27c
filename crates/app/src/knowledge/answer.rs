//! A knowledge item's answer: text and an optional rich form (图文 card,
//! buttons, links, images — the message kinds the widget renders), with
//! per-channel variants. [`answer_for`] picks what a channel shows.

use kefu_domain::crm::FieldError;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use utoipa::ToSchema;

pub const MAX_ANSWER: usize = 20_000;
const MAX_VARIANTS: usize = 20;

/// 图文: a card with a title, description, picture and link.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Card {
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// http(s) URL of the picture.
    #[serde(default)]
    pub image_url: String,
    /// http(s) URL opened by the card.
    #[serde(default)]
    pub url: String,
}

/// A button the visitor can press; `value` is sent back (the label when absent).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Button {
    pub label: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Link {
    #[serde(default)]
    pub title: String,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Image {
    pub url: String,
    #[serde(default)]
    pub name: String,
}

/// The rich parts of an answer; any combination.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Rich {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<Card>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<Button>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    /// A single link as a bare URL; stored as `links: [{url}]`.
    #[serde(default, skip_serializing)]
    pub link: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<Image>,
}

impl Rich {
    pub fn is_empty(&self) -> bool {
        self.card.is_none()
            && self.buttons.is_empty()
            && self.links.is_empty()
            && self.link.is_none()
            && self.images.is_empty()
    }
}

/// What one channel shows: text and/or a rich form.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    #[serde(default)]
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rich: Option<Rich>,
}

/// An item's answer: the default (`text`, `rich`) and variants keyed by a
/// channel id or a channel kind (`web`, `wechat`, `app`, …).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    #[serde(default)]
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rich: Option<Rich>,
    /// Channel id or channel kind → what that channel shows instead.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub variants: BTreeMap<String, AnswerBody>,
}

impl Answer {
    pub fn text(text: impl Into<String>) -> Self {
        Answer {
            text: text.into(),
            ..Answer::default()
        }
    }

    /// The default answer as a body.
    pub fn default_body(&self) -> AnswerBody {
        AnswerBody {
            text: self.text.clone(),
            rich: self.rich.clone(),
        }
    }

    /// Read a stored answer (or a bare string, the JSONL short form).
    pub fn from_value(v: &Value) -> Result<Answer, String> {
        match v {
            Value::String(s) => Ok(Answer::text(s.clone())),
            other => serde_json::from_value(other.clone()).map_err(|e| e.to_string()),
        }
    }

    /// The plain-text form when there is nothing else (for CSV/JSONL short form).
    pub fn as_plain_text(&self) -> Option<&str> {
        (self.rich.is_none() && self.variants.is_empty()).then_some(self.text.as_str())
    }
}

/// The channel a visitor writes from.
#[derive(Debug, Clone, Copy)]
pub struct ChannelRef<'a> {
    pub id: &'a str,
    pub kind: &'a str,
}

/// The answer a channel shows: the variant for its id, else for its kind,
/// else the default answer.
pub fn answer_for(answer: &Answer, channel: Option<ChannelRef<'_>>) -> AnswerBody {
    channel
        .and_then(|c| {
            answer
                .variants
                .get(c.id)
                .or_else(|| answer.variants.get(c.kind))
        })
        .cloned()
        .unwrap_or_else(|| answer.default_body())
}

/// [`answer_for`] over a stored item's answer JSON (an unreadable answer
/// gives an empty body rather than an error: the bot then says nothing).
pub fn answer_for_item(
    item: &kefu_store::knowledge::KnowledgeItem,
    channel: Option<ChannelRef<'_>>,
) -> AnswerBody {
    Answer::from_value(&item.answer)
        .map(|a| answer_for(&a, channel))
        .unwrap_or_default()
}

impl AnswerBody {
    /// The chat message bodies (kinds the widget renders, `app/chat/body.rs`)
    /// that show this answer, in order: text (with buttons, when any, as one
    /// `buttons` message), the card, each link as a card, each image.
    pub fn messages(&self) -> Vec<Value> {
        let mut out = Vec::new();
        let rich = self.rich.clone().unwrap_or_default();
        if !rich.buttons.is_empty() {
            let buttons: Vec<Value> = rich
                .buttons
                .iter()
                .map(|b| json!({"label": b.label, "value": b.value.clone().unwrap_or_else(|| b.label.clone())}))
                .collect();
            out.push(json!({"kind": "buttons", "text": self.text, "buttons": buttons}));
        } else if !self.text.trim().is_empty() {
            out.push(json!({"kind": "text", "text": self.text}));
        }
        if let Some(c) = &rich.card {
            out.push(json!({"kind": "card", "title": c.title, "description": c.description, "image_url": c.image_url, "url": c.url}));
        }
        let single = rich.link.as_ref().map(|u| Link {
            title: String::new(),
            url: u.clone(),
        });
        for l in rich.links.iter().chain(single.iter()) {
            let title = if l.title.is_empty() { &l.url } else { &l.title };
            out.push(json!({"kind": "card", "title": title, "description": "", "image_url": "", "url": l.url}));
        }
        for i in &rich.images {
            out.push(json!({"kind": "image", "url": i.url, "name": i.name}));
        }
        out
    }
}

fn url_ok(u: &str) -> bool {
    let l = u.trim().to_ascii_lowercase();
    (l.starts_with("https://") || l.starts_with("http://"))
        && l.len() > 8
        && !u.contains(['"', '<', '>', ' '])
}

struct Check<'a> {
    errs: &'a mut Vec<FieldError>,
}

impl Check<'_> {
    fn text(&mut self, field: String, s: &str, max: usize, required: bool) -> String {
        let t = s.trim().to_string();
        if required && t.is_empty() {
            self.errs
                .push(FieldError::new(field, "required", "must not be empty"));
        } else if t.chars().count() > max {
            self.errs.push(FieldError::new(
                field,
                "too_long",
                format!("must be at most {max} characters"),
            ));
        }
        t
    }

    fn url(&mut self, field: String, s: &str, required: bool) -> String {
        let t = s.trim().to_string();
        if t.is_empty() {
            if required {
                self.errs
                    .push(FieldError::new(field, "required", "must not be empty"));
            }
        } else if !url_ok(&t) || t.len() > 2000 {
            self.errs.push(FieldError::new(
                field,
                "invalid_url",
                "must be an http(s) URL",
            ));
        }
        t
    }

    fn rich(&mut self, at: &str, r: &Rich) -> Option<Rich> {
        let mut out = Rich::default();
        if let Some(c) = &r.card {
            out.card = Some(Card {
                title: self.text(format!("{at}.card.title"), &c.title, 200, true),
                description: self.text(
                    format!("{at}.card.description"),
                    &c.description,
                    2000,
                    false,
                ),
                image_url: self.url(format!("{at}.card.image_url"), &c.image_url, false),
                url: self.url(format!("{at}.card.url"), &c.url, false),
            });
        }
        if r.buttons.len() > 10 {
            self.errs.push(FieldError::new(
                format!("{at}.buttons"),
                "too_many",
                "at most 10 buttons",
            ));
        }
        for (i, b) in r.buttons.iter().enumerate() {
            let label = self.text(format!("{at}.buttons.{i}.label"), &b.label, 40, true);
            let value = b
                .value
                .as_deref()
                .map(|v| self.text(format!("{at}.buttons.{i}.value"), v, 200, false))
                .filter(|v| !v.is_empty() && *v != label);
            out.buttons.push(Button { label, value });
        }
        let single = r.link.as_ref().map(|u| Link {
            title: String::new(),
            url: u.clone(),
        });
        let links: Vec<&Link> = r.links.iter().chain(single.iter()).collect();
        if links.len() > 10 {
            self.errs.push(FieldError::new(
                format!("{at}.links"),
                "too_many",
                "at most 10 links",
            ));
        }
        for (i, l) in links.into_iter().enumerate() {
            out.links.push(Link {
                title: self.text(format!("{at}.links.{i}.title"), &l.title, 200, false),
                url: self.url(format!("{at}.links.{i}.url"), &l.url, true),
            });
        }
        if r.images.len() > 9 {
            self.errs.push(FieldError::new(
                format!("{at}.images"),
                "too_many",
                "at most 9 images",
            ));
        }
        for (i, im) in r.images.iter().enumerate() {
            out.images.push(Image {
                url: self.url(format!("{at}.images.{i}.url"), &im.url, true),
                name: self.text(format!("{at}.images.{i}.name"), &im.name, 200, false),
            });
        }
        (!out.is_empty()).then_some(out)
    }

    fn body(&mut self, at: &str, text: &str, rich: Option<&Rich>) -> AnswerBody {
        let text = self.text(format!("{at}.text"), text, MAX_ANSWER, false);
        let rich = rich.and_then(|r| self.rich(&format!("{at}.rich"), r));
        if text.is_empty() && rich.is_none() {
            self.errs.push(FieldError::new(
                at.to_string(),
                "empty_answer",
                "needs text or a rich answer",
            ));
        }
        AnswerBody { text, rich }
    }
}

fn key_ok(k: &str) -> bool {
    kefu_domain::ChannelId::parse(k).is_some()
        || (!k.is_empty()
            && k.len() <= 40
            && k.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'))
}

/// Validate and normalise an answer (trimmed text, `link` folded into
/// `links`); every problem at once, with dotted field paths
/// (`answer.variants.wechat.rich.card.title`).
pub fn check_answer(a: &Answer) -> Result<Answer, Vec<FieldError>> {
    let mut errs = Vec::new();
    let mut c = Check { errs: &mut errs };
    let main = c.body("answer", &a.text, a.rich.as_ref());
    let mut variants = BTreeMap::new();
    if a.variants.len() > MAX_VARIANTS {
        c.errs.push(FieldError::new(
            "answer.variants",
            "too_many",
            format!("at most {MAX_VARIANTS} variants"),
        ));
    }
    for (k, v) in &a.variants {
        let key = k.trim().to_string();
        if !key_ok(&key) {
            c.errs.push(FieldError::new(
                format!("answer.variants.{key}"),
                "invalid_channel",
                "a variant is keyed by a channel id or a channel kind (a-z, 0-9, _ and -)",
            ));
            continue;
        }
        let body = c.body(&format!("answer.variants.{key}"), &v.text, v.rich.as_ref());
        variants.insert(key, body);
    }
    if errs.is_empty() {
        Ok(Answer {
            text: main.text,
            rich: main.rich,
            variants,
        })
    } else {
        Err(errs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_variants() -> Answer {
        let mut a = Answer::text("默认答案");
        a.variants.insert(
            "wechat".into(),
            AnswerBody {
                text: "微信里的答案".into(),
                rich: None,
            },
        );
        a.variants.insert(
            "0190a0b0-0000-7000-8000-000000000001".into(),
            AnswerBody {
                text: String::new(),
                rich: Some(Rich {
                    card: Some(Card {
                        title: "退货".into(),
                        ..Card::default()
                    }),
                    ..Rich::default()
                }),
            },
        );
        a
    }

    #[test]
    fn a_channel_gets_its_variant_by_id_then_kind_then_the_default() {
        let a = with_variants();
        let by_id = answer_for(
            &a,
            Some(ChannelRef {
                id: "0190a0b0-0000-7000-8000-000000000001",
                kind: "wechat",
            }),
        );
        assert_eq!(
            by_id.rich.and_then(|r| r.card).map(|c| c.title),
            Some("退货".into())
        );
        let by_kind = answer_for(
            &a,
            Some(ChannelRef {
                id: "x",
                kind: "wechat",
            }),
        );
        assert_eq!(by_kind.text, "微信里的答案");
        let other = answer_for(
            &a,
            Some(ChannelRef {
                id: "x",
                kind: "web",
            }),
        );
        assert_eq!(other.text, "默认答案");
        assert_eq!(answer_for(&a, None).text, "默认答案");
    }

    #[test]
    fn messages_use_the_widget_kinds() {
        let body = AnswerBody {
            text: "请选择".into(),
            rich: Some(Rich {
                buttons: vec![Button {
                    label: "查物流".into(),
                    value: None,
                }],
                link: Some("https://example.com/a".into()),
                images: vec![Image {
                    url: "https://example.com/i.png".into(),
                    name: String::new(),
                }],
                ..Rich::default()
            }),
        };
        let kinds: Vec<String> = body
            .messages()
            .iter()
            .map(|m| m["kind"].as_str().unwrap_or_default().to_string())
            .collect();
        assert_eq!(kinds, ["buttons", "card", "image"]);
        assert_eq!(body.messages()[0]["buttons"][0]["value"], "查物流");
    }

    #[test]
    fn bad_parts_are_reported_by_path() {
        let mut a = with_variants();
        a.rich = Some(Rich {
            card: Some(Card {
                title: " ".into(),
                url: "javascript:alert(1)".into(),
                ..Card::default()
            }),
            ..Rich::default()
        });
        a.variants.insert("Bad Key".into(), AnswerBody::default());
        a.variants.insert("app".into(), AnswerBody::default());
        let errs = check_answer(&a).err().unwrap_or_default();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"answer.rich.card.title"), "{fields:?}");
        assert!(fields.contains(&"answer.rich.card.url"), "{fields:?}");
        assert!(fields.contains(&"answer.variants.Bad Key"), "{fields:?}");
        assert!(fields.contains(&"answer.variants.app"), "{fields:?}");
    }

    #[test]
    fn a_single_link_is_stored_as_links() {
        let a = Answer {
            text: "可以".into(),
            rich: Some(Rich {
                link: Some("https://example.com".into()),
                ..Rich::default()
            }),
            variants: BTreeMap::new(),
        };
        let ok = check_answer(&a).unwrap_or_default();
        let rich = ok.rich.unwrap_or_default();
        assert_eq!(rich.links.len(), 1);
        assert!(rich.link.is_none());
    }
}
