//! Customers (CRM): one record per person, filed in a template, owned by an
//! agent or lying in the public pool (公海).
//!
//! Who sees a customer: with `customers.view_all`, everyone; otherwise their
//! own, the pool (less each template's hidden status), and those they served
//! in a conversation. Anything else is 404, like another tenant's. Phone numbers
//! of an unowned, filed customer are masked (`138****5678`) unless the viewer
//! holds `pool.phone.view` or served that customer.

pub mod board;
pub mod oneid;
pub mod pool;
pub mod records;
pub mod reminders;
pub mod templates;
pub mod transfer;

use crate::{parse_id, App, AppError, AppResult, Principal};
use kefu_domain::crm::{self, FieldKind};
use kefu_domain::{Email, Permission, ValidationError};
use kefu_store::{customer_templates, customers, Conn, Customer, CustomerTemplate};

/// How the viewer comes to see a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// `customers.view_all` (or supervision).
    All,
    Owner,
    /// Served them in a conversation.
    Served,
    /// Only because the customer is in the public pool.
    Pool,
}

impl Access {
    /// May change the record (a pool customer must be claimed first).
    pub(crate) fn may_edit(self) -> bool {
        self != Access::Pool
    }
}

pub(crate) fn sees_all(p: &Principal) -> bool {
    p.can(Permission::CustomersViewAll) || p.can(Permission::Supervise)
}

impl App {
    /// The live record behind an id (following a merge), and how `p` sees it;
    /// 404 when `p` may not see it at all.
    pub(crate) async fn customer_access(
        &self,
        conn: &mut Conn,
        p: &Principal,
        id: &str,
    ) -> AppResult<(Customer, Access)> {
        p.require(Permission::CustomersView)?;
        let id = parse_id("customer", id)?;
        let mut c = customers::get_customer(conn, &p.tenant, &id)
            .await?
            .ok_or(AppError::NotFound("customer"))?;
        if let Some(live) = c.merged_into.clone() {
            c = customers::get_customer(conn, &p.tenant, &live)
                .await?
                .ok_or(AppError::NotFound("customer"))?;
        }
        let access = self.access_to(conn, p, &c).await?;
        access.map(|a| (c, a)).ok_or(AppError::NotFound("customer"))
    }

    pub(crate) async fn access_to(
        &self,
        conn: &mut Conn,
        p: &Principal,
        c: &Customer,
    ) -> AppResult<Option<Access>> {
        if let Some(me) = p.user_id.as_deref() {
            if c.owner_id.as_deref() == Some(me) {
                return Ok(Some(Access::Owner));
            }
            if customers::served_by(conn, &p.tenant, &c.id, me).await? {
                return Ok(Some(Access::Served));
            }
        }
        if sees_all(p) {
            return Ok(Some(Access::All));
        }
        if customers::is_in_pool(conn, &p.tenant, &c.id).await? {
            return Ok(Some(Access::Pool));
        }
        Ok(None)
    }

    /// The record as this viewer may see it: phone numbers of an unowned,
    /// filed customer masked unless the viewer may see them.
    pub(crate) async fn present(
        &self,
        conn: &mut Conn,
        p: &Principal,
        mut c: Customer,
        access: Access,
    ) -> AppResult<Customer> {
        if needs_mask(p, &c, access) {
            let t = match &c.template_id {
                Some(tid) => customer_templates::get(conn, &p.tenant, tid).await?,
                None => None,
            };
            mask(&mut c, t.as_ref());
        }
        Ok(c)
    }

    /// Present a list that the store already restricted to what `p` may see
    /// (templates read once; "served" asked only where it decides masking).
    pub(crate) async fn present_all(
        &self,
        conn: &mut Conn,
        p: &Principal,
        list: Vec<Customer>,
    ) -> AppResult<Vec<Customer>> {
        if !list.iter().any(|c| needs_mask(p, c, Access::Pool)) {
            return Ok(list);
        }
        let templates = customer_templates::list(conn, &p.tenant).await?;
        let mut out = Vec::with_capacity(list.len());
        for mut c in list {
            if needs_mask(p, &c, Access::Pool) {
                let served = match p.user_id.as_deref() {
                    Some(me) => customers::served_by(conn, &p.tenant, &c.id, me).await?,
                    None => false,
                };
                if !served {
                    let t = templates
                        .iter()
                        .find(|t| Some(&t.id) == c.template_id.as_ref());
                    mask(&mut c, t);
                }
            }
            out.push(c);
        }
        Ok(out)
    }

    pub(crate) async fn template_in_tenant(
        &self,
        conn: &mut Conn,
        p: &Principal,
        id: &str,
    ) -> AppResult<CustomerTemplate> {
        let id = parse_id("customer template", id)
            .map_err(|_| crate::missing_ref("template_id", "customer template"))?;
        customer_templates::get(conn, &p.tenant, &id)
            .await?
            .ok_or_else(|| crate::missing_ref("template_id", "customer template"))
    }
}

/// Would `p` see this customer's phones masked (given how they see it)?
pub(crate) fn needs_mask(p: &Principal, c: &Customer, access: Access) -> bool {
    let unowned = c.owner_id.is_none() && c.template_id.is_some();
    unowned && access != Access::Served && !p.can(Permission::PoolPhoneView)
}

/// Mask the main phone and the template's phone fields (`138****5678`).
pub(crate) fn mask(c: &mut Customer, template: Option<&CustomerTemplate>) {
    c.phone = c.phone.as_deref().map(crm::mask_phone);
    if let Some(t) = template {
        for f in t.fields.iter().filter(|f| f.kind == FieldKind::Phone) {
            if let Some(serde_json::Value::String(s)) = c.fields.get_mut(&f.key) {
                *s = crm::mask_phone(s);
            }
        }
    }
    c.masked = true;
}

/// A phone as OneID stores it; blank is none.
pub(crate) fn parse_phone(field: &'static str, s: &str) -> AppResult<Option<String>> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    crm::normalize_phone(s)
        .map(Some)
        .ok_or_else(|| ValidationError::new(field, "is not a valid phone number").into())
}

pub(crate) fn parse_email(s: &str) -> AppResult<Option<String>> {
    match s.trim() {
        "" => Ok(None),
        e => Ok(Some(Email::parse(e)?.as_str().to_string())),
    }
}

pub(crate) fn clean_tags(tags: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t: String = t.trim().chars().take(30).collect();
        if !t.is_empty() && !out.contains(&t) && out.len() < 30 {
            out.push(t);
        }
    }
    out
}

pub(crate) fn clean_name(s: &str) -> String {
    s.trim().chars().take(100).collect()
}

pub(crate) fn check_notes(s: &str) -> AppResult<()> {
    if s.chars().count() > 5000 {
        return Err(ValidationError::new("notes", "must be at most 5000 characters").into());
    }
    Ok(())
}

/// The template's values and status for a customer, checked against it. With no
/// template there are no values and no status.
pub(crate) fn check_filed(
    template: Option<&CustomerTemplate>,
    values: &serde_json::Map<String, serde_json::Value>,
    status: &str,
) -> AppResult<serde_json::Map<String, serde_json::Value>> {
    let mut errs = Vec::new();
    let defs = template.map(|t| t.fields.as_slice()).unwrap_or(&[]);
    let out = match crm::validate_values(defs, values) {
        Ok(v) => v,
        Err(e) => {
            errs.extend(e);
            Default::default()
        }
    };
    let status_ok =
        status.is_empty() || template.is_some_and(|t| t.statuses.iter().any(|s| s == status));
    if !status_ok {
        errs.push(crm::FieldError::new(
            "status",
            "unknown_status",
            "must be one of the template's statuses",
        ));
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(AppError::InvalidFields(errs))
    }
}
