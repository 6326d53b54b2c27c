//! OneID: one customer across channels. Look-up by phone, e-mail or channel
//! user id (the screen pop, 弹屏), merging two records into one, and attaching
//! a new chat contact to the customer it turns out to be.

use super::{clean_tags, parse_email, parse_phone};
use crate::{audit, json, parse_id, App, AppError, AppResult, Principal};
use kefu_domain::{Permission, ValidationError};
use kefu_store::customer_history::{self, MergeMoved, NewFollowUp};
use kefu_store::{customers, Conn, Customer, TenantScope};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LookupQuery {
    /// A phone number in any common notation (`+86 138-1234-5678`).
    pub phone: Option<String>,
    pub email: Option<String>,
    /// With `user_id`: the channel's own id for the person.
    pub channel_id: Option<String>,
    pub user_id: Option<String>,
}

/// The screen pop's answer (弹屏定位).
#[derive(Debug, Serialize, ToSchema)]
pub struct LookupResult {
    /// `none` (offer to create), `one` (show it) or `several` (let the agent
    /// choose among `customers`).
    pub outcome: String,
    /// The matching customers the agent may see, masked as their role requires.
    pub customers: Vec<Customer>,
    /// True when nobody at all matches, so creating a customer makes no
    /// duplicate. False with outcome `none` means the person exists but belongs
    /// to someone the agent cannot see (ask a team lead).
    pub offer_create: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeInput {
    /// The record merged into the one in the path; it is kept only for history.
    pub other_id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MergeResult {
    pub customer: Customer,
    pub merged_id: String,
    #[schema(value_type = Object)]
    pub moved: MergeMoved,
}

/// The kept record's profile with everything of the other added: blanks
/// filled, tags united, notes joined, and whatever could not be placed (a
/// second phone or e-mail, values of another template) written into the notes,
/// so a merge loses nothing.
pub(crate) fn combine(keep: &Customer, gone: &Customer) -> Customer {
    let mut c = keep.clone();
    let mut extra = Vec::new();
    if c.name.is_empty() {
        c.name = gone.name.clone();
    } else if !gone.name.is_empty() && gone.name != c.name {
        extra.push(format!("姓名/name: {}", gone.name));
    }
    for (mine, theirs, label) in [
        (&mut c.phone, &gone.phone, "电话/phone"),
        (&mut c.email, &gone.email, "邮箱/e-mail"),
    ] {
        match (mine.as_ref(), theirs) {
            (None, Some(t)) => *mine = Some(t.clone()),
            (Some(m), Some(t)) if m != t => extra.push(format!("{label}: {t}")),
            _ => {}
        }
    }
    c.tags = clean_tags(keep.tags.iter().chain(gone.tags.iter()).cloned().collect());
    if c.template_id.is_none() {
        c.template_id = gone.template_id.clone();
        c.fields = gone.fields.clone();
        c.status = gone.status.clone();
    } else if c.template_id == gone.template_id {
        for (k, v) in &gone.fields {
            c.fields.entry(k.clone()).or_insert_with(|| v.clone());
        }
        if c.status.is_empty() {
            c.status = gone.status.clone();
        }
    } else if !gone.fields.is_empty() {
        extra.push(format!(
            "{}",
            serde_json::Value::Object(gone.fields.clone())
        ));
    }
    c.next_follow_up_at = match (keep.next_follow_up_at, gone.next_follow_up_at) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let mut notes: Vec<String> = [keep.notes.trim(), gone.notes.trim()]
        .into_iter()
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect();
    if !extra.is_empty() {
        notes.push(format!(
            "合并自/merged from {}: {}",
            gone.id,
            extra.join("; ")
        ));
    }
    c.notes = notes.join("\n---\n");
    c
}

/// Merge `gone` into `keep` in this transaction: move everything, write the
/// combined profile and owner, note it in the follow-up history, and return
/// the live record and what moved. The caller writes the audit entry.
async fn merge_records(
    tx: &mut Conn,
    t: &TenantScope,
    keep: &Customer,
    gone: &Customer,
    author: (Option<&str>, &str),
) -> AppResult<(Customer, MergeMoved)> {
    let moved = customer_history::merge(tx, t, &keep.id, &gone.id).await?;
    let combined = combine(keep, gone);
    customers::update_customer(tx, t, &combined).await?;
    if keep.owner_id.is_none() && gone.owner_id.is_some() {
        customers::set_owner(tx, t, &keep.id, gone.owner_id.as_deref()).await?;
    }
    let label = if gone.name.is_empty() {
        &gone.id
    } else {
        &gone.name
    };
    customer_history::add_follow_up(
        tx,
        t,
        &keep.id,
        &NewFollowUp {
            author_id: author.0,
            author_name: author.1,
            kind: "system",
            body: &format!("合并客户 / merged {label} ({})", gone.id),
            next_follow_up_at: None,
        },
    )
    .await?;
    let live = customers::get_customer(tx, t, &keep.id)
        .await?
        .ok_or(AppError::NotFound("customer"))?;
    Ok((live, moved))
}

impl App {
    /// Screen-pop look-up by phone, e-mail or channel user id.
    pub async fn lookup_customers(
        &self,
        p: &Principal,
        q: &LookupQuery,
    ) -> AppResult<LookupResult> {
        p.require(Permission::CustomersView)?;
        let mut conn = self.store.conn().await?;
        let given = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let matches = match (
            given(&q.phone),
            given(&q.email),
            given(&q.channel_id),
            given(&q.user_id),
        ) {
            (Some(ph), None, None, None) => {
                let ph = parse_phone("phone", &ph)?.unwrap_or_default();
                customers::find_by_any_phone(&mut conn, &p.tenant, &ph).await?
            }
            (None, Some(e), None, None) => {
                let e = parse_email(&e)?.unwrap_or_default();
                customers::find_by_email(&mut conn, &p.tenant, &e).await?
            }
            (None, None, Some(ch), Some(u)) => match parse_id("channel", &ch) {
                Ok(ch) => customers::find_by_channel_user(&mut conn, &p.tenant, &ch, &u).await?,
                Err(_) => Vec::new(),
            },
            _ => {
                return Err(ValidationError::new(
                    "phone",
                    "give exactly one of: phone, email, or channel_id with user_id",
                )
                .into())
            }
        };
        let offer_create = matches.is_empty();
        let mut visible = Vec::new();
        for c in matches {
            if let Some(a) = self.access_to(&mut conn, p, &c).await? {
                visible.push(self.present(&mut conn, p, c, a).await?);
            }
        }
        let outcome = match visible.len() {
            0 => "none",
            1 => "one",
            _ => "several",
        };
        Ok(LookupResult {
            outcome: outcome.into(),
            customers: visible,
            offer_create,
        })
    }

    /// Merge `other_id` into `id`: every conversation, visitor identity and
    /// follow-up of both ends up on `id`, the profile is combined without loss,
    /// and the audit log keeps both records as they were.
    pub async fn merge_customers(
        &self,
        p: &Principal,
        id: &str,
        input: MergeInput,
    ) -> AppResult<MergeResult> {
        p.require(Permission::CustomersMerge)?;
        let mut tx = self.store.begin().await?;
        let (keep, _) = self.customer_access(&mut tx, p, id).await?;
        let (gone, _) = self.customer_access(&mut tx, p, &input.other_id).await?;
        if keep.id == gone.id {
            return Err(AppError::conflict(
                "same_customer",
                "a customer cannot be merged into itself",
            ));
        }
        let (live, moved) = merge_records(
            &mut tx,
            &p.tenant,
            &keep,
            &gone,
            (p.user_id.as_deref(), &p.name),
        )
        .await?;
        audit(
            &mut tx,
            p,
            "customer.merge",
            "customer",
            Some(&keep.id),
            json(&serde_json::json!({"customer": keep, "merged": gone})),
            json(&serde_json::json!({"customer": live, "merged_id": gone.id, "moved": moved})),
        )
        .await?;
        let customer = self.commit_and_present(tx, p, live).await?;
        Ok(MergeResult {
            customer,
            merged_id: gone.id,
            moved,
        })
    }

    /// A chat contact just gave a phone or e-mail that an existing customer
    /// has: fold the contact into that customer (so no duplicate is born) and
    /// return it. Only a bare contact (no template, no owner) is folded
    /// automatically; anything else is for a person to merge.
    pub(crate) async fn attach_contact(
        &self,
        t: &TenantScope,
        contact: &Customer,
    ) -> AppResult<Option<Customer>> {
        if contact.template_id.is_some() || contact.owner_id.is_some() {
            return Ok(None);
        }
        let mut tx = self.store.begin().await?;
        customers::lock_identity(
            &mut tx,
            t,
            contact.phone.as_deref(),
            contact.email.as_deref(),
        )
        .await?;
        let Some((existing, by)) = customers::find_match(
            &mut tx,
            t,
            contact.phone.as_deref(),
            contact.email.as_deref(),
        )
        .await?
        .filter(|(c, _)| c.id != contact.id) else {
            return Ok(None);
        };
        let (live, moved) = merge_records(&mut tx, t, &existing, contact, (None, "OneID")).await?;
        kefu_store::audit::record(
            &mut tx,
            t,
            kefu_store::audit::NewAudit {
                actor_id: None,
                actor_name: "OneID",
                action: "customer.merge",
                resource_type: "customer",
                resource_id: Some(&existing.id),
                before: json(
                    &serde_json::json!({"customer": existing, "merged": contact, "matched_by": by}),
                ),
                after: json(
                    &serde_json::json!({"customer": live, "merged_id": contact.id, "moved": moved}),
                ),
                ip: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Some(live))
    }
}
