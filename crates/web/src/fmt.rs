//! Formatting for display. Times are stored as Unix milliseconds; pages show them
//! in UTC with an ISO `datetime` attribute so `app.js` can turn them into the
//! reader's local time (the server does not know the reader's time zone).

/// A moment ready for a `<time datetime="iso">text</time>` element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct When {
    pub iso: String,
    pub text: String,
}

impl When {
    pub fn from_ms(ms: i64) -> When {
        let secs = ms.div_euclid(1000);
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let (hh, mm, ss) = (rem / 3600, (rem % 3600) / 60, rem % 60);
        When {
            iso: format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}Z"),
            text: format!("{y:04}-{m:02}-{d:02} {hh:02}:{mm:02} UTC"),
        }
    }

    pub fn opt(ms: Option<i64>) -> Option<When> {
        ms.map(When::from_ms)
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// algorithm), so no date crate is needed for one conversion.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Pretty JSON for the audit log's before/after columns.
pub fn json_pretty(v: &Option<serde_json::Value>) -> String {
    match v {
        None => String::new(),
        Some(v) => serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(When::from_ms(0).iso, "1970-01-01T00:00:00Z");
        // 2024-02-29 12:34:56 UTC, a leap day.
        let w = When::from_ms(1_709_210_096_000);
        assert_eq!(w.iso, "2024-02-29T12:34:56Z");
        assert_eq!(w.text, "2024-02-29 12:34 UTC");
        assert_eq!(When::from_ms(-1000).iso, "1969-12-31T23:59:59Z");
    }
}
