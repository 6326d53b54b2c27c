//! Export: every item as JSONL, CSV or XLSX.

use super::super::answer::Answer;
use super::super::{can_view, sheet};
use super::parse::{format_time, JsonlRow};
use super::{Format, COLUMNS};
use crate::{App, AppError, AppResult, Principal};
use kefu_domain::csv;
use kefu_store::knowledge::{self, KnowledgeCategory};

impl App {
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
