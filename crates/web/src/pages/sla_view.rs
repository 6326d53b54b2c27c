//! A ticket's SLA as the ticket pages show it: one line per target with its
//! state, due time, and business time left (or how long overdue). A page
//! either `{% include "sla_panel.html" %}`s it (with `sla: Vec<SlaLine>` and
//! `c` holding `tr` in scope) or puts [`panel_html`]'s output in place.

use crate::fmt::When;
use crate::i18n::{Lang, Tr};
use askama::Template;
use kefu_app::sla::clock::TicketSla;

pub struct PanelCtx {
    pub tr: &'static Tr,
}

#[derive(Template)]
#[template(path = "sla_panel.html")]
struct PanelTpl {
    c: PanelCtx,
    sla: Vec<SlaLine>,
}

/// The SLA panel of a ticket page, rendered (escaped by the template).
pub fn panel_html(lang: Lang, sla: &TicketSla) -> String {
    let t = PanelTpl {
        c: PanelCtx { tr: lang.tr() },
        sla: sla_lines(lang, sla),
    };
    t.render().unwrap_or_default()
}

pub struct SlaLine {
    /// `first_response` or `resolution`.
    pub target: String,
    pub label: &'static str,
    /// running, warning, breached, met, met_late — also the CSS modifier.
    pub state: String,
    pub state_text: &'static str,
    pub due: When,
    /// "剩余 2 小时 30 分" / "due in 2 h 30 min", "已超时 …" / "overdue by …", or "".
    pub remaining: String,
}

/// `3 h 05 min`, `45 min`, `2 d 3 h` in either language.
pub fn duration(lang: Lang, ms: i64) -> String {
    let mins = ms.max(0) / 60_000;
    let (d, h, m) = (mins / 1440, (mins % 1440) / 60, mins % 60);
    let zh = lang.is_zh();
    match (d, h) {
        (0, 0) => format!("{m} {}", if zh { "分钟" } else { "min" }),
        (0, _) => format!(
            "{h} {} {m:02} {}",
            if zh { "小时" } else { "h" },
            if zh { "分" } else { "min" }
        ),
        _ => format!(
            "{d} {} {h} {}",
            if zh { "天" } else { "d" },
            if zh { "小时" } else { "h" }
        ),
    }
}

pub fn sla_lines(lang: Lang, sla: &TicketSla) -> Vec<SlaLine> {
    let tr = lang.tr();
    sla.timers
        .iter()
        .map(|v| {
            let state_text = match v.state.as_str() {
                "warning" => tr.sla_state_warning,
                "breached" => tr.sla_state_breached,
                "met" => tr.sla_state_met,
                "met_late" => tr.sla_state_met_late,
                _ => tr.sla_state_running,
            };
            let remaining = match (v.business_ms_left, v.overdue_ms) {
                (Some(left), _) => format!("{} {}", tr.sla_due_in, duration(lang, left)),
                (None, Some(over)) => format!("{} {}", tr.sla_overdue_by, duration(lang, over)),
                _ => String::new(),
            };
            SlaLine {
                label: if v.timer.target == kefu_store::sla::FIRST_RESPONSE {
                    tr.sla_target_first_response
                } else {
                    tr.sla_target_resolution
                },
                target: v.timer.target.clone(),
                state: v.state.clone(),
                state_text,
                due: When::from_ms(v.timer.due_at),
                remaining,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use kefu_app::sla::clock::TimerView;
    use kefu_store::sla::SlaTimer;

    #[test]
    fn the_panel_shows_state_due_and_time_left() {
        let timer = |target: &str, due_at, met_at| SlaTimer {
            id: "t".into(),
            ticket_id: "k".into(),
            target: target.into(),
            policy_id: "p".into(),
            started_at: 0,
            warn_at: None,
            due_at,
            warned_at: None,
            breached_at: None,
            met_at,
        };
        let sla = TicketSla {
            timers: vec![
                TimerView {
                    timer: timer("first_response", 3_600_000, Some(60_000)),
                    state: "met".into(),
                    business_ms_left: None,
                    overdue_ms: None,
                    utc_offset_minutes: 480,
                },
                TimerView {
                    timer: timer("resolution", 7_200_000, None),
                    state: "breached".into(),
                    business_ms_left: None,
                    overdue_ms: Some(90 * 60_000),
                    utc_offset_minutes: 480,
                },
            ],
            events: vec![],
        };
        let html = panel_html(Lang::En, &sla);
        assert!(html.contains(r#"data-state="met""#), "{html}");
        assert!(html.contains("Overdue by 1 h 30 min"), "{html}");
        assert!(html.contains("1970-01-01T02:00:00Z"), "{html}");
        assert!(panel_html(Lang::Zh, &sla).contains("已超时 1 小时 30 分"));
        let none = TicketSla {
            timers: vec![],
            events: vec![],
        };
        assert!(!panel_html(Lang::En, &none).contains("sla-panel"));
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(Lang::En, 45 * 60_000), "45 min");
        assert_eq!(duration(Lang::En, 185 * 60_000 + 59_999), "3 h 05 min");
        assert_eq!(duration(Lang::Zh, 185 * 60_000), "3 小时 05 分");
        assert_eq!(duration(Lang::En, (2 * 1440 + 3 * 60) * 60_000), "2 d 3 h");
        assert_eq!(duration(Lang::En, -5), "0 min");
    }
}
