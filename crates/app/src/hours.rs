//! Business hours of a channel as admins write them, turned into the routing
//! crate's calendar (one implementation of weekdays, holidays and make-up
//! working days for chat now and SLA timing later).

use kefu_domain::ValidationError;
use kefu_routing::calendar::{Calendar, Date, Weekday, Window};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeeklyHours {
    /// ISO weekdays, 1 = Monday … 7 = Sunday.
    pub days: Vec<u8>,
    /// "09:00"
    pub from: String,
    /// "18:00" ("24:00" allowed)
    pub to: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpecialDay {
    /// "2026-10-10"
    pub date: String,
    pub from: String,
    pub to: String,
}

/// Opening hours; outside them visitors are offered to leave a message.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BusinessHours {
    /// Minutes east of UTC: 480 for China Standard Time.
    pub utc_offset_minutes: i32,
    pub weekly: Vec<WeeklyHours>,
    /// Closed all day (法定节假日), "YYYY-MM-DD".
    #[serde(default)]
    pub holidays: Vec<String>,
    /// Open on these dates whatever the weekday (调休).
    #[serde(default)]
    pub workdays: Vec<SpecialDay>,
}

fn date(s: &str) -> Result<Date, ValidationError> {
    let bad = || {
        ValidationError::new(
            "business_hours",
            format!("{s:?} is not a date like 2026-10-01"),
        )
    };
    let mut it = s.splitn(3, '-');
    let (y, m, d) = (
        it.next().ok_or_else(bad)?,
        it.next().ok_or_else(bad)?,
        it.next().ok_or_else(bad)?,
    );
    Date::new(
        y.parse().map_err(|_| bad())?,
        m.parse().map_err(|_| bad())?,
        d.parse().map_err(|_| bad())?,
    )
    .ok_or_else(bad)
}

fn window(from: &str, to: &str) -> Result<Window, ValidationError> {
    Window::parse(&format!("{from}-{to}")).ok_or_else(|| {
        ValidationError::new(
            "business_hours",
            format!("{from}–{to} is not a time range like 09:00–18:00"),
        )
    })
}

impl BusinessHours {
    pub fn calendar(&self) -> Result<Calendar, ValidationError> {
        if !(-720..=840).contains(&self.utc_offset_minutes) {
            return Err(ValidationError::new(
                "business_hours",
                "utc_offset_minutes must be between -720 and 840",
            ));
        }
        let mut c = Calendar::new(self.utc_offset_minutes);
        for w in &self.weekly {
            let mut days = Vec::new();
            for d in &w.days {
                let i = (*d as usize)
                    .checked_sub(1)
                    .filter(|i| *i < 7)
                    .ok_or_else(|| {
                        ValidationError::new("business_hours", "days are 1 (Monday) to 7 (Sunday)")
                    })?;
                days.push(Weekday::ALL[i]);
            }
            c = c.with_weekdays(&days, window(&w.from, &w.to)?);
        }
        for h in &self.holidays {
            c = c.with_holiday(date(h)?);
        }
        for s in &self.workdays {
            c = c.with_special_day(date(&s.date)?, vec![window(&s.from, &s.to)?]);
        }
        Ok(c)
    }
}

/// The stored JSON (`null` = always open) as a calendar; a stored value that no
/// longer parses counts as always open rather than locking visitors out.
pub fn calendar_of(stored: &serde_json::Value) -> Option<Calendar> {
    if stored.is_null() {
        return None;
    }
    serde_json::from_value::<BusinessHours>(stored.clone())
        .ok()
        .and_then(|h| h.calendar().ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kefu_routing::calendar::days_from_civil;

    #[test]
    fn weekday_hours_holidays_and_workdays() {
        let h = BusinessHours {
            utc_offset_minutes: 480,
            weekly: vec![WeeklyHours {
                days: vec![1, 2, 3, 4, 5],
                from: "09:00".into(),
                to: "18:00".into(),
            }],
            holidays: vec!["2026-10-01".into()],
            workdays: vec![SpecialDay {
                date: "2026-10-10".into(),
                from: "09:00".into(),
                to: "18:00".into(),
            }],
        };
        let c = h.calendar().unwrap();
        let at =
            |y, m, d, hour: i64| days_from_civil(y, m, d) * 86_400_000 + (hour - 8) * 3_600_000;
        assert!(c.is_open(at(2026, 11, 23, 10)), "Monday 10:00");
        assert!(!c.is_open(at(2026, 11, 23, 19)), "Monday 19:00");
        assert!(!c.is_open(at(2026, 11, 21, 10)), "Saturday");
        assert!(!c.is_open(at(2026, 10, 1, 10)), "National Day is a holiday");
        assert!(c.is_open(at(2026, 10, 10, 10)), "a make-up Saturday");
        let bad = BusinessHours {
            weekly: vec![WeeklyHours {
                days: vec![8],
                from: "09:00".into(),
                to: "18:00".into(),
            }],
            ..h.clone()
        };
        assert!(bad.calendar().is_err());
        let bad = BusinessHours {
            holidays: vec!["2026-02-30".into()],
            ..h
        };
        assert!(bad.calendar().is_err());
    }
}
