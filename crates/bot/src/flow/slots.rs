//! Checking and normalising a visitor's answer for a slot. Answers are typed into a
//! chat, so each check looks for the value inside a sentence ("我的订单号是 20260001")
//! and full-width characters count as their ASCII forms.

use super::SlotCheck;
use regex::Regex;
use std::sync::OnceLock;

const MAX_TEXT: usize = 500;

fn half_width(s: &str) -> String {
    s.chars()
        .map(|c| match c as u32 {
            0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            0x3000 => ' ',
            _ => c,
        })
        .collect::<String>()
        .trim()
        .to_string()
}

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).unwrap_or_else(|e| panic!("built-in pattern: {e}")))
}

/// The normalised value, or `None` when the answer does not fit.
pub fn check_slot(check: &SlotCheck, answer: &str) -> Option<String> {
    let s = half_width(answer);
    if s.is_empty() {
        return None;
    }
    match check {
        SlotCheck::Text => (s.chars().count() <= MAX_TEXT).then_some(s),
        SlotCheck::Number => number(&s),
        SlotCheck::Phone => phone(&s),
        SlotCheck::Email => {
            static R: OnceLock<Regex> = OnceLock::new();
            re(
                &R,
                r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}",
            )
            .find(&s)
            .map(|m| m.as_str().to_lowercase())
        }
        SlotCheck::Date => date(&s),
        SlotCheck::Regex { pattern } => {
            let r = super::regex_cache::compiled(pattern).ok()?;
            let caps = r.captures(&s)?;
            let m = caps.get(1).or_else(|| caps.get(0))?;
            let v = m.as_str().trim();
            (!v.is_empty()).then(|| v.to_string())
        }
        SlotCheck::Choice { values } => {
            let lower = s.to_lowercase();
            if let Some(v) = values.iter().find(|v| v.trim().to_lowercase() == lower) {
                return Some(v.trim().to_string());
            }
            // Values inside the answer; one inside a longer one found too ("需要" in
            // "不需要") does not count.
            let inside: Vec<String> = values
                .iter()
                .map(|v| v.trim().to_lowercase())
                .filter(|v| !v.is_empty() && lower.contains(v.as_str()))
                .collect();
            let kept: Vec<&String> = inside
                .iter()
                .filter(|v| !inside.iter().any(|w| w != *v && w.contains(v.as_str())))
                .collect();
            match kept.as_slice() {
                [one] => values
                    .iter()
                    .find(|v| v.trim().to_lowercase() == **one)
                    .map(|v| v.trim().to_string()),
                _ => None,
            }
        }
    }
}

/// Exactly one number in the answer.
fn number(s: &str) -> Option<String> {
    static R: OnceLock<Regex> = OnceLock::new();
    let cleaned = s.replace(',', "");
    let found: Vec<&str> = re(&R, r"-?\d+(\.\d+)?")
        .find_iter(&cleaned)
        .map(|m| m.as_str())
        .collect();
    match found.as_slice() {
        [one] => one
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(|_| one.to_string()),
        _ => None,
    }
}

fn phone(s: &str) -> Option<String> {
    static R: OnceLock<Regex> = OnceLock::new();
    let m = re(&R, r"\+?\d[\d \-()]{5,20}\d").find(s)?;
    let plus = m.as_str().starts_with('+');
    let mut digits: String = m.as_str().chars().filter(char::is_ascii_digit).collect();
    if let Some(rest) = digits
        .strip_prefix("0086")
        .or_else(|| digits.strip_prefix("86"))
    {
        if rest.len() == 11 && rest.starts_with('1') && (plus || digits.len() == 13) {
            digits = rest.to_string();
        }
    }
    if !(7..=15).contains(&digits.len()) {
        return None;
    }
    Some(digits)
}

fn date(s: &str) -> Option<String> {
    static R: OnceLock<Regex> = OnceLock::new();
    let c = re(&R, r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})").captures(s)?;
    let y: u32 = c.get(1)?.as_str().parse().ok()?;
    let m: u32 = c.get(2)?.as_str().parse().ok()?;
    let d: u32 = c.get(3)?.as_str().parse().ok()?;
    let leap = (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400);
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if !(1..=days).contains(&d) || !(1900..=2999).contains(&y) {
        return None;
    }
    Some(format!("{y:04}-{m:02}-{d:02}"))
}
