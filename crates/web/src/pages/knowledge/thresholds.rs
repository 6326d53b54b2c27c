//! `/knowledge/thresholds` (机器人阈值): the confidences at which the bot answers, offers
//! "did you mean" choices, or admits no match — the tenant's own setting and each channel's
//! override, with the defaults shown. Needs `knowledge.manage` (the app checks again).
//! A value out of range or an answer threshold not above its suggest threshold is shown
//! next to its input.

use super::form_error;
use crate::i18n::Lang;
use crate::render::{page, Chrome, FormError, Nav, Page};
use crate::session::{Fields, Flash, Viewer};
use askama::Template;
use axum::extract::{Path, State};
use kefu_app::bot::{PathThresholds, ThresholdSet};
use kefu_app::{App, AppError};
use kefu_domain::crm::FieldError;
use kefu_domain::Permission;

macro_rules! th_strings {
    ($($key:ident: $zh:expr, $en:expr;)*) => {
        pub struct ThTr { $(pub $key: &'static str,)* }
        const ZH: ThTr = ThTr { $($key: $zh,)* };
        const EN: ThTr = ThTr { $($key: $en,)* };
    };
}

th_strings! {
    title: "机器人阈值", "Bot thresholds";
    hint: "置信度达到「直接回答」阈值时机器人直接回答；达到「推荐」阈值时给出「您是不是想问」选项；低于推荐阈值则说明没有找到答案并提供转人工。保存后下一个问题即按新阈值判断。", "At or above the answer threshold the bot answers; at or above the suggest threshold it offers \"did you mean\" choices; below that it says it found nothing and offers a human. Saved values decide the very next question.";
    lexical: "关键词匹配（无语义模型时）", "Lexical matching (without the embedding model)";
    semantic: "语义匹配（使用语义模型时）", "Semantic matching (with the embedding model)";
    answer: "直接回答阈值", "Answer threshold";
    suggest: "推荐阈值（您是不是想问）", "Suggest threshold (did you mean)";
    tenant: "全部渠道", "All channels";
    tenant_hint: "未单独设置的渠道使用这里的阈值。", "Channels without their own setting use these.";
    defaults: "默认值", "Defaults";
    using_defaults: "当前使用默认值。", "Using the defaults.";
    reset: "恢复默认值", "Reset to defaults";
    channels: "按渠道设置", "Per channel";
    channel: "渠道", "Channel";
    source: "来源", "Source";
    own: "本渠道设置", "This channel's own";
    inherited: "沿用全部渠道", "As all channels";
    clear: "清除渠道设置", "Clear the channel's setting";
    no_channels: "还没有渠道。", "No channels yet.";
    back: "返回知识库", "Back to the knowledge base";
    not_a_number: "请输入 0 到 1 之间的数字", "enter a number between 0 and 1";
    out_of_range: "须在 0 到 1 之间", "must be between 0 and 1";
    not_above: "须大于推荐阈值", "must be greater than the suggest threshold";
    lexical_short: "关键词", "Lexical";
    semantic_short: "语义", "Semantic";
}

fn th_tr(lang: Lang) -> &'static ThTr {
    match lang {
        Lang::Zh => &ZH,
        Lang::En => &EN,
    }
}

const FIELDS: [&str; 4] = [
    "lexical.answer",
    "lexical.suggest",
    "semantic.answer",
    "semantic.suggest",
];

/// The four inputs of a form, as typed or as saved, with a message per input.
#[derive(Clone, Default)]
pub struct ThForm {
    pub values: [String; 4],
    pub errors: [String; 4],
}

impl ThForm {
    fn of(s: &ThresholdSet) -> ThForm {
        let v = |x: f64| format!("{}", (x * 1000.0).round() / 1000.0);
        ThForm {
            values: [
                v(s.lexical.answer),
                v(s.lexical.suggest),
                v(s.semantic.answer),
                v(s.semantic.suggest),
            ],
            errors: Default::default(),
        }
    }

    fn typed(f: &Fields) -> ThForm {
        ThForm {
            values: FIELDS.map(|k| f.get(k).trim().to_string()),
            errors: Default::default(),
        }
    }

    /// The set typed, or the form with a message at each input that is not a number.
    fn parse(mut self, k: &ThTr) -> Result<ThresholdSet, Box<ThForm>> {
        let mut n = [0.0f64; 4];
        let mut ok = true;
        for (i, slot) in n.iter_mut().enumerate() {
            match self.values[i].replace('，', ".").parse::<f64>() {
                Ok(x) if x.is_finite() => *slot = x,
                _ => {
                    ok = false;
                    self.errors[i] = k.not_a_number.to_string();
                }
            }
        }
        if !ok {
            return Err(Box::new(self));
        }
        Ok(ThresholdSet {
            lexical: PathThresholds {
                answer: n[0],
                suggest: n[1],
            },
            semantic: PathThresholds {
                answer: n[2],
                suggest: n[3],
            },
        })
    }

    /// The app's field errors, each at its input in the reader's language.
    fn with_errors(mut self, errs: &[FieldError], k: &ThTr) -> ThForm {
        for e in errs {
            if let Some(i) = FIELDS.iter().position(|f| *f == e.field) {
                self.errors[i] = match e.code {
                    "out_of_range" => k.out_of_range,
                    "not_above_suggest" => k.not_above,
                    _ => e.message.as_str(),
                }
                .to_string();
            }
        }
        self
    }

    /// The four inputs to render, labelled in the reader's language.
    pub fn inputs(&self, k: &ThTr) -> Vec<ThInput> {
        let labels = [
            (k.lexical, k.answer),
            (k.lexical, k.suggest),
            (k.semantic, k.answer),
            (k.semantic, k.suggest),
        ];
        (0..4)
            .map(|i| ThInput {
                name: FIELDS[i],
                id: FIELDS[i].replace('.', "-"),
                group: labels[i].0,
                label: labels[i].1,
                value: self.values[i].clone(),
                error: self.errors[i].clone(),
            })
            .collect()
    }
}

/// One input of a thresholds form.
pub struct ThInput {
    pub name: &'static str,
    pub id: String,
    pub group: &'static str,
    pub label: &'static str,
    pub value: String,
    pub error: String,
}

pub struct ChannelRow {
    pub id: String,
    pub name: String,
    pub own: bool,
    pub summary: String,
    pub form: ThForm,
    pub open: bool,
}

#[derive(Template)]
#[template(path = "knowledge_thresholds.html")]
struct ThresholdsTpl {
    c: Chrome,
    k: &'static ThTr,
    tenant: ThForm,
    tenant_saved: bool,
    defaults: String,
    channels: Vec<ChannelRow>,
    err: FormError,
}

fn summary(s: &ThresholdSet, k: &ThTr) -> String {
    format!(
        "{} {} / {} · {} {} / {}",
        k.lexical_short,
        s.lexical.answer,
        s.lexical.suggest,
        k.semantic_short,
        s.semantic.answer,
        s.semantic.suggest
    )
}

/// `form` is "tenant" or a channel id; `typed` replaces that form's values.
async fn thresholds_page(
    app: &App,
    v: &Viewer,
    form: &str,
    typed: Option<ThForm>,
    err: FormError,
) -> Page {
    v.require(Permission::KnowledgeManage)?;
    let k = th_tr(v.lang);
    let all = app.bot_thresholds(&v.p).await.map_err(|e| v.fail(e))?;
    let chans = app.list_channels(&v.p).await.map_err(|e| v.fail(e))?;
    let c = Chrome::load(app, v, Nav::Knowledge, k.title).await?;
    let status = if typed.is_some() && err.status == 0 {
        422
    } else {
        err.status
    };
    let mut typed = typed;
    let mut take = |id: &str| {
        if id == form {
            typed.take()
        } else {
            None
        }
    };
    let tenant = take("tenant").unwrap_or_else(|| ThForm::of(&all.effective));
    let channels = chans
        .into_iter()
        .map(|ch| {
            let saved = all
                .channels
                .iter()
                .find(|s| s.channel_id.as_deref() == Some(ch.id.as_str()));
            let set = saved.map_or(all.effective, |s| ThresholdSet {
                lexical: s.lexical,
                semantic: s.semantic,
            });
            let mine = take(&ch.id);
            ChannelRow {
                open: mine.is_some() || err.is_for(&ch.id),
                form: mine.unwrap_or_else(|| ThForm::of(&set)),
                own: saved.is_some(),
                summary: summary(&set, k),
                id: ch.id,
                name: ch.name,
            }
        })
        .collect();
    let t = ThresholdsTpl {
        c,
        k,
        tenant,
        tenant_saved: all.tenant.is_some(),
        defaults: summary(&all.defaults, k),
        channels,
        err: FormError { status, ..err },
    };
    Ok(page(v, t.err.status(), &t))
}

/// `GET /knowledge/thresholds`
pub async fn index(State(app): State<App>, v: Viewer) -> Page {
    thresholds_page(&app, &v, "", None, FormError::none()).await
}

async fn save(app: &App, v: &Viewer, form: &str, channel: Option<&str>, f: &Fields) -> Page {
    v.check_csrf(app, f)?;
    let k = th_tr(v.lang);
    let typed = ThForm::typed(f);
    let set = match typed.clone().parse(k) {
        Ok(s) => s,
        Err(shown) => return thresholds_page(app, v, form, Some(*shown), FormError::none()).await,
    };
    match app.set_bot_thresholds(&v.p, channel, set).await {
        Ok(_) => Ok(v.done("/knowledge/thresholds", Flash::Saved)),
        Err(AppError::InvalidFields(errs)) => {
            let shown = typed.with_errors(&errs, k);
            thresholds_page(app, v, form, Some(shown), FormError::none()).await
        }
        Err(e) => {
            let err = form_error(v, form, e, &FIELDS)?;
            thresholds_page(app, v, form, Some(typed), err).await
        }
    }
}

/// `POST /knowledge/thresholds`: the tenant's setting.
pub async fn save_tenant(State(app): State<App>, v: Viewer, f: Fields) -> Page {
    save(&app, &v, "tenant", None, &f).await
}

/// `POST /knowledge/thresholds/channels/{id}`
pub async fn save_channel(
    State(app): State<App>,
    v: Viewer,
    Path(id): Path<String>,
    f: Fields,
) -> Page {
    save(&app, &v, &id, Some(&id), &f).await
}

async fn clear(app: &App, v: &Viewer, form: &str, channel: Option<&str>, f: &Fields) -> Page {
    v.check_csrf(app, f)?;
    match app.clear_bot_thresholds(&v.p, channel).await {
        Ok(()) => Ok(v.done("/knowledge/thresholds", Flash::Saved)),
        Err(e) => {
            let err = form_error(v, form, e, &[])?;
            thresholds_page(app, v, form, None, err).await
        }
    }
}

/// `POST /knowledge/thresholds/delete`: back to the defaults.
pub async fn clear_tenant(State(app): State<App>, v: Viewer, f: Fields) -> Page {
    clear(&app, &v, "tenant", None, &f).await
}

/// `POST /knowledge/thresholds/channels/{id}/delete`: back to the tenant's setting.
pub async fn clear_channel(
    State(app): State<App>,
    v: Viewer,
    Path(id): Path<String>,
    f: Fields,
) -> Page {
    clear(&app, &v, &id, Some(&id), &f).await
}
