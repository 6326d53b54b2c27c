//! Creating, listing, reading and editing customers, and their follow-ups.

use super::{
    check_filed, check_notes, clean_name, clean_tags, mask, needs_mask, parse_email, parse_phone,
    sees_all, Access,
};
use crate::{double_option, parse_id, App, AppError, AppResult, Principal};
use kefu_domain::{Permission, ValidationError};
use kefu_store::customer_history::{self, NewFollowUp};
use kefu_store::customers::{self, CustomerFilter, FollowUpPlan, NewCustomer, OwnerFilter};
use kefu_store::{conversations, users, Conversation, Customer, FollowUp};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A new customer, filed in a template.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCustomerInput {
    #[serde(default)]
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub notes: String,
    pub template_id: String,
    /// The template's field values, by key.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub fields: serde_json::Map<String, serde_json::Value>,
    #[serde(default)]
    pub status: String,
    /// Absent: the creator. `null`: the public pool. A user id: that user
    /// (someone else needs `customers.view_all`).
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub owner_id: Option<Option<String>>,
    pub next_follow_up_at: Option<i64>,
}

/// Change some of a customer's data; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomerPatch {
    pub name: Option<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub tags: Option<Vec<String>>,
    pub notes: Option<String>,
    /// File the customer in (another) template; values must fit it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub template_id: Option<Option<String>>,
    /// Values to set, by field key (`null` clears one).
    #[schema(value_type = Option<Object>)]
    pub fields: Option<serde_json::Map<String, serde_json::Value>>,
    pub status: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub next_follow_up_at: Option<Option<i64>>,
}

/// A customer with what the workbench and the CRM page show beside it.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerDetail {
    pub customer: Customer,
    /// Newest first (at most 50).
    pub conversations: Vec<Conversation>,
    /// Newest first (at most 100).
    pub follow_ups: Vec<FollowUp>,
    /// How the viewer sees the record: `owner`, `served`, `all` or `pool`.
    pub access: String,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomerQuery {
    /// Text in name, phone or e-mail.
    pub q: Option<String>,
    pub template_id: Option<String>,
    pub status: Option<String>,
    pub tag: Option<String>,
    /// `me`, `pool`, `any` (default) or a user id.
    pub owner: Option<String>,
    /// Follow-up plan: `on_plan`, `overdue` or `none`.
    pub follow_up: Option<String>,
    /// Paging: customers created before this id.
    pub before_id: Option<String>,
    /// Default 50, at most 500.
    pub limit: Option<i64>,
}

impl CustomerQuery {
    /// The template filter; an empty value (a form's "all templates") is none.
    pub fn template(&self) -> Option<String> {
        self.template_id.clone().filter(|t| !t.trim().is_empty())
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpInput {
    /// `call`, `visit`, `message`, `email` or `other`.
    pub kind: String,
    pub body: String,
    /// When to follow up next (Unix ms); absent or null clears the plan.
    pub next_follow_up_at: Option<i64>,
}

fn access_name(a: Access) -> &'static str {
    match a {
        Access::All => "all",
        Access::Owner => "owner",
        Access::Served => "served",
        Access::Pool => "pool",
    }
}

impl App {
    /// Build the store filter for what `p` asked and may see.
    pub(crate) fn customer_filter(
        &self,
        p: &Principal,
        q: &CustomerQuery,
        max: i64,
    ) -> AppResult<CustomerFilter> {
        let owner =
            match q.owner.as_deref().unwrap_or("any") {
                "any" | "" => OwnerFilter::Any,
                "pool" => OwnerFilter::Pool,
                "me" => OwnerFilter::User(p.require_user()?.to_string()),
                other => OwnerFilter::User(parse_id("user", other).map_err(|_| {
                    ValidationError::new("owner", "is not me, pool, any or a user id")
                })?),
            };
        let follow_up = match q.follow_up.as_deref() {
            None | Some("") => None,
            Some("on_plan") => Some(FollowUpPlan::OnPlan),
            Some("overdue") => Some(FollowUpPlan::Overdue),
            Some("none") => Some(FollowUpPlan::None),
            Some(_) => {
                return Err(
                    ValidationError::new("follow_up", "must be on_plan, overdue or none").into(),
                )
            }
        };
        Ok(CustomerFilter {
            q: q.q.clone(),
            template_id: q.template(),
            status: q.status.clone().filter(|s| !s.is_empty()),
            tag: q.tag.clone().filter(|s| !s.is_empty()),
            owner,
            visible_to: (!sees_all(p)).then(|| p.user_id.clone().unwrap_or_default()),
            follow_up,
            now: kefu_store::now_ms(),
            before_id: q.before_id.clone(),
            limit: q.limit.unwrap_or(50).clamp(1, max),
        })
    }

    /// Customers `p` may see, filtered, newest first.
    pub async fn list_customers(
        &self,
        p: &Principal,
        q: &CustomerQuery,
    ) -> AppResult<Vec<Customer>> {
        p.require(Permission::CustomersView)?;
        let f = self.customer_filter(p, q, 500)?;
        let mut conn = self.store.conn().await?;
        let list = customers::list_customers(&mut conn, &p.tenant, &f).await?;
        self.present_all(&mut conn, p, list).await
    }

    pub async fn create_customer(
        &self,
        p: &Principal,
        input: NewCustomerInput,
    ) -> AppResult<Customer> {
        p.require(Permission::CustomersView)?;
        let phone = parse_phone("phone", input.phone.as_deref().unwrap_or(""))?;
        let email = parse_email(input.email.as_deref().unwrap_or(""))?;
        let name = clean_name(&input.name);
        if name.is_empty() && phone.is_none() && email.is_none() {
            return Err(
                ValidationError::new("name", "give a name, a phone number or an e-mail").into(),
            );
        }
        check_notes(&input.notes)?;
        let mut tx = self.store.begin().await?;
        let template = self
            .template_in_tenant(&mut tx, p, &input.template_id)
            .await?;
        let fields = super::check_filed(Some(&template), &input.fields, input.status.trim())?;
        let owner_id = match input.owner_id {
            None => p.user_id.clone(),
            Some(None) => None,
            Some(Some(id)) => {
                if !p.is_user(&id) && !sees_all(p) {
                    return Err(AppError::Forbidden(Permission::CustomersViewAll));
                }
                let id =
                    parse_id("user", &id).map_err(|_| crate::missing_ref("owner_id", "user"))?;
                users::get(&mut tx, &p.tenant, &id)
                    .await?
                    .ok_or_else(|| crate::missing_ref("owner_id", "user"))?;
                Some(id)
            }
        };
        let new = NewCustomer {
            name,
            phone,
            email,
            tags: clean_tags(input.tags),
            notes: input.notes,
            template_id: Some(template.id),
            fields,
            status: input.status.trim().to_string(),
            owner_id,
            source: if p.user_id.is_some() { "manual" } else { "api" }.into(),
            next_follow_up_at: input.next_follow_up_at,
        };
        let created = match customers::insert_unless_duplicate(&mut tx, &p.tenant, &new).await? {
            customers::Deduped::Created(c) => *c,
            customers::Deduped::Duplicate {
                customer_id,
                matched_by,
            } => {
                return Err(AppError::DuplicateCustomer {
                    customer_id,
                    matched_by,
                })
            }
        };
        tx.commit().await?;
        Ok(created)
    }

    /// One customer with conversations and follow-ups (the workbench side
    /// panel, the CRM page). Old ids of merged records lead to the live one.
    pub async fn customer_detail(&self, p: &Principal, id: &str) -> AppResult<CustomerDetail> {
        let mut conn = self.store.conn().await?;
        let (c, access) = self.customer_access(&mut conn, p, id).await?;
        let conversations =
            conversations::conversations_of_customer(&mut conn, &p.tenant, &c.id, 50).await?;
        let follow_ups = customer_history::follow_ups(&mut conn, &p.tenant, &c.id, 100).await?;
        let customer = self.present(&mut conn, p, c, access).await?;
        Ok(CustomerDetail {
            customer,
            conversations,
            follow_ups,
            access: access_name(access).into(),
        })
    }

    pub async fn update_customer(
        &self,
        p: &Principal,
        id: &str,
        patch: CustomerPatch,
    ) -> AppResult<Customer> {
        let mut tx = self.store.begin().await?;
        let (mut c, access) = self.customer_access(&mut tx, p, id).await?;
        if !access.may_edit() {
            return Err(AppError::NotAllowed(
                "claim this customer from the public pool before changing it".into(),
            ));
        }
        // What the viewer was shown: a masked number sent back unchanged (a
        // form saved as a whole) changes nothing.
        let mut shown = c.clone();
        if needs_mask(p, &c, access) {
            let t = match &c.template_id {
                Some(t) => Some(self.template_in_tenant(&mut tx, p, t).await?),
                None => None,
            };
            mask(&mut shown, t.as_ref());
        }
        if let Some(n) = patch.name {
            c.name = clean_name(&n);
        }
        if let Some(ph) = patch
            .phone
            .filter(|ph| !shown.masked || Some(ph) != shown.phone.as_ref())
        {
            c.phone = parse_phone("phone", &ph)?;
        }
        if let Some(e) = patch.email {
            c.email = parse_email(&e)?;
        }
        if let Some(t) = patch.tags {
            c.tags = clean_tags(t);
        }
        if let Some(n) = patch.notes {
            check_notes(&n)?;
            c.notes = n;
        }
        if let Some(t) = patch.template_id {
            c.template_id = match t {
                Some(t) => Some(self.template_in_tenant(&mut tx, p, &t).await?.id),
                None => None,
            };
        }
        if let Some(values) = patch.fields {
            for (k, v) in values {
                if !(shown.masked
                    && shown.fields.get(&k) == Some(&v)
                    && c.fields.get(&k) != Some(&v))
                {
                    c.fields.insert(k, v);
                }
            }
        }
        if let Some(s) = patch.status {
            c.status = s.trim().to_string();
        }
        if let Some(n) = patch.next_follow_up_at {
            c.next_follow_up_at = n;
        }
        let template = match &c.template_id {
            Some(t) => Some(self.template_in_tenant(&mut tx, p, t).await?),
            None => None,
        };
        c.fields = check_filed(template.as_ref(), &c.fields, &c.status)?;
        customers::lock_identity(&mut tx, &p.tenant, c.phone.as_deref(), c.email.as_deref())
            .await?;
        if let Some((other, by)) =
            customers::find_match(&mut tx, &p.tenant, c.phone.as_deref(), c.email.as_deref())
                .await?
                .filter(|(o, _)| o.id != c.id)
        {
            return Err(AppError::DuplicateCustomer {
                customer_id: other.id,
                matched_by: by,
            });
        }
        customers::update_customer(&mut tx, &p.tenant, &c).await?;
        let saved = customers::get_customer(&mut tx, &p.tenant, &c.id)
            .await?
            .ok_or(AppError::NotFound("customer"))?;
        tx.commit().await?;
        let mut conn = self.store.conn().await?;
        self.present(&mut conn, p, saved, access).await
    }

    pub async fn follow_ups(&self, p: &Principal, id: &str) -> AppResult<Vec<FollowUp>> {
        let mut conn = self.store.conn().await?;
        let (c, _) = self.customer_access(&mut conn, p, id).await?;
        Ok(customer_history::follow_ups(&mut conn, &p.tenant, &c.id, 1000).await?)
    }

    /// Record a follow-up (跟进); its next date becomes the customer's plan.
    pub async fn add_follow_up(
        &self,
        p: &Principal,
        id: &str,
        input: FollowUpInput,
    ) -> AppResult<FollowUp> {
        if !["call", "visit", "message", "email", "other"].contains(&input.kind.as_str()) {
            return Err(ValidationError::new(
                "kind",
                "must be call, visit, message, email or other",
            )
            .into());
        }
        let body = input.body.trim();
        if body.is_empty() || body.chars().count() > 2000 {
            return Err(ValidationError::new("body", "must be 1–2000 characters").into());
        }
        let mut tx = self.store.begin().await?;
        let (c, access) = self.customer_access(&mut tx, p, id).await?;
        if !access.may_edit() {
            return Err(AppError::NotAllowed(
                "claim this customer from the public pool before following up".into(),
            ));
        }
        let f = customer_history::add_follow_up(
            &mut tx,
            &p.tenant,
            &c.id,
            &NewFollowUp {
                author_id: p.user_id.as_deref(),
                author_name: &p.name,
                kind: &input.kind,
                body,
                next_follow_up_at: input.next_follow_up_at,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(f)
    }
}
