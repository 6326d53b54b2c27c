//! The customer data board (数据看板): totals, the status funnel, follow-up
//! plan state, sources and owners' departments over any filtered list the
//! viewer may see; also as CSV.

use super::records::CustomerQuery;
use crate::{audit, json, App, AppResult, Principal};
use kefu_domain::{csv, Permission};
use kefu_store::{customer_board, departments};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Bucket {
    /// Status, source, plan state (`on_plan`, `overdue`, `none`) or department
    /// id; `null` for "no department / unowned".
    pub key: Option<String>,
    /// What to show: the status or source itself, the department's name.
    pub label: String,
    pub count: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CustomerBoard {
    pub total: i64,
    /// Filed and unowned (the public pool).
    pub pool: i64,
    /// With one template chosen: its statuses in funnel order (zeros kept),
    /// then any others; otherwise most first.
    pub funnel: Vec<Bucket>,
    pub follow_up: Vec<Bucket>,
    pub sources: Vec<Bucket>,
    /// By the owner's department.
    pub departments: Vec<Bucket>,
}

fn bucket(key: &str, count: i64) -> Bucket {
    Bucket {
        key: Some(key.to_string()),
        label: key.to_string(),
        count,
    }
}

impl CustomerBoard {
    /// Every section as rows of `section, key, label, count`.
    pub fn to_csv(&self) -> String {
        let mut out = csv::write_row(&["section", "key", "label", "count"]);
        out += &csv::write_row(&["total", "", "", &self.total.to_string()]);
        out += &csv::write_row(&["pool", "", "", &self.pool.to_string()]);
        for (section, list) in [
            ("funnel", &self.funnel),
            ("follow_up", &self.follow_up),
            ("sources", &self.sources),
            ("departments", &self.departments),
        ] {
            for b in list {
                out += &csv::write_row(&[
                    section,
                    b.key.as_deref().unwrap_or(""),
                    &b.label,
                    &b.count.to_string(),
                ]);
            }
        }
        out
    }
}

impl App {
    pub async fn customer_board(
        &self,
        p: &Principal,
        q: &CustomerQuery,
    ) -> AppResult<CustomerBoard> {
        p.require(Permission::CustomersView)?;
        let f = self.customer_filter(p, q, 500)?;
        let mut conn = self.store.conn().await?;
        let counts = customer_board::board(&mut conn, &p.tenant, &f).await?;
        let template = match &q.template() {
            Some(t) => Some(self.template_in_tenant(&mut conn, p, t).await?),
            None => None,
        };
        let mut funnel: Vec<Bucket> = Vec::new();
        if let Some(t) = &template {
            for s in &t.statuses {
                let n = counts
                    .by_status
                    .iter()
                    .find(|(k, _)| k == s)
                    .map_or(0, |x| x.1);
                funnel.push(bucket(s, n));
            }
        }
        for (k, n) in &counts.by_status {
            if !funnel.iter().any(|b| b.key.as_deref() == Some(k.as_str())) {
                funnel.push(bucket(k, *n));
            }
        }
        let names = departments::list(&mut conn, &p.tenant).await?;
        let departments = counts
            .by_department
            .iter()
            .map(|(k, n)| Bucket {
                key: k.clone(),
                label: k
                    .as_ref()
                    .and_then(|id| names.iter().find(|d| &d.id == id))
                    .map(|d| d.name.clone())
                    .unwrap_or_default(),
                count: *n,
            })
            .collect();
        Ok(CustomerBoard {
            total: counts.total,
            pool: counts.pool,
            funnel,
            follow_up: vec![
                bucket("on_plan", counts.follow_up_on_plan),
                bucket("overdue", counts.follow_up_overdue),
                bucket("none", counts.follow_up_none),
            ],
            sources: counts
                .by_source
                .iter()
                .map(|(k, n)| bucket(k, *n))
                .collect(),
            departments,
        })
    }

    /// The board as CSV (needs `data.export`; audited like other exports).
    pub async fn customer_board_csv(&self, p: &Principal, q: &CustomerQuery) -> AppResult<String> {
        p.require(Permission::Export)?;
        let board = self.customer_board(p, q).await?;
        let mut tx = self.store.begin().await?;
        audit(
            &mut tx,
            p,
            "customer.board_export",
            "customer",
            None,
            None,
            json(&serde_json::json!({"total": board.total})),
        )
        .await?;
        tx.commit().await?;
        Ok(board.to_csv())
    }
}
