//! Storing an import's rows, chunk by chunk. Each chunk is one transaction with its
//! progress. Its rows are first checked like API items (no database); the good ones then
//! get their category paths (found or created) and are inserted with a few multi-row
//! statements inside one savepoint. Only if the database refuses that batch is it rolled
//! back and the chunk's good rows stored one by one, each in its own savepoint, so the
//! report names the row that failed — the report and the stored rows are the same either
//! way.

use super::super::{check_item, fields, CheckedItem};
use super::parse::{row_error, Parsed, RawRow};
use super::CHUNK;
use crate::{App, AppError, AppResult, Principal};
use kefu_domain::{Name, ValidationError};
use kefu_store::knowledge::{self, ItemFields};
use kefu_store::knowledge_imports::{self as imports, Counts, ImportRowError, KnowledgeImport};
use std::collections::HashMap;

pub(super) struct ImportJob {
    pub(super) app: App,
    pub(super) p: Principal,
    pub(super) id: String,
    pub(super) rows: Vec<Parsed>,
}

/// A row that passed the checks: its category path and its checked fields.
struct Ready<'a> {
    /// Position in the chunk.
    at: usize,
    names: Vec<String>,
    raw: &'a RawRow,
    checked: CheckedItem,
}

impl Ready<'_> {
    fn names(&self) -> Vec<&str> {
        self.names.iter().map(String::as_str).collect()
    }

    fn fields(&self) -> ItemFields<'_> {
        fields(&self.raw.input, &self.checked)
    }
}

/// Check one row like an API item (category path of 1–3 valid names, the item's fields).
fn check_row(raw: &RawRow) -> AppResult<(Vec<String>, CheckedItem)> {
    let mut names = Vec::new();
    for n in raw.category.split('/').map(str::trim) {
        names.push(Name::parse("category", n)?.as_str().to_string());
    }
    if names.len() as i64 > knowledge::MAX_DEPTH {
        return Err(
            ValidationError::new("category", "categories nest at most 3 levels deep").into(),
        );
    }
    Ok((names, check_item(&raw.input)?))
}

fn category_error(e: kefu_store::StoreError) -> AppError {
    AppError::from_store("knowledge category", e)
}

impl ImportJob {
    pub(super) async fn run(self) -> AppResult<KnowledgeImport> {
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
        // One slot per row: its error, if it has one.
        let mut failed: Vec<Option<ImportRowError>> = vec![None; chunk.len()];
        let mut ready = Vec::new();
        for (at, (row, parsed)) in chunk.iter().enumerate() {
            counts.processed += 1;
            let checked = match parsed {
                Err(e) => Err(e.clone()),
                Ok(raw) => check_row(raw)
                    .map(|(names, checked)| Ready {
                        at,
                        names,
                        raw,
                        checked,
                    })
                    .map_err(|e| row_error(*row, e)),
            };
            match checked {
                Ok(r) => ready.push(r),
                Err(mut e) => {
                    e.row = *row;
                    failed[at] = Some(e);
                }
            }
        }
        let mut tx = self.app.store.begin().await?;
        // The cache must not keep categories of a chunk that is rolled back.
        let mut chunk_cache = cache.clone();
        let batch: Vec<knowledge::ImportRow<'_>> = ready
            .iter()
            .map(|r| knowledge::ImportRow {
                names: r.names(),
                fields: r.fields(),
            })
            .collect();
        let categories = match knowledge::import_batch(&mut tx, t, &batch, &mut chunk_cache).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, import = %self.id, "knowledge import: batch refused, storing its rows one by one");
                let mut created = 0;
                for r in &ready {
                    let names = r.names();
                    match knowledge::import_item(&mut tx, t, &names, &mut chunk_cache, &r.fields())
                        .await
                    {
                        Ok((_, c)) => created += c,
                        Err(e) => {
                            let row = chunk[r.at].0;
                            failed[r.at] = Some(row_error(row, category_error(e)));
                        }
                    }
                }
                created
            }
        };
        let lines: Vec<ImportRowError> = failed.into_iter().flatten().collect();
        counts.failed += lines.len() as i64;
        counts.created += (chunk.len() - lines.len()) as i64;
        counts.categories_created += categories as i64;
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
