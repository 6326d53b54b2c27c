//! CSV import (with OneID de-duplication and a per-row report) and CSV export
//! of any filtered list.

use super::records::CustomerQuery;
use super::{clean_name, clean_tags};
use crate::knowledge::sheet::{decode_text, TextEncoding};
use crate::{audit, json, parse_id, App, AppError, AppResult, Principal};
use kefu_domain::crm::{self, FieldDef, FieldError};
use kefu_domain::{csv, Email, Permission, ValidationError};
use kefu_store::customer_bulk;
use kefu_store::customer_templates::{self, ImportCounts};
use kefu_store::customers::{self, Deduped, NewCustomer};
use kefu_store::{CustomerImport, CustomerTemplate};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use utoipa::IntoParams;

/// The most data rows one import takes.
pub const MAX_IMPORT_ROWS: usize = 100_000;
/// Rows per transaction: a failure part-way keeps what was committed, and the
/// report says so.
const CHUNK: usize = 500;
/// Created rows after which an import refreshes the planner's statistics.
const ANALYZE_AFTER_ROWS: i64 = 10_000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// The template the rows are filed in.
    pub template_id: String,
    /// `pool` (default: the public pool) or `me`.
    pub owner: Option<String>,
    /// Answer at once (202, `running`) and import in the background; poll
    /// `GET /customer-imports/{id}` for `processed` of `total`.
    pub background: Option<bool>,
    /// `auto` (default: UTF-8 if the bytes are valid UTF-8, else GBK), `utf-8` or `gbk`.
    pub encoding: Option<String>,
}

/// One import's rows on their way in.
struct ImportJob {
    app: App,
    p: Principal,
    id: String,
    template: CustomerTemplate,
    cols: Vec<Column>,
    rows: Vec<Vec<String>>,
    owner: Option<String>,
}

impl ImportJob {
    /// Every chunk in one transaction with its progress; at the end the report.
    /// A failure keeps the chunks committed before it and marks the import failed.
    async fn run(self) -> AppResult<CustomerImport> {
        let mut n = ImportCounts::default();
        let mut report: Vec<Value> = Vec::new();
        for (chunk_no, chunk) in self.rows.chunks(CHUNK).enumerate() {
            if let Err(e) = self.chunk(chunk_no, chunk, &mut n, &mut report).await {
                tracing::error!(error = %e, import = %self.id, "customer import stopped");
                let mut conn = self.app.store.conn().await?;
                let why = format!(
                    "stopped by an internal error at row {}",
                    chunk_no * CHUNK + 2
                );
                customer_templates::finish_import(
                    &mut conn,
                    &self.p.tenant,
                    &self.id,
                    n,
                    &report,
                    Some(&why),
                )
                .await?;
                return Err(e);
            }
        }
        let mut conn = self.app.store.conn().await?;
        if n.created >= ANALYZE_AFTER_ROWS {
            // A large import can change the table's shape enough that the
            // planner's old statistics pick a scan over the phone index.
            customers::refresh_statistics(&mut conn).await?;
        }
        Ok(
            customer_templates::finish_import(
                &mut conn,
                &self.p.tenant,
                &self.id,
                n,
                &report,
                None,
            )
            .await?,
        )
    }

    async fn chunk(
        &self,
        chunk_no: usize,
        chunk: &[Vec<String>],
        n: &mut ImportCounts,
        report: &mut Vec<Value>,
    ) -> AppResult<()> {
        let t = &self.p.tenant;
        let mut tx = self.app.store.begin().await?;
        let mut counts = *n;
        let mut lines = Vec::new();
        // Validate every row first, then check and write the valid ones as one
        // batch (see `customer_bulk`); the report keeps the file's row order.
        let mut valid = Vec::with_capacity(chunk.len());
        let mut valid_rows = Vec::with_capacity(chunk.len());
        let mut outcomes: Vec<(usize, Value)> = Vec::new();
        for (i, cells) in chunk.iter().enumerate() {
            // Spreadsheet numbering: the header is row 1.
            let row = chunk_no * CHUNK + i + 2;
            counts.processed += 1;
            match row_to_customer(&self.cols, cells, &self.template, self.owner.as_deref()) {
                Err(errs) => {
                    counts.errors += 1;
                    outcomes.push((row, json!({"row": row, "outcome": "error", "errors": errs})));
                }
                Ok(new) => {
                    valid.push(new);
                    valid_rows.push(row);
                }
            }
        }
        let written = customer_bulk::insert_many_unless_duplicate(&mut tx, t, &valid).await?;
        for (row, d) in valid_rows.into_iter().zip(written) {
            match d {
                Deduped::Created(_) => counts.created += 1,
                Deduped::Duplicate {
                    customer_id,
                    matched_by,
                } => {
                    counts.duplicates += 1;
                    outcomes.push((row, json!({"row": row, "outcome": "duplicate", "customer_id": customer_id, "matched_by": matched_by})));
                }
            }
        }
        outcomes.sort_by_key(|(row, _)| *row);
        lines.extend(outcomes.into_iter().map(|(_, v)| v));
        customer_templates::import_progress(&mut tx, t, &self.id, counts).await?;
        tx.commit().await?;
        *n = counts;
        report.extend(lines);
        Ok(())
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

#[derive(Debug, Clone, Copy)]
enum Column {
    Name,
    Phone,
    Email,
    Tags,
    Notes,
    Status,
    Field(usize),
    /// Written by the export, not read back (id, owner, times…).
    Ignored,
}

const EXPORT_ONLY: &[&str] = &[
    "id",
    "owner_id",
    "source",
    "next_follow_up_at",
    "created_at",
    "fields",
];

fn column(header: &str, defs: &[FieldDef]) -> Option<Column> {
    let h = header.trim();
    let builtin = match h.to_lowercase().as_str() {
        "name" | "姓名" | "客户名称" => Some(Column::Name),
        "phone" | "电话" | "手机" | "手机号" => Some(Column::Phone),
        "email" | "e-mail" | "邮箱" => Some(Column::Email),
        "tags" | "标签" => Some(Column::Tags),
        "notes" | "备注" => Some(Column::Notes),
        "status" | "状态" => Some(Column::Status),
        other if EXPORT_ONLY.contains(&other) => Some(Column::Ignored),
        _ => None,
    };
    builtin.or_else(|| {
        defs.iter()
            .position(|d| d.key == h || d.label == h)
            .map(Column::Field)
    })
}

/// One data row as a customer, or what is wrong with it.
fn row_to_customer(
    cols: &[Column],
    cells: &[String],
    template: &CustomerTemplate,
    owner: Option<&str>,
) -> Result<NewCustomer, Vec<FieldError>> {
    let mut errs = Vec::new();
    let mut c = NewCustomer {
        template_id: Some(template.id.clone()),
        owner_id: owner.map(str::to_string),
        source: "import".into(),
        ..NewCustomer::default()
    };
    let mut values = Map::new();
    if cells.len() > cols.len() {
        errs.push(FieldError::new(
            "row",
            "extra_cells",
            "the row has more cells than the header",
        ));
    }
    for (col, cell) in cols.iter().zip(cells.iter()) {
        let cell = cell.trim();
        match col {
            Column::Name => c.name = clean_name(cell),
            Column::Phone if !cell.is_empty() => match crm::normalize_phone(cell) {
                Some(p) => c.phone = Some(p),
                None => errs.push(FieldError::new(
                    "phone",
                    "invalid_phone",
                    "is not a valid phone number",
                )),
            },
            Column::Email if !cell.is_empty() => match Email::parse(cell) {
                Ok(e) => c.email = Some(e.as_str().to_string()),
                Err(_) => errs.push(FieldError::new(
                    "email",
                    "invalid_email",
                    "is not a valid e-mail address",
                )),
            },
            Column::Tags => {
                c.tags = clean_tags(cell.split([';', '；', '|']).map(str::to_string).collect())
            }
            Column::Notes => {
                if cell.chars().count() > 5000 {
                    errs.push(FieldError::new(
                        "notes",
                        "too_long",
                        "must be at most 5000 characters",
                    ));
                }
                c.notes = cell.to_string();
            }
            Column::Status => c.status = cell.to_string(),
            Column::Field(i) => {
                let d = &template.fields[*i];
                values.insert(d.key.clone(), crm::value_from_text(d, cell));
            }
            Column::Phone | Column::Email | Column::Ignored => {}
        }
    }
    if c.name.is_empty() && c.phone.is_none() && c.email.is_none() && errs.is_empty() {
        errs.push(FieldError::new(
            "row",
            "empty_row",
            "the row has no name, phone or e-mail",
        ));
    }
    match crm::validate_values(&template.fields, &values) {
        Ok(v) => c.fields = v,
        Err(e) => errs.extend(e),
    }
    if !c.status.is_empty() && !template.statuses.contains(&c.status) {
        errs.push(FieldError::new(
            "status",
            "unknown_status",
            "must be one of the template's statuses",
        ));
    }
    if errs.is_empty() {
        Ok(c)
    } else {
        Err(errs)
    }
}

impl App {
    /// Import customers from CSV into a template. A row whose phone or e-mail
    /// matches an existing customer (or an earlier row) is reported as a
    /// duplicate and not written; a row with bad values is reported with each
    /// field's code. The report is kept to download afterwards. With
    /// `background`, the import is answered at once (`running`) and its
    /// progress is read with [`App::customer_import`]. The file may be UTF-8
    /// or GBK (see [`ImportQuery::encoding`]).
    pub async fn import_customers(
        &self,
        p: &Principal,
        q: &ImportQuery,
        bytes: &[u8],
    ) -> AppResult<CustomerImport> {
        p.require(Permission::CustomersImport)?;
        let enc = TextEncoding::parse(q.encoding.as_deref())
            .ok_or_else(|| ValidationError::new("encoding", "must be auto, utf-8 or gbk"))?;
        let text = decode_text(bytes, enc).map_err(|why| ValidationError::new("file", why))?;
        let text = text.as_str();
        let owner = match q.owner.as_deref().unwrap_or("pool") {
            "pool" => None,
            "me" => Some(p.require_user()?.to_string()),
            _ => return Err(ValidationError::new("owner", "must be pool or me").into()),
        };
        let mut conn = self.store.conn().await?;
        let template = self
            .template_in_tenant(&mut conn, p, &q.template_id)
            .await?;
        drop(conn);
        let mut rows = csv::parse(text);
        if rows.is_empty() {
            return Err(ValidationError::new(
                "file",
                "is empty: the first line must name the columns",
            )
            .into());
        }
        let header = rows.remove(0);
        if rows.len() > MAX_IMPORT_ROWS {
            return Err(ValidationError::new(
                "file",
                format!("has more than {MAX_IMPORT_ROWS} rows"),
            )
            .into());
        }
        let mut cols = Vec::new();
        let mut unknown = Vec::new();
        for h in &header {
            match column(h, &template.fields) {
                Some(c) => cols.push(c),
                None => unknown.push(h.trim().to_string()),
            }
        }
        if !unknown.is_empty() {
            return Err(AppError::InvalidFields(
                unknown
                    .into_iter()
                    .map(|h| {
                        FieldError::new(
                            format!("columns.{h}"),
                            "unknown_column",
                            "is neither a standard column nor a field of the template",
                        )
                    })
                    .collect(),
            ));
        }
        let mut tx = self.store.begin().await?;
        let started = customer_templates::start_import(
            &mut tx,
            &p.tenant,
            &template.id,
            p.user_id.as_deref(),
            rows.len() as i64,
        )
        .await?;
        audit(
            &mut tx,
            p,
            "customer.import",
            "customer_import",
            Some(&started.id),
            None,
            json(&json!({"template_id": template.id, "total": started.total})),
        )
        .await?;
        tx.commit().await?;
        let job = ImportJob {
            app: self.clone(),
            p: p.clone(),
            id: started.id.clone(),
            template,
            cols,
            rows,
            owner,
        };
        if q.background.unwrap_or(false) {
            tokio::spawn(async move {
                if let Err(e) = job.run().await {
                    tracing::error!(error = %e, "background customer import failed");
                }
            });
            return Ok(started);
        }
        job.run().await
    }

    pub async fn customer_import(&self, p: &Principal, id: &str) -> AppResult<CustomerImport> {
        p.require(Permission::CustomersImport)?;
        let id = parse_id("customer import", id)?;
        let mut conn = self.store.conn().await?;
        customer_templates::get_import(&mut conn, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("customer import"))
    }

    /// The import's report as CSV: one line per problem (a duplicate, or each
    /// bad field of a row).
    pub async fn customer_import_report_csv(&self, p: &Principal, id: &str) -> AppResult<String> {
        let imp = self.customer_import(p, id).await?;
        let mut out = csv::write_row(&[
            "row",
            "outcome",
            "customer_id",
            "matched_by",
            "field",
            "code",
            "message",
        ]);
        for r in &imp.report {
            let s = |k: &str| match &r[k] {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                v => v.to_string(),
            };
            match r["errors"].as_array() {
                Some(errs) => {
                    for e in errs {
                        let f = |k: &str| e[k].as_str().unwrap_or_default().to_string();
                        out += &csv::write_row(&[
                            s("row"),
                            s("outcome"),
                            String::new(),
                            String::new(),
                            f("field"),
                            f("code"),
                            f("message"),
                        ]);
                    }
                }
                None => {
                    out += &csv::write_row(&[
                        s("row"),
                        s("outcome"),
                        s("customer_id"),
                        s("matched_by"),
                        String::new(),
                        String::new(),
                        String::new(),
                    ])
                }
            }
        }
        Ok(out)
    }

    /// Every customer of the filtered list that `p` may see, as CSV (masked as
    /// on screen). With a template filter, its fields are columns too.
    pub async fn export_customers(&self, p: &Principal, q: &CustomerQuery) -> AppResult<String> {
        p.require(Permission::CustomersView)?;
        p.require(Permission::Export)?;
        let mut conn = self.store.conn().await?;
        let template = match &q.template() {
            Some(t) => Some(self.template_in_tenant(&mut conn, p, t).await?),
            None => None,
        };
        let defs: &[FieldDef] = template
            .as_ref()
            .map(|t| t.fields.as_slice())
            .unwrap_or(&[]);
        let mut header: Vec<String> = [
            "id",
            "name",
            "phone",
            "email",
            "tags",
            "notes",
            "status",
            "owner_id",
            "source",
            "next_follow_up_at",
            "created_at",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        match template {
            Some(_) => header.extend(defs.iter().map(|d| d.key.clone())),
            None => header.push("fields".into()),
        }
        let mut out = csv::write_row(&header);
        let mut f = self.customer_filter(
            p,
            &CustomerQuery {
                limit: Some(1000),
                ..q.clone()
            },
            1000,
        )?;
        let mut count = 0usize;
        loop {
            let page = customers::list_customers(&mut conn, &p.tenant, &f).await?;
            let last = page.last().map(|c| c.id.clone());
            let full = page.len() as i64 == f.limit;
            for c in self.present_all(&mut conn, p, page).await? {
                let opt = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
                let mut cells = vec![
                    c.id.clone(),
                    c.name.clone(),
                    c.phone.clone().unwrap_or_default(),
                    c.email.clone().unwrap_or_default(),
                    c.tags.join(";"),
                    c.notes.clone(),
                    c.status.clone(),
                    c.owner_id.clone().unwrap_or_default(),
                    c.source.clone(),
                    opt(c.next_follow_up_at),
                    c.created_at.to_string(),
                ];
                if template.is_some() {
                    cells.extend(defs.iter().map(|d| {
                        crm::value_to_text(d, c.fields.get(&d.key).unwrap_or(&Value::Null))
                    }));
                } else {
                    cells.push(if c.fields.is_empty() {
                        String::new()
                    } else {
                        Value::Object(c.fields.clone()).to_string()
                    });
                }
                out += &csv::write_row(&cells);
                count += 1;
            }
            match (full, last) {
                (true, Some(id)) => f.before_id = Some(id),
                _ => break,
            }
        }
        drop(conn);
        let mut tx = self.store.begin().await?;
        audit(&mut tx, p, "customer.export", "customer", None, None, json(&json!({"rows": count, "filter": {"q": q.q, "template_id": q.template_id, "status": q.status, "tag": q.tag, "owner": q.owner, "follow_up": q.follow_up}}))).await?;
        tx.commit().await?;
        Ok(out)
    }
}
