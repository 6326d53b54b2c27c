//! Which skill group an item goes to, before any agent is chosen: rules on time
//! of day (a calendar saying when the rule applies — nights, weekends,
//! holidays), caller region, tags and media, tried in order; the first match
//! wins, otherwise the entry point's default group.

use crate::calendar::Calendar;
use crate::model::{GroupId, Media, Millis};

#[derive(Debug, Clone, PartialEq)]
pub struct RoutingRule {
    pub name: String,
    /// The rule applies only while this calendar is open (e.g. 18:00–09:00
    /// for a night team). `None` = any time.
    pub when: Option<Calendar>,
    /// Region codes or prefixes (`"CN-44"` matches `"CN-44-03"`); empty = any.
    pub regions: Vec<String>,
    /// The item carries at least one of these tags; empty = any.
    pub tags_any: Vec<String>,
    pub media: Option<Media>,
    pub group: GroupId,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RuleSet {
    pub rules: Vec<RoutingRule>,
    pub default_group: GroupId,
}

/// The group chosen and, when a rule chose it, which one (for the explanation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupChoice {
    pub group: GroupId,
    pub rule: Option<usize>,
}

impl RoutingRule {
    pub fn matches(
        &self,
        now: Millis,
        media: Media,
        region: Option<&str>,
        tags: &[String],
    ) -> bool {
        let time_ok = self.when.as_ref().is_none_or(|c| c.is_open(now));
        let media_ok = self.media.is_none_or(|m| m == media);
        let region_ok = self.regions.is_empty()
            || region.is_some_and(|r| {
                self.regions
                    .iter()
                    .any(|p| r == p || (r.starts_with(p.as_str()) && r[p.len()..].starts_with('-')))
            });
        let tags_ok = self.tags_any.is_empty() || self.tags_any.iter().any(|t| tags.contains(t));
        time_ok && media_ok && region_ok && tags_ok
    }
}

impl RuleSet {
    pub fn pick(
        &self,
        now: Millis,
        media: Media,
        region: Option<&str>,
        tags: &[String],
    ) -> GroupChoice {
        match self
            .rules
            .iter()
            .position(|r| r.matches(now, media, region, tags))
        {
            Some(i) => GroupChoice {
                group: self.rules[i].group,
                rule: Some(i),
            },
            None => GroupChoice {
                group: self.default_group,
                rule: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::{days_from_civil, Weekday, Window};

    fn rule(name: &str, group: u32) -> RoutingRule {
        RoutingRule {
            name: name.into(),
            when: None,
            regions: vec![],
            tags_any: vec![],
            media: None,
            group: GroupId(group),
        }
    }

    /// 2026-11-23 is a Monday; `h` is Beijing time (UTC+8).
    fn monday_at(h: i64) -> Millis {
        days_from_civil(2026, 11, 23) * 86_400_000 + (h - 8) * 3_600_000
    }

    #[test]
    fn first_matching_rule_wins_else_default() {
        let all_days = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ];
        let night = Calendar::new(480)
            .with_weekdays(&all_days, Window::parse("00:00-09:00").unwrap())
            .with_weekdays(&all_days, Window::parse("18:00-24:00").unwrap());
        let set = RuleSet {
            rules: vec![
                RoutingRule {
                    tags_any: vec!["complaint".into()],
                    ..rule("complaints to the green channel", 9)
                },
                RoutingRule {
                    when: Some(night),
                    ..rule("night team", 7)
                },
                RoutingRule {
                    regions: vec!["CN-44".into()],
                    media: Some(Media::Call),
                    ..rule("Guangdong calls (Cantonese)", 5)
                },
            ],
            default_group: GroupId(1),
        };
        let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            set.pick(monday_at(10), Media::Chat, None, &[]),
            GroupChoice {
                group: GroupId(1),
                rule: None
            }
        );
        assert_eq!(
            set.pick(monday_at(22), Media::Chat, None, &[]).group,
            GroupId(7)
        );
        assert_eq!(
            set.pick(monday_at(8), Media::Chat, None, &[]).group,
            GroupId(7)
        );
        assert_eq!(
            set.pick(monday_at(10), Media::Call, Some("CN-44-03"), &[])
                .rule,
            Some(2)
        );
        assert_eq!(
            set.pick(monday_at(10), Media::Call, Some("CN-44"), &[])
                .group,
            GroupId(5)
        );
        assert_eq!(
            set.pick(monday_at(10), Media::Call, Some("CN-440"), &[])
                .group,
            GroupId(1),
            "prefix stops at a dash"
        );
        assert_eq!(
            set.pick(monday_at(10), Media::Chat, Some("CN-44"), &[])
                .group,
            GroupId(1),
            "that rule is for calls"
        );
        assert_eq!(
            set.pick(
                monday_at(22),
                Media::Chat,
                None,
                &tags(&["vip", "complaint"])
            )
            .group,
            GroupId(9),
            "order decides"
        );
    }
}
