//! Reading an upload into numbered rows: JSONL lines, or CSV/XLSX tables with a header of
//! known columns; and the time cells both ways.

use super::super::answer::Answer;
use super::super::sheet::{self, TextEncoding};
use super::super::ItemInput;
use super::{Format, COLUMNS};
use crate::{AppError, AppResult};
use kefu_domain::{csv, ValidationError};
use kefu_store::knowledge_imports::ImportRowError;
use serde::{Deserialize, Serialize};

/// One line of the JSONL format shared with `kefu bot eval`:
/// `{"id","category","question","similar":[…],"answer"}`. `category` is a
/// path of up to three names joined by `/`; `answer` is text or an [`Answer`].
#[derive(Debug, Deserialize, Serialize)]
pub(super) struct JsonlRow {
    #[serde(default)]
    pub(super) id: Option<String>,
    pub(super) category: String,
    pub(super) question: String,
    #[serde(default)]
    pub(super) similar: Vec<String>,
    pub(super) answer: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) valid_from: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) valid_to: Option<i64>,
}

/// A row read from the upload, before it is checked like an API item.
pub(super) struct RawRow {
    pub(super) category: String,
    pub(super) input: ItemInput,
}

pub(super) type Parsed = (usize, Result<RawRow, ImportRowError>);

pub(super) fn row_error(row: usize, e: AppError) -> ImportRowError {
    let message = match &e {
        AppError::InvalidFields(errs) => errs
            .iter()
            .map(|f| format!("{}: {}", f.field, f.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    };
    ImportRowError {
        row,
        code: e.code().to_string(),
        message,
    }
}

fn bad(row: usize, field: &'static str, message: impl Into<String>) -> ImportRowError {
    row_error(row, ValidationError::new(field, message).into())
}

fn parse_jsonl(text: &str) -> Vec<Parsed> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| {
            let row = i + 1;
            let r = serde_json::from_str::<JsonlRow>(line)
                .map_err(|e| bad(row, "line", e.to_string()))
                .and_then(|j| {
                    let answer =
                        Answer::from_value(&j.answer).map_err(|e| bad(row, "answer", e))?;
                    Ok(RawRow {
                        category: j.category,
                        input: ItemInput {
                            category_id: String::new(),
                            question: j.question,
                            similar: j.similar,
                            answer,
                            enabled: j.enabled.unwrap_or(true),
                            valid_from: j.valid_from,
                            valid_to: j.valid_to,
                            flow_id: None,
                        },
                    })
                });
            (row, r)
        })
        .collect()
}

#[derive(Clone, Copy, PartialEq)]
enum Col {
    Id,
    Category,
    Question,
    Similar,
    Answer,
    Enabled,
    ValidFrom,
    ValidTo,
}

fn column(h: &str) -> Option<Col> {
    Some(match h.trim().to_lowercase().as_str() {
        "id" | "编号" => Col::Id,
        "category" | "分类" | "类目" => Col::Category,
        "question" | "标准问题" | "问题" => Col::Question,
        "similar" | "相似问法" | "相似问题" => Col::Similar,
        "answer" | "答案" | "回答" => Col::Answer,
        "enabled" | "启用" | "状态" => Col::Enabled,
        "valid_from" | "生效时间" | "开始时间" => Col::ValidFrom,
        "valid_to" | "失效时间" | "结束时间" => Col::ValidTo,
        _ => return None,
    })
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.trim().to_lowercase().as_str() {
        "" | "1" | "true" | "yes" | "y" | "是" | "启用" | "开启" => Some(true),
        "0" | "false" | "no" | "n" | "否" | "停用" | "禁用" | "关闭" => Some(false),
        _ => None,
    }
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A time cell that is not a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadTime;

/// A time cell: empty; Unix milliseconds; an Excel serial date; or
/// `YYYY-MM-DD[ HH:MM[:SS[.sss]]][Z]` (UTC; `/` also accepted in the date).
pub fn parse_time(s: &str) -> Result<Option<i64>, BadTime> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if let Ok(n) = s.parse::<i64>() {
        if n > 100_000_000_000 {
            return Ok(Some(n));
        }
    }
    if let Ok(f) = s.parse::<f64>() {
        if (1.0..2_958_466.0).contains(&f) {
            // Excel: days since 1899-12-30.
            return Ok(Some(((f - 25_569.0) * 86_400_000.0).round() as i64));
        }
        return Err(BadTime);
    }
    let s = s.trim_end_matches('Z').replace('/', "-");
    let (date, time) = s
        .split_once(['T', ' '])
        .map_or((s.as_str(), ""), |(d, t)| (d, t.trim()));
    let mut d = date
        .split('-')
        .map(|x| x.parse::<i64>().map_err(|_| BadTime));
    let (y, m, dd) = (
        d.next().ok_or(BadTime)??,
        d.next().ok_or(BadTime)??,
        d.next().ok_or(BadTime)??,
    );
    if d.next().is_some()
        || !(1..=12).contains(&m)
        || !(1..=31).contains(&dd)
        || !(1970..=9999).contains(&y)
    {
        return Err(BadTime);
    }
    let mut ms = 0i64;
    if !time.is_empty() {
        let mut t = time.split(':');
        let h: i64 = t.next().ok_or(BadTime)?.parse().map_err(|_| BadTime)?;
        let mi: i64 = t.next().unwrap_or("0").parse().map_err(|_| BadTime)?;
        let sec: f64 = t.next().unwrap_or("0").parse().map_err(|_| BadTime)?;
        if t.next().is_some()
            || !(0..24).contains(&h)
            || !(0..60).contains(&mi)
            || !(0.0..61.0).contains(&sec)
        {
            return Err(BadTime);
        }
        ms = h * 3_600_000 + mi * 60_000 + (sec * 1000.0).round() as i64;
    }
    Ok(Some(days_from_civil(y, m, dd) * 86_400_000 + ms))
}

/// Unix ms as `YYYY-MM-DD HH:MM:SS` (UTC), with `.sss` when not whole seconds.
pub fn format_time(ms: i64) -> String {
    let (days, rem) = (ms.div_euclid(86_400_000), ms.rem_euclid(86_400_000));
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s, milli) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    );
    if milli == 0 {
        format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}")
    } else {
        format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}.{milli:03}")
    }
}

/// A cell the export prefixed with `'` (so a spreadsheet does not run it) is
/// read back without it.
fn unquote(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '@', '+', '-', '\t', '\r']) => rest,
        _ => cell,
    }
}

/// Rows of cells (header first; `first_row` is the spreadsheet number of
/// `rows[0]`) into parsed rows. Unknown or missing columns are one 422.
fn parse_table(mut rows: Vec<(usize, Vec<String>)>) -> AppResult<Vec<Parsed>> {
    let blank = |r: &Vec<String>| r.iter().all(|c| c.trim().is_empty());
    rows.retain(|(_, r)| !blank(r));
    if rows.is_empty() {
        return Err(
            ValidationError::new("file", "is empty: the first row must name the columns").into(),
        );
    }
    let (_, header) = rows.remove(0);
    let mut cols = Vec::new();
    let mut errs = Vec::new();
    for h in &header {
        match column(h) {
            Some(c) => cols.push(Some(c)),
            None if h.trim().is_empty() => cols.push(None),
            None => errs.push(kefu_domain::crm::FieldError::new(
                format!("columns.{}", h.trim()),
                "unknown_column",
                format!("is not one of {}", COLUMNS.join(", ")),
            )),
        }
    }
    for (need, name) in [
        (Col::Category, "category"),
        (Col::Question, "question"),
        (Col::Answer, "answer"),
    ] {
        if !cols.contains(&Some(need)) {
            errs.push(kefu_domain::crm::FieldError::new(
                format!("columns.{name}"),
                "missing_column",
                "is required",
            ));
        }
    }
    if !errs.is_empty() {
        return Err(AppError::InvalidFields(errs));
    }
    Ok(rows
        .into_iter()
        .map(|(row, cells)| {
            let mut raw = RawRow {
                category: String::new(),
                input: ItemInput {
                    category_id: String::new(),
                    question: String::new(),
                    similar: Vec::new(),
                    answer: Answer::default(),
                    enabled: true,
                    valid_from: None,
                    valid_to: None,
                    flow_id: None,
                },
            };
            if cells.len() > cols.len() && cells[cols.len()..].iter().any(|c| !c.trim().is_empty()) {
                return (row, Err(bad(row, "row", "the row has more cells than the header")));
            }
            for (col, cell) in cols.iter().zip(cells.iter()) {
                let cell = unquote(cell);
                match col {
                    None | Some(Col::Id) => {}
                    Some(Col::Category) => raw.category = cell.to_string(),
                    Some(Col::Question) => raw.input.question = cell.to_string(),
                    Some(Col::Similar) => {
                        raw.input.similar = cell
                            .split(['\n', '|'])
                            .map(|s| s.trim().to_string())
                            .filter(|s| !s.is_empty())
                            .collect()
                    }
                    Some(Col::Answer) => {
                        let t = cell.trim();
                        raw.input.answer = if t.starts_with('{') {
                            match serde_json::from_str::<Answer>(t) {
                                Ok(a) => a,
                                Err(e) => return (row, Err(bad(row, "answer", format!("not an answer object: {e}")))),
                            }
                        } else {
                            Answer::text(cell)
                        }
                    }
                    Some(Col::Enabled) => match parse_bool(cell) {
                        Some(b) => raw.input.enabled = b,
                        None => return (row, Err(bad(row, "enabled", "must be 1/0, true/false, 是/否 or 启用/停用"))),
                    },
                    Some(Col::ValidFrom) => match parse_time(cell) {
                        Ok(v) => raw.input.valid_from = v,
                        Err(BadTime) => return (row, Err(bad(row, "valid_from", "must be a date (YYYY-MM-DD[ HH:MM[:SS]], UTC) or Unix milliseconds"))),
                    },
                    Some(Col::ValidTo) => match parse_time(cell) {
                        Ok(v) => raw.input.valid_to = v,
                        Err(BadTime) => return (row, Err(bad(row, "valid_to", "must be a date (YYYY-MM-DD[ HH:MM[:SS]], UTC) or Unix milliseconds"))),
                    },
                }
            }
            (row, Ok(raw))
        })
        .collect())
}

/// Read an upload into numbered rows.
pub(super) fn parse_upload(
    format: Format,
    bytes: &[u8],
    enc: TextEncoding,
) -> AppResult<Vec<Parsed>> {
    match format {
        Format::Jsonl => {
            let text = sheet::decode_text(bytes, TextEncoding::Utf8)
                .map_err(|m| ValidationError::new("file", m))?;
            Ok(parse_jsonl(&text))
        }
        Format::Csv => {
            let text =
                sheet::decode_text(bytes, enc).map_err(|m| ValidationError::new("file", m))?;
            // Spreadsheet numbering: the first record is row 1.
            let rows = csv::parse(&text)
                .into_iter()
                .enumerate()
                .map(|(i, r)| (i + 1, r))
                .collect();
            parse_table(rows)
        }
        Format::Xlsx => {
            let rows = sheet::read_xlsx(bytes).map_err(|m| ValidationError::new("file", m))?;
            parse_table(
                rows.into_iter()
                    .enumerate()
                    .map(|(i, r)| (i + 1, r))
                    .collect(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip() {
        for ms in [
            0i64,
            1_700_000_000_000,
            1_700_000_000_123,
            4_102_444_800_000,
        ] {
            assert_eq!(
                parse_time(&format_time(ms)),
                Ok(Some(ms)),
                "{}",
                format_time(ms)
            );
        }
        assert_eq!(parse_time("2026-11-21"), Ok(Some(1_795_219_200_000)));
        assert_eq!(parse_time("2026/11/21 08:00"), Ok(Some(1_795_248_000_000)));
        // Excel serial 46347 = 2026-11-21.
        assert_eq!(parse_time("46347"), Ok(Some(1_795_219_200_000)));
        assert_eq!(parse_time(""), Ok(None));
        assert!(parse_time("tomorrow").is_err());
        assert!(parse_time("2026-13-01").is_err());
    }

    #[test]
    fn table_header_problems_are_one_error() {
        let rows = vec![(1, vec!["question".to_string(), "colour".to_string()])];
        match parse_table(rows) {
            Err(AppError::InvalidFields(errs)) => {
                let f: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
                assert!(
                    f.contains(&"columns.colour")
                        && f.contains(&"columns.category")
                        && f.contains(&"columns.answer"),
                    "{f:?}"
                );
            }
            _ => panic!("expected invalid_fields"),
        }
    }
}
