//! Knowledge import and export in three formats — JSONL (the `kefu bot eval`
//! format), CSV (UTF-8 with or without BOM, or GBK) and XLSX — through one
//! path: the upload is read into rows, an import record is started, and the
//! rows are stored in chunks of [`CHUNK`], each chunk one transaction with its
//! progress (so a client can poll for a progress bar) and each row in its own
//! savepoint (stored whole or not at all). The per-row error report is kept
//! with the import and can be downloaded as CSV afterwards.

use super::answer::{check_answer, Answer};
use super::sheet::{self, TextEncoding};
use super::{can_view, check_item, fields, ItemInput};
use crate::{audit, json, parse_id, App, AppError, AppResult, Principal};
use kefu_domain::{csv, Name, Permission, ValidationError};
use kefu_store::knowledge::{self, KnowledgeCategory};
use kefu_store::knowledge_imports::{self as imports, Counts, ImportRowError, KnowledgeImport};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};

/// The most data rows one import takes.
pub const MAX_ROWS: usize = 100_000;
/// The largest upload the import endpoint takes (100,000 rich rows fit).
pub const MAX_UPLOAD: usize = 64 * 1024 * 1024;
/// Rows per transaction.
const CHUNK: usize = 500;
/// The columns of the CSV/XLSX format, in export order.
pub const COLUMNS: [&str; 8] = [
    "id",
    "category",
    "question",
    "similar",
    "answer",
    "enabled",
    "valid_from",
    "valid_to",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jsonl,
    Csv,
    Xlsx,
}

impl Format {
    pub fn parse(s: Option<&str>) -> AppResult<Format> {
        match s.unwrap_or("jsonl").trim().to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" => Ok(Format::Jsonl),
            "csv" => Ok(Format::Csv),
            "xlsx" => Ok(Format::Xlsx),
            _ => Err(ValidationError::new("format", "must be jsonl, csv or xlsx").into()),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Jsonl => "application/x-ndjson; charset=utf-8",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `jsonl` (default), `csv` or `xlsx`.
    pub format: Option<String>,
    /// CSV only: `auto` (default: UTF-8, a BOM allowed, else GBK), `utf-8` or `gbk`.
    pub encoding: Option<String>,
    /// Answer at once (202, `running`) and import in the background; poll
    /// `GET /knowledge/imports/{id}` for `processed` of `total`.
    pub background: Option<bool>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `jsonl` (default), `csv` or `xlsx`.
    pub format: Option<String>,
}

/// The synchronous JSONL import's answer (`POST /knowledge/import`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    /// Non-blank lines read.
    pub total: usize,
    pub created: usize,
    pub failed: usize,
    pub categories_created: usize,
    pub errors: Vec<ImportRowError>,
}

impl From<KnowledgeImport> for ImportReport {
    fn from(i: KnowledgeImport) -> Self {
        ImportReport {
            total: i.total as usize,
            created: i.created as usize,
            failed: i.failed as usize,
            categories_created: i.categories_created as usize,
            errors: i.errors,
        }
    }
}

/// One line of the JSONL format shared with `kefu bot eval`:
/// `{"id","category","question","similar":[…],"answer"}`. `category` is a
/// path of up to three names joined by `/`; `answer` is text or an [`Answer`].
#[derive(Debug, Deserialize, Serialize)]
struct JsonlRow {
    #[serde(default)]
    id: Option<String>,
    category: String,
    question: String,
    #[serde(default)]
    similar: Vec<String>,
    answer: serde_json::Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    enabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    valid_from: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    valid_to: Option<i64>,
}

/// A row read from the upload, before it is checked like an API item.
struct RawRow {
    category: String,
    input: ItemInput,
}

type Parsed = (usize, Result<RawRow, ImportRowError>);

fn row_error(row: usize, e: AppError) -> ImportRowError {
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
fn parse_upload(format: Format, bytes: &[u8], enc: TextEncoding) -> AppResult<Vec<Parsed>> {
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

struct ImportJob {
    app: App,
    p: Principal,
    id: String,
    rows: Vec<Parsed>,
}

impl ImportJob {
    async fn run(self) -> AppResult<KnowledgeImport> {
        let t = &self.p.tenant;
        let mut conn = self.app.store.conn().await?;
        let cats = knowledge::list_categories(&mut conn, t).await?;
        drop(conn);
        let mut cache: HashMap<String, String> = knowledge::category_paths(&cats)
            .into_iter()
            .map(|(id, path)| (path, id))
            .collect();
        let mut n = Counts::default();
        let mut errors: Vec<ImportRowError> = Vec::new();
        for chunk in self.rows.chunks(CHUNK) {
            if let Err(e) = self.chunk(chunk, &mut cache, &mut n, &mut errors).await {
                tracing::error!(error = %e, import = %self.id, "knowledge import stopped");
                let first = chunk.first().map_or(0, |r| r.0);
                let why = format!("stopped by an internal error at row {first}");
                let mut conn = self.app.store.conn().await?;
                imports::finish(&mut conn, t, &self.id, n, &errors, Some(&why)).await?;
                return Err(e);
            }
        }
        let mut conn = self.app.store.conn().await?;
        Ok(imports::finish(&mut conn, t, &self.id, n, &errors, None).await?)
    }

    async fn chunk(
        &self,
        chunk: &[Parsed],
        cache: &mut HashMap<String, String>,
        n: &mut Counts,
        errors: &mut Vec<ImportRowError>,
    ) -> AppResult<()> {
        let t = &self.p.tenant;
        let mut counts = *n;
        let mut lines = Vec::new();
        let mut tx = self.app.store.begin().await?;
        // The cache must not keep categories of a chunk that is rolled back.
        let mut chunk_cache = cache.clone();
        for (row, parsed) in chunk {
            counts.processed += 1;
            let outcome = match parsed {
                Err(e) => Err(e.clone()),
                Ok(raw) => store_row(&mut tx, t, raw, &mut chunk_cache)
                    .await
                    .map_err(|e| row_error(*row, e)),
            };
            match outcome {
                Ok(new_categories) => {
                    counts.created += 1;
                    counts.categories_created += new_categories as i64;
                }
                Err(mut e) => {
                    e.row = *row;
                    counts.failed += 1;
                    lines.push(e);
                }
            }
        }
        imports::progress(&mut tx, t, &self.id, counts).await?;
        tx.commit().await?;
        // Many items at once: the bot's index is rebuilt on its next question.
        self.app.bot_invalidate(t);
        *cache = chunk_cache;
        *n = counts;
        errors.extend(lines);
        Ok(())
    }
}

/// Check one row like an API item and store it (category path created as
/// needed). Answers how many categories were created.
async fn store_row(
    conn: &mut kefu_store::Conn,
    t: &kefu_store::TenantScope,
    raw: &RawRow,
    cache: &mut HashMap<String, String>,
) -> AppResult<usize> {
    let mut names = Vec::new();
    for n in raw.category.split('/').map(str::trim) {
        names.push(Name::parse("category", n)?);
    }
    if names.len() as i64 > knowledge::MAX_DEPTH {
        return Err(
            ValidationError::new("category", "categories nest at most 3 levels deep").into(),
        );
    }
    let c = check_item(&raw.input)?;
    let names: Vec<&str> = names.iter().map(|n| n.as_str()).collect();
    let (_, created) = knowledge::import_item(conn, t, &names, cache, &fields(&raw.input, &c))
        .await
        .map_err(|e| AppError::from_store("knowledge category", e))?;
    Ok(created)
}

impl App {
    /// Start an import of `bytes` in `format` (see [`ImportQuery`]). Without
    /// `background` the import runs to the end before answering; with it the
    /// answer is the `running` import, to be polled with
    /// [`App::knowledge_import`]. The upload is read whole first: a file that
    /// cannot be read, or a CSV/XLSX header with unknown or missing columns,
    /// is a 422 and starts nothing.
    pub async fn import_knowledge_file(
        &self,
        p: &Principal,
        q: &ImportQuery,
        bytes: &[u8],
    ) -> AppResult<KnowledgeImport> {
        p.require(Permission::KnowledgeManage)?;
        let format = Format::parse(q.format.as_deref())?;
        let enc = TextEncoding::parse(q.encoding.as_deref())
            .ok_or_else(|| ValidationError::new("encoding", "must be auto, utf-8 or gbk"))?;
        let rows = parse_upload(format, bytes, enc)?;
        if rows.len() > MAX_ROWS {
            return Err(
                ValidationError::new("file", format!("has more than {MAX_ROWS} rows")).into(),
            );
        }
        let mut tx = self.store.begin().await?;
        let started = imports::start(
            &mut tx,
            &p.tenant,
            p.user_id.as_deref(),
            format.as_str(),
            rows.len() as i64,
        )
        .await?;
        audit(
            &mut tx,
            p,
            "knowledge.import",
            "knowledge_import",
            Some(&started.id),
            None,
            json(&serde_json::json!({"format": format.as_str(), "total": started.total})),
        )
        .await?;
        tx.commit().await?;
        let job = ImportJob {
            app: self.clone(),
            p: p.clone(),
            id: started.id.clone(),
            rows,
        };
        if q.background.unwrap_or(false) {
            tokio::spawn(async move {
                if let Err(e) = job.run().await {
                    tracing::error!(error = %e, "background knowledge import failed");
                }
            });
            return Ok(started);
        }
        job.run().await
    }

    /// Import JSONL and answer with the report (the original endpoint).
    pub async fn import_knowledge(&self, p: &Principal, body: &str) -> AppResult<ImportReport> {
        let q = ImportQuery::default();
        Ok(self
            .import_knowledge_file(p, &q, body.as_bytes())
            .await?
            .into())
    }

    pub async fn knowledge_import(&self, p: &Principal, id: &str) -> AppResult<KnowledgeImport> {
        p.require(Permission::KnowledgeManage)?;
        let id = parse_id("knowledge import", id)?;
        let mut conn = self.store.conn().await?;
        imports::get(&mut conn, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("knowledge import"))
    }

    /// The latest imports, newest first.
    pub async fn knowledge_imports(&self, p: &Principal) -> AppResult<Vec<KnowledgeImport>> {
        p.require(Permission::KnowledgeManage)?;
        let mut conn = self.store.conn().await?;
        Ok(imports::list(&mut conn, &p.tenant, 20).await?)
    }

    /// An import's error report as CSV: `row, code, message`.
    pub async fn knowledge_import_report_csv(&self, p: &Principal, id: &str) -> AppResult<String> {
        let imp = self.knowledge_import(p, id).await?;
        let mut out = String::from("\u{feff}");
        out += &csv::write_row(&["row", "code", "message"]);
        for e in &imp.errors {
            out += &csv::write_row(&[e.row.to_string(), e.code.clone(), e.message.clone()]);
        }
        Ok(out)
    }

    /// Every item in `format`: JSONL lines, or a CSV/XLSX table with the
    /// columns of [`COLUMNS`] (`similar` one per line, `answer` plain text or,
    /// when it has rich parts or variants, its JSON). CSV starts with a BOM so
    /// Excel reads it as UTF-8.
    pub async fn export_knowledge_as(&self, p: &Principal, format: Format) -> AppResult<Vec<u8>> {
        can_view(p)?;
        let mut conn = self.store.conn().await?;
        let cats: Vec<KnowledgeCategory> = knowledge::list_categories(&mut conn, &p.tenant).await?;
        let paths = knowledge::category_paths(&cats);
        let items = knowledge::list_items(&mut conn, &p.tenant, None).await?;
        drop(conn);
        let internal = |e: serde_json::Error| AppError::Internal(e.to_string());
        match format {
            Format::Jsonl => {
                let mut out = String::new();
                for item in items {
                    let answer = match Answer::from_value(&item.answer) {
                        Ok(a) if a.as_plain_text().is_some() => serde_json::Value::String(a.text),
                        _ => item.answer.clone(),
                    };
                    let row = JsonlRow {
                        id: Some(item.id.clone()),
                        category: paths.get(&item.category_id).cloned().unwrap_or_default(),
                        question: item.question,
                        similar: item.similar,
                        answer,
                        enabled: (!item.enabled).then_some(false),
                        valid_from: item.valid_from,
                        valid_to: item.valid_to,
                    };
                    out.push_str(&serde_json::to_string(&row).map_err(internal)?);
                    out.push('\n');
                }
                Ok(out.into_bytes())
            }
            Format::Csv | Format::Xlsx => {
                let mut rows: Vec<Vec<String>> =
                    vec![COLUMNS.iter().map(|c| c.to_string()).collect()];
                for item in items {
                    let answer = match Answer::from_value(&item.answer) {
                        Ok(a)
                            if a.as_plain_text().is_some()
                                && !a.text.trim_start().starts_with('{') =>
                        {
                            a.text
                        }
                        _ => item.answer.to_string(),
                    };
                    rows.push(vec![
                        item.id.clone(),
                        paths.get(&item.category_id).cloned().unwrap_or_default(),
                        item.question,
                        item.similar.join("\n"),
                        answer,
                        if item.enabled { "1" } else { "0" }.to_string(),
                        item.valid_from.map(format_time).unwrap_or_default(),
                        item.valid_to.map(format_time).unwrap_or_default(),
                    ]);
                }
                if format == Format::Xlsx {
                    sheet::write_xlsx("knowledge", &rows).map_err(AppError::Internal)
                } else {
                    let mut out = String::from("\u{feff}");
                    for r in &rows {
                        out += &csv::write_row(r);
                    }
                    Ok(out.into_bytes())
                }
            }
        }
    }

    /// Every item as JSONL (the original endpoint).
    pub async fn export_knowledge(&self, p: &Principal) -> AppResult<String> {
        let bytes = self.export_knowledge_as(p, Format::Jsonl).await?;
        String::from_utf8(bytes).map_err(|e| AppError::Internal(e.to_string()))
    }
}

/// Validate an answer for the API (used by [`check_item`]).
pub(super) fn checked_answer(a: &Answer) -> AppResult<serde_json::Value> {
    let a = check_answer(a).map_err(AppError::InvalidFields)?;
    serde_json::to_value(a).map_err(|e| AppError::Internal(e.to_string()))
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
