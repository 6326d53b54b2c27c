//! 进度跟踪: the customer's progress page, reached by a signed link
//! `/progress/{ticket_id}/{signature}`. The signature is HMAC-SHA256 over the
//! tenant and ticket ids with the tenant's link key, so a link cannot be
//! guessed, altered, or moved to another tenant's ticket: any of those is a
//! plain 404. The page shows the status and public replies (never internal
//! notes), takes the customer's replies, and after resolution one
//! satisfaction survey (满意度, 1–5 stars).

use super::ticket_hooks::{self, PublicTicket};
use crate::{secrets, App, AppError, AppResult, Principal};
use base64::Engine;
use hmac::{Hmac, Mac};
use kefu_domain::ValidationError;
use kefu_store::sla::{self, TicketSurvey};
use kefu_store::{Conn, TenantScope};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use utoipa::ToSchema;

const MAX_REPLY: usize = 5_000;
const MAX_COMMENT: usize = 1_000;

/// The signature of a ticket's progress link under a tenant's key.
pub fn sign(key: &str, tenant_id: &str, ticket_id: &str) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(key.as_bytes()) {
        Ok(m) => m,
        // HMAC takes keys of any length; this arm cannot run.
        Err(_) => return String::new(),
    };
    mac.update(b"kefu-progress\0");
    mac.update(tenant_id.as_bytes());
    mac.update(b"\0");
    mac.update(ticket_id.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// A ticket's customer link.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgressLink {
    /// `/progress/{ticket_id}/{signature}`, to put after the site's address.
    pub path: String,
}

/// The progress page's content.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProgressView {
    pub ticket: PublicTicket,
    /// The customer's answer, once given.
    pub survey: Option<TicketSurvey>,
    /// The survey is open: resolved and not yet answered.
    pub survey_open: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerReply {
    pub body: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyInput {
    /// 1–5 stars.
    pub rating: i64,
    #[serde(default)]
    pub comment: String,
}

async fn key(conn: &mut Conn, t: &TenantScope) -> AppResult<String> {
    Ok(sla::link_secret(conn, t, &secrets::random_token(32)).await?)
}

fn not_found() -> AppError {
    AppError::NotFound("ticket")
}

impl App {
    /// The customer's link for a ticket the caller can see.
    pub async fn progress_link(&self, p: &Principal, ticket_id: &str) -> AppResult<ProgressLink> {
        let mut conn = self.store.conn().await?;
        let id = self.visible_ticket(&mut conn, p, ticket_id).await?.id;
        let key = key(&mut conn, &p.tenant).await?;
        let sig = sign(&key, p.tenant.tenant_id().as_str(), &id);
        Ok(ProgressLink {
            path: format!("/progress/{id}/{sig}"),
        })
    }

    /// Checks a link; the tenant and ticket id it opens, or 404.
    async fn open_link(
        &self,
        conn: &mut Conn,
        ticket_id: &str,
        sig: &str,
    ) -> AppResult<(TenantScope, String)> {
        let id = kefu_domain::UserId::parse(ticket_id)
            .map(|u| u.to_string())
            .ok_or_else(not_found)?;
        if sig.is_empty() || sig.len() > 100 {
            return Err(not_found());
        }
        let tenant = sla::ticket_tenant_unscoped(conn, &id)
            .await?
            .ok_or_else(not_found)?;
        let t = TenantScope::new(tenant);
        let key = key(conn, &t).await?;
        let want = sign(&key, t.tenant_id().as_str(), &id);
        if !secrets::constant_time_eq(&want, sig) {
            return Err(not_found());
        }
        Ok((t, id))
    }

    pub async fn progress_view(&self, ticket_id: &str, sig: &str) -> AppResult<ProgressView> {
        let mut conn = self.store.conn().await?;
        let (t, id) = self.open_link(&mut conn, ticket_id, sig).await?;
        let ticket = ticket_hooks::public_ticket(&mut conn, &t, &id).await?;
        let survey = sla::get_survey(&mut conn, &t, &id).await?;
        Ok(ProgressView {
            survey_open: ticket.resolved && survey.is_none(),
            ticket,
            survey,
        })
    }

    /// The customer replies from the progress page: a public comment from the
    /// customer; the assignee and watchers are told.
    pub async fn progress_reply(
        &self,
        ticket_id: &str,
        sig: &str,
        input: CustomerReply,
    ) -> AppResult<ProgressView> {
        let body = input.body.trim();
        if body.is_empty() {
            return Err(ValidationError::new("body", "must not be empty").into());
        }
        if body.chars().count() > MAX_REPLY {
            return Err(
                ValidationError::new("body", format!("at most {MAX_REPLY} characters")).into(),
            );
        }
        let mut tx = self.store.begin().await?;
        let (t, id) = self.open_link(&mut tx, ticket_id, sig).await?;
        let tell = ticket_hooks::customer_reply(&mut tx, &t, &id, body).await?;
        tx.commit().await?;
        self.ticket_event(
            &t,
            "ticket.commented",
            serde_json::json!({"ticket_id": id, "kind": "reply", "author_type": "customer"}),
        );
        let frame =
            serde_json::json!({"type": "ticket_reply", "ticket_id": id, "from": "customer"});
        for u in tell {
            self.hub.publish(&crate::hub::Topic::Agent(u), &frame);
        }
        self.progress_view(ticket_id, sig).await
    }

    /// The satisfaction survey: only once the ticket is resolved (409
    /// `not_resolved`), only once (409 `already_rated`).
    pub async fn progress_survey(
        &self,
        ticket_id: &str,
        sig: &str,
        input: SurveyInput,
    ) -> AppResult<TicketSurvey> {
        if !(1..=5).contains(&input.rating) {
            return Err(ValidationError::new("rating", "1 to 5 stars").into());
        }
        let comment = input.comment.trim();
        if comment.chars().count() > MAX_COMMENT {
            return Err(ValidationError::new(
                "comment",
                format!("at most {MAX_COMMENT} characters"),
            )
            .into());
        }
        let mut tx = self.store.begin().await?;
        let (t, id) = self.open_link(&mut tx, ticket_id, sig).await?;
        let ticket = ticket_hooks::public_ticket(&mut tx, &t, &id).await?;
        if !ticket.resolved {
            return Err(AppError::conflict(
                "not_resolved",
                "the survey opens once the ticket is resolved",
            ));
        }
        let s = sla::insert_survey(&mut tx, &t, &id, input.rating, comment)
            .await
            .map_err(|e| match e {
                kefu_store::StoreError::Conflict => {
                    AppError::conflict("already_rated", "this ticket has already been rated")
                }
                other => other.into(),
            })?;
        tx.commit().await?;
        Ok(s)
    }

    /// The customer's survey answer, for staff who can see the ticket.
    pub async fn ticket_survey(
        &self,
        p: &Principal,
        ticket_id: &str,
    ) -> AppResult<Option<TicketSurvey>> {
        let mut conn = self.store.conn().await?;
        let id = self.visible_ticket(&mut conn, p, ticket_id).await?.id;
        Ok(sla::get_survey(&mut conn, &p.tenant, &id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_depend_on_key_tenant_and_ticket() {
        let s = sign("k1", "t1", "x");
        assert_eq!(s.len(), 43, "256 bits, URL-safe");
        assert_eq!(s, sign("k1", "t1", "x"));
        assert_ne!(s, sign("k2", "t1", "x"));
        assert_ne!(s, sign("k1", "t2", "x"));
        assert_ne!(s, sign("k1", "t1", "y"));
    }
}
