//! Business-hours calendars (weekly windows, 法定节假日 holidays, 调休 make-up days)
//! under a fixed UTC offset: China has no DST, so minutes east of UTC are exact.
//! Routing asks "open now? / when?", tickets ask "business time elapsed? / SLA due?".
//! Pure: instants are injected Unix ms. Internally they are widened to `i128`,
//! so no `i64` input can overflow; results that do not fit `i64` become `None`.

use std::collections::{BTreeMap, BTreeSet};

const MS_PER_MIN: i128 = 60_000;
const MS_PER_DAY: i128 = 86_400_000;
const MIN_PER_DAY: u16 = 1440;
/// How far `next_open`/`next_close`/`add_open_ms` search before giving up, so
/// a calendar that never opens cannot loop forever.
const HORIZON_DAYS: i64 = 400;

/// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`). Out-of-range `m`/`d` are not rejected (use [`Date::new`]
/// for validation); the arithmetic is done in `i128` and saturates, never panics.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let (m, d) = (i128::from(m), i128::from(d));
    let y = i128::from(y) - i128::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400; // [0, 399]
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    let days = era * 146_097 + doe - 719_468;
    i64::try_from(days).unwrap_or(if days < 0 { i64::MIN } else { i64::MAX })
}

/// Inverse of [`days_from_civil`] (Hinnant's `civil_from_days`): `(year, month 1..=12, day 1..=31)`.
/// Total: |year| <= |days| / 365 + 1, so the final cast cannot truncate.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = i128::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32; // [1, 12]
    ((yoe + era * 400 + i128::from(m <= 2)) as i64, m, d)
}

/// A calendar date (proleptic Gregorian). Ordering is chronological.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: i32,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// A validated date; `None` for e.g. 2023-02-29 or month 13.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return None;
        }
        // Valid iff it survives a round trip (an overflowing day rolls over).
        let d = Date::from_days(days_from_civil(year.into(), month.into(), day.into()));
        (d == Date { year, month, day }).then_some(d)
    }

    /// Days since 1970-01-01.
    pub fn days(self) -> i64 {
        days_from_civil(self.year.into(), self.month.into(), self.day.into())
    }

    /// The date `days` after 1970-01-01. The year saturates at the `i32` range
    /// (beyond ±2 billion years, irrelevant for instants that fit in `i64` ms).
    pub fn from_days(days: i64) -> Date {
        let (y, m, d) = civil_from_days(days);
        let year = i32::try_from(y).unwrap_or(if y < 0 { i32::MIN } else { i32::MAX });
        let (month, day) = (m as u8, d as u8);
        Date { year, month, day }
    }

    pub fn weekday(self) -> Weekday {
        Weekday::from_days(self.days())
    }
}

/// Day of the week, Monday first (ISO 8601, as Chinese schedules are written).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    pub const ALL: [Weekday; 7] = {
        use Weekday::*;
        [Mon, Tue, Wed, Thu, Fri, Sat, Sun]
    };

    /// 0 for Monday ..= 6 for Sunday.
    pub fn index(self) -> usize {
        self as usize
    }

    /// Weekday of a day number; day 0 (1970-01-01) was a Thursday.
    pub fn from_days(days: i64) -> Weekday {
        Weekday::ALL[(i128::from(days) + 3).rem_euclid(7) as usize]
    }
}

/// Local wall-clock view of an instant under a fixed offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    pub date: Date,
    pub weekday: Weekday,
    /// 0..1440
    pub minute_of_day: u16,
    /// 0..86_400_000
    pub ms_of_day: u32,
}

/// Local date and time of `now_ms` at `utc_offset_minutes` east of UTC.
/// Uses Euclidean division so instants before 1970 land on the right day.
pub fn local_time(now_ms: i64, utc_offset_minutes: i32) -> LocalTime {
    let local = i128::from(now_ms) + i128::from(utc_offset_minutes) * MS_PER_MIN;
    // |local| < 2^64, so the day number fits in i64 and ms_of_day in u32.
    let days = local.div_euclid(MS_PER_DAY) as i64;
    let ms_of_day = local.rem_euclid(MS_PER_DAY) as u32;
    LocalTime {
        date: Date::from_days(days),
        weekday: Weekday::from_days(days),
        minute_of_day: (ms_of_day / 60_000) as u16,
        ms_of_day,
    }
}

/// A minute range `[start, end)` within a day, `0 <= start < end <= 1440`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start_min: u16,
    pub end_min: u16,
}

impl Window {
    pub const FULL_DAY: Window = Window::raw(0, MIN_PER_DAY);

    pub fn new(start_min: u16, end_min: u16) -> Option<Window> {
        Some(Window::raw(start_min, end_min)).filter(|w| w.is_valid())
    }

    /// Parses `"09:00-18:00"`; `"24:00"` is accepted as an end (open until midnight).
    /// Windows crossing midnight must be split into two days' windows.
    pub fn parse(s: &str) -> Option<Window> {
        fn hhmm(s: &str) -> Option<u16> {
            let (h, m) = s.trim().split_once(':')?;
            let digits = h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit());
            if !digits || h.is_empty() || h.len() > 2 || m.len() != 2 {
                return None;
            }
            let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
            (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
        }
        let (a, b) = s.split_once('-')?;
        Window::new(hhmm(a)?, hhmm(b)?)
    }

    const fn raw(start_min: u16, end_min: u16) -> Window {
        Window { start_min, end_min }
    }

    /// Fields are public, so a hand-built window may be malformed; such
    /// windows are dropped by the calendar instead of causing underflow.
    fn is_valid(self) -> bool {
        self.start_min < self.end_min && self.end_min <= MIN_PER_DAY
    }

    /// Absolute `[start, end)` of this window on the local day starting at `midnight`.
    fn at(self, midnight: i128) -> (i128, i128) {
        let ms = |min: u16| midnight + i128::from(min) * MS_PER_MIN;
        (ms(self.start_min), ms(self.end_min))
    }
}

/// Sorts, drops malformed windows and merges overlapping or touching ones, so
/// that every later computation can assume disjoint, ordered windows.
fn normalize(windows: &mut Vec<Window>) {
    windows.retain(|w| w.is_valid());
    windows.sort_by_key(|w| w.start_min);
    let mut merged: Vec<Window> = Vec::with_capacity(windows.len());
    for w in windows.drain(..) {
        match merged.last_mut() {
            Some(last) if w.start_min <= last.end_min => last.end_min = last.end_min.max(w.end_min),
            _ => merged.push(w),
        }
    }
    *windows = merged;
}

fn total_ms(windows: &[Window]) -> i128 {
    windows
        .iter()
        .map(|w| i128::from(w.end_min - w.start_min) * MS_PER_MIN)
        .sum()
}

/// Business hours of one skill group or channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Calendar {
    pub utc_offset_minutes: i32,
    /// Opening windows per weekday, Monday first. Windows within a day are kept sorted and merged.
    weekly: [Vec<Window>; 7],
    /// Dates closed all day (法定节假日).
    holidays: BTreeSet<Date>,
    /// Dates open although their weekday is not (调休 make-up working days), with the windows to use.
    special_days: BTreeMap<Date, Vec<Window>>,
}

impl Calendar {
    /// Open every day, all day (the default for groups without configured hours).
    pub fn always_open() -> Self {
        Calendar::new(0).with_weekdays(&Weekday::ALL, Window::FULL_DAY)
    }

    /// Closed everywhere until windows are added; `utc_offset_minutes` east of UTC (+480 for China).
    pub fn new(utc_offset_minutes: i32) -> Self {
        Calendar {
            utc_offset_minutes,
            weekly: Default::default(),
            holidays: BTreeSet::new(),
            special_days: BTreeMap::new(),
        }
    }

    /// Adds `w` to each of `days`, merging with overlapping or adjacent windows.
    pub fn with_weekdays(mut self, days: &[Weekday], w: Window) -> Self {
        for d in days {
            let day = &mut self.weekly[d.index()];
            day.push(w);
            normalize(day);
        }
        self
    }

    /// Closes `d` all day (unless it is also a special day).
    pub fn with_holiday(mut self, d: Date) -> Self {
        self.holidays.insert(d);
        self
    }

    /// Uses `windows` on `d` instead of the weekday schedule, even if `d` is a
    /// holiday. An empty list closes the day.
    pub fn with_special_day(mut self, d: Date, mut windows: Vec<Window>) -> Self {
        normalize(&mut windows);
        self.special_days.insert(d, windows);
        self
    }

    /// Effective windows on a date: special day > holiday (none) > weekly schedule.
    pub fn windows_on(&self, d: Date) -> &[Window] {
        if let Some(w) = self.special_days.get(&d) {
            w
        } else if self.holidays.contains(&d) {
            &[]
        } else {
            &self.weekly[d.weekday().index()]
        }
    }

    pub fn is_open(&self, now_ms: i64) -> bool {
        let lt = local_time(now_ms, self.utc_offset_minutes);
        let ms = i128::from(lt.ms_of_day);
        self.windows_on(lt.date)
            .iter()
            .any(|w| (w.at(0).0..w.at(0).1).contains(&ms))
    }

    /// The first instant >= now at which the calendar is open (now itself if open); None if closed for the next 400 days.
    pub fn next_open(&self, now_ms: i64) -> Option<i64> {
        let now = i128::from(now_ms);
        let (start, _) = self.spans(now).find(|&(_, end)| end > now)?;
        i64::try_from(start.max(now)).ok()
    }

    /// The first instant > now at which an open period ends (None if never closes within 400 days, e.g. always_open).
    /// A window ending at 24:00 and one starting at 00:00 the next day are one period.
    pub fn next_close(&self, now_ms: i64) -> Option<i64> {
        let now = i128::from(now_ms);
        let horizon_end = self.day_start(self.local_day(now) + HORIZON_DAYS + 1);
        let mut spans = self.spans(now).skip_while(|&(_, end)| end <= now);
        let (_, mut close) = spans.next()?;
        for (start, end) in spans {
            if start != close {
                break;
            }
            close = end;
        }
        // Reaching the horizon means we never saw it close: report "unknown".
        (close < horizon_end)
            .then_some(close)
            .and_then(|c| i64::try_from(c).ok())
    }

    /// Open milliseconds in [from, to) — business time between two instants (0 if to <= from).
    /// Whole days in the middle are counted a week at a time and then corrected
    /// for holidays and special days, so even absurd spans cost O(holidays).
    pub fn open_ms_between(&self, from_ms: i64, to_ms: i64) -> i64 {
        if to_ms <= from_ms {
            return 0;
        }
        let (from, to) = (i128::from(from_ms), i128::from(to_ms));
        let (first, last) = (self.local_day(from), self.local_day(to));
        let mut total = self.overlap(first, from, to);
        if last > first {
            total += self.overlap(last, from, to) + self.whole_days_ms(first + 1, last);
        }
        // Open time never exceeds to - from, which fits in u64; clamp for i64.
        i64::try_from(total).unwrap_or(i64::MAX)
    }

    /// The instant at which `business_ms` of open time has elapsed after `from` (SLA due time). None if not reached within 400 days.
    /// This is the earliest such instant, so a deadline falling exactly at a
    /// window end is that end, not the next opening. Non-positive amounts return `from`.
    pub fn add_open_ms(&self, from_ms: i64, business_ms: i64) -> Option<i64> {
        if business_ms <= 0 {
            return Some(from_ms);
        }
        let from = i128::from(from_ms);
        let mut left = i128::from(business_ms);
        for (start, end) in self.spans(from) {
            let (start, len) = (start.max(from), (end - start.max(from)).max(0));
            if left <= len {
                return i64::try_from(start + left).ok();
            }
            left -= len;
        }
        None
    }

    /// Local day number containing the instant.
    fn local_day(&self, instant: i128) -> i64 {
        let local = instant + i128::from(self.utc_offset_minutes) * MS_PER_MIN;
        local.div_euclid(MS_PER_DAY) as i64 // |local| < 2^64 ms, far below i64 days
    }

    /// UTC instant of local midnight starting day number `day`.
    fn day_start(&self, day: i64) -> i128 {
        i128::from(day) * MS_PER_DAY - i128::from(self.utc_offset_minutes) * MS_PER_MIN
    }

    /// Absolute open intervals `[start, end)` in chronological order, from the
    /// local day containing `from` through the search horizon.
    fn spans(&self, from: i128) -> impl Iterator<Item = (i128, i128)> + '_ {
        let first = self.local_day(from);
        (first..=first + HORIZON_DAYS).flat_map(move |day| {
            let midnight = self.day_start(day);
            let windows = self.windows_on(Date::from_days(day));
            windows.iter().map(move |w| w.at(midnight))
        })
    }

    /// Open time on local day `day` that falls inside `[from, to)`.
    fn overlap(&self, day: i64, from: i128, to: i128) -> i128 {
        let midnight = self.day_start(day);
        let windows = self.windows_on(Date::from_days(day)).iter();
        windows
            .map(|w| w.at(midnight))
            .map(|(s, e)| (e.min(to) - s.max(from)).max(0))
            .sum()
    }

    /// Open time of the whole local days `[a, b)`: full weeks from the weekly
    /// schedule, then per-date corrections for holidays and special days.
    /// Requires `a <= b` (`BTreeMap::range` panics on an inverted range).
    fn whole_days_ms(&self, a: i64, b: i64) -> i128 {
        let weekly_ms = |day: i64| total_ms(&self.weekly[Weekday::from_days(day).index()]);
        let weeks = (b - a) / 7;
        let week_ms: i128 = self.weekly.iter().map(|w| total_ms(w)).sum();
        let mut total = i128::from(weeks) * week_ms;
        total += (a + weeks * 7..b).map(weekly_ms).sum::<i128>();
        let range = Date::from_days(a)..Date::from_days(b);
        for (d, windows) in self.special_days.range(range.clone()) {
            total += total_ms(windows) - weekly_ms(d.days());
        }
        for d in self.holidays.range(range) {
            if !self.special_days.contains_key(d) {
                total -= weekly_ms(d.days());
            }
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Weekday::*;

    const H: i64 = 3_600_000;

    /// UTC ms of a 2026 +08:00 wall-clock time, computed independently of `Calendar`.
    fn at(m: u32, d: u32, hh: i64, mm: i64) -> i64 {
        (days_from_civil(2026, m, d) * 1440 + hh * 60 + mm - 480) * 60_000
    }

    fn date(y: i32, m: u8, d: u8) -> Date {
        Date::new(y, m, d).expect("valid test date")
    }

    fn win(s: &str) -> Window {
        Window::parse(s).expect("valid test window")
    }

    /// Mon–Fri 09:00–18:00 Asia/Shanghai. 2026-11-16 is a Monday, 2026-11-21 a Saturday.
    fn office() -> Calendar {
        Calendar::new(480).with_weekdays(&[Mon, Tue, Wed, Thu, Fri], win("09:00-18:00"))
    }

    #[test]
    fn calendar_civil_round_trip_and_known_dates() {
        let is_leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        for y in 1900..=2100 {
            let len = days_from_civil(y + 1, 1, 1) - days_from_civil(y, 1, 1);
            assert_eq!(len, if is_leap(y) { 366 } else { 365 }, "year {y}");
        }
        let (start, end) = (days_from_civil(1900, 1, 1), days_from_civil(2101, 1, 1));
        let mut prev = civil_from_days(start - 1);
        for z in start..end {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
            let next_day = (y, m, d) == (prev.0, prev.1, prev.2 + 1);
            let next_month = d == 1 && ((y, m) == (prev.0, prev.1 + 1) || (m, prev.1) == (1, 12));
            assert!(next_day || next_month, "{prev:?} -> {:?}", (y, m, d));
            prev = (y, m, d);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(days_from_civil(2000, 3, 1), 10_957 + 31 + 29);
        assert_eq!(date(1970, 1, 1).weekday(), Thu);
        assert_eq!(date(2026, 11, 21).weekday(), Sat);
        assert_eq!(Weekday::from_days(-1), Wed);
        assert!(Date::new(2000, 2, 29).is_some());
        for (y, m, d) in [
            (2023, 2, 29),
            (1900, 2, 29),
            (2026, 4, 31),
            (2026, 13, 1),
            (2026, 1, 0),
        ] {
            assert_eq!(Date::new(y, m, d), None);
        }
        // Extreme inputs saturate instead of panicking.
        let _ = (days_from_civil(i64::MAX, 12, 31), civil_from_days(i64::MIN));
        let _ = (Date::from_days(i64::MAX), local_time(i64::MIN, i32::MIN));
    }

    #[test]
    fn calendar_local_time_across_utc_midnight() {
        let lt = |ms, off| {
            let t = local_time(ms, off);
            (t.date, t.weekday, t.minute_of_day, t.ms_of_day)
        };
        let fri = days_from_civil(2026, 11, 20) * 24 * H; // Friday 00:00 UTC
        let (fri_20, sat_21) = (date(2026, 11, 20), date(2026, 11, 21));
        assert_eq!(lt(fri + 16 * H + 60_000, 480), (sat_21, Sat, 1, 60_000));
        assert_eq!(lt(fri + 16 * H - 1, 480), (fri_20, Fri, 1439, 86_399_999));
        let eve = date(1969, 12, 31);
        assert_eq!(lt(-1, 0), (eve, Wed, 1439, 86_399_999));
        assert_eq!(lt(0, -300), (eve, Wed, 1140, 68_400_000));
    }

    #[test]
    fn calendar_windows_parse_and_merge() {
        assert_eq!(Window::parse("09:00-18:00"), Window::new(540, 1080));
        assert_eq!(Window::parse(" 9:30 - 24:00 "), Window::new(570, 1440));
        for bad in ["18:00-09:00", "24:00-24:00", "09:60-10:00", "9-18", ""] {
            assert_eq!(Window::parse(bad), None, "{bad}");
        }
        assert_eq!(Window::new(10, 10).or(Window::new(0, 1441)), None);
        let cal = Calendar::new(0)
            .with_weekdays(&[Mon], Window::raw(660, 840))
            .with_weekdays(&[Mon], Window::raw(540, 720))
            .with_weekdays(&[Mon, Mon], Window::raw(840, 900))
            .with_weekdays(&[Mon], Window::raw(100, 50)); // malformed: dropped
        assert_eq!(cal.windows_on(date(2026, 11, 16)), &[Window::raw(540, 900)]);
        assert!(cal.windows_on(date(2026, 11, 17)).is_empty());
    }

    #[test]
    fn calendar_open_closed_and_next_open() {
        let cal = office();
        assert!(cal.is_open(at(11, 20, 9, 0)) && cal.is_open(at(11, 20, 18, 0) - 1));
        assert!(!cal.is_open(at(11, 20, 9, 0) - 1) && !cal.is_open(at(11, 20, 18, 0)));
        assert!(!cal.is_open(at(11, 21, 12, 0)));
        let (fri_10, fri_19) = (at(11, 20, 10, 0), at(11, 20, 19, 0));
        assert_eq!(cal.next_open(fri_19), Some(at(11, 23, 9, 0)));
        assert_eq!(cal.next_open(fri_10), Some(fri_10));
        let hol = cal.clone().with_holiday(date(2026, 11, 23));
        assert!(!hol.is_open(at(11, 23, 10, 0)));
        assert_eq!(hol.next_open(fri_19), Some(at(11, 24, 9, 0)));
        // 调休: Saturday 2026-11-28 works, even though also listed as a holiday.
        let sat = date(2026, 11, 28);
        let make_up = hol
            .with_holiday(sat)
            .with_special_day(sat, vec![Window::FULL_DAY]);
        assert!(make_up.is_open(at(11, 28, 3, 0)));
        assert!(!make_up.is_open(at(11, 29, 3, 0)));
        assert_eq!(make_up.next_open(at(11, 27, 19, 0)), Some(at(11, 28, 0, 0)));
        assert_eq!(Calendar::new(480).next_open(fri_19), None);
        assert_eq!(Calendar::always_open().next_open(fri_19), Some(fri_19));
    }

    #[test]
    fn calendar_next_close() {
        let cal = office();
        assert_eq!(cal.next_close(at(11, 16, 10, 0)), Some(at(11, 16, 18, 0)));
        assert_eq!(cal.next_close(at(11, 16, 18, 0)), Some(at(11, 17, 18, 0)));
        assert_eq!(cal.next_close(at(11, 21, 12, 0)), Some(at(11, 23, 18, 0)));
        assert_eq!(Calendar::always_open().next_close(0), None);
        assert_eq!(Calendar::new(0).next_close(0), None);
        // Night shift 20:00-24:00 + 00:00-08:00 is one period across midnight.
        let night = Calendar::new(480)
            .with_weekdays(&Weekday::ALL, win("20:00-24:00"))
            .with_weekdays(&Weekday::ALL, win("00:00-08:00"));
        assert_eq!(night.next_close(at(11, 20, 21, 0)), Some(at(11, 21, 8, 0)));
        assert_eq!(night.next_close(at(11, 21, 8, 0)), Some(at(11, 22, 8, 0)));
    }

    #[test]
    fn calendar_open_ms_between() {
        let cal = office();
        let ob = |a, b| cal.open_ms_between(a, b);
        let (mon, fri_17) = (at(11, 16, 0, 0), at(11, 20, 17, 0));
        assert_eq!(ob(mon, at(11, 23, 0, 0)), 45 * H);
        assert_eq!(ob(at(11, 18, 12, 0), at(11, 25, 12, 0)), 45 * H);
        assert_eq!(ob(at(11, 16, 9, 0), at(11, 16, 18, 0)), 9 * H);
        assert_eq!(ob(mon, mon) + ob(mon + 1, mon), 0);
        assert_eq!(ob(fri_17, at(11, 23, 10, 0)), 2 * H);
        let hol = cal.clone().with_holiday(date(2026, 11, 23));
        assert_eq!(hol.open_ms_between(fri_17, at(11, 24, 10, 0)), 2 * H);
        // 52 weeks from Monday 2026-01-05: a Monday holiday (-9 h), a Sunday holiday (0),
        // a 3 h make-up Saturday and a holiday overridden by a 1 h special day (-8 h).
        let year = hol
            .with_holiday(date(2026, 11, 22))
            .with_special_day(date(2026, 11, 28), vec![win("09:00-12:00")])
            .with_holiday(date(2026, 12, 1))
            .with_special_day(date(2026, 12, 1), vec![win("09:00-10:00")]);
        let (from, to) = (at(1, 5, 0, 0), at(1, 5, 0, 0) + 52 * 7 * 24 * H);
        let want = 52 * 45 * H - 9 * H + 3 * H - 8 * H;
        assert_eq!(year.open_ms_between(from, to), want);
        // Against a brute-force minute count over five weeks with odd edges.
        let (a, b) = (at(11, 11, 13, 17), at(12, 16, 9, 41));
        let open_minutes = (a / 60_000..b / 60_000).filter(|m| year.is_open(m * 60_000));
        assert_eq!(
            year.open_ms_between(a, b),
            open_minutes.count() as i64 * 60_000
        );
        let always = Calendar::always_open();
        assert_eq!(always.open_ms_between(i64::MIN, i64::MAX), i64::MAX);
    }

    #[test]
    fn calendar_add_open_ms_inverts_open_ms_between() {
        let cal = office().with_holiday(date(2026, 11, 23));
        let fri_17 = at(11, 20, 17, 0);
        assert_eq!(cal.add_open_ms(fri_17, H), Some(at(11, 20, 18, 0)));
        assert_eq!(cal.add_open_ms(fri_17, H + 1), Some(at(11, 24, 9, 0) + 1));
        assert_eq!(cal.add_open_ms(fri_17, 0), Some(fri_17));
        assert_eq!(
            cal.add_open_ms(at(11, 21, 12, 0), 9 * H),
            Some(at(11, 24, 18, 0))
        );
        assert_eq!(Calendar::new(480).add_open_ms(fri_17, 1), None);
        for from in [
            fri_17,
            at(11, 21, 12, 0),
            at(11, 16, 9, 0),
            at(11, 16, 18, 0),
        ] {
            for ms in [1, 59_999, H, 9 * H, 9 * H + 1, 45 * H, 100 * H + 7] {
                let due = cal.add_open_ms(from, ms).expect("reachable");
                assert_eq!(cal.open_ms_between(from, due), ms, "{from} + {ms}");
                assert_eq!(cal.open_ms_between(from, due - 1), ms - 1, "earliest");
            }
        }
    }
}
