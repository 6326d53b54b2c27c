//! The public pool (公海): customers filed in a template with no owner. Agents
//! claim them (领取) and release them (释放). Before claiming, phone numbers are
//! masked unless the role has `pool.phone.view`. A template may name one status
//! that hides its pool customers: they are not listed in the pool, cannot be
//! claimed, and are seen only by those who see every customer or served them.

use super::records::CustomerQuery;
use super::Access;
use crate::{audit, json, App, AppError, AppResult, Principal};
use kefu_domain::Permission;
use kefu_store::customer_history::{self, NewFollowUp};
use kefu_store::customers::{self, OwnerFilter};
use kefu_store::Customer;

impl App {
    /// The pool, masked as the viewer's role requires.
    pub async fn customer_pool(
        &self,
        p: &Principal,
        q: &CustomerQuery,
    ) -> AppResult<Vec<Customer>> {
        p.require(Permission::CustomersView)?;
        let mut f = self.customer_filter(p, q, 500)?;
        f.owner = OwnerFilter::Pool;
        f.visible_to = None;
        let mut conn = self.store.conn().await?;
        let list = customers::list_customers(&mut conn, &p.tenant, &f).await?;
        self.present_all(&mut conn, p, list).await
    }

    /// Take a pool customer. 409 `not_in_pool` when someone owns it already.
    pub async fn claim_customer(&self, p: &Principal, id: &str) -> AppResult<Customer> {
        let me = p.require_user()?.to_string();
        let mut tx = self.store.begin().await?;
        let (c, _) = self.customer_access(&mut tx, p, id).await?;
        if c.owner_id.as_deref() == Some(me.as_str()) {
            return Ok(c);
        }
        if !customers::claim(&mut tx, &p.tenant, &c.id, &me).await? {
            return Err(AppError::conflict(
                "not_in_pool",
                "this customer is not in the public pool (someone owns it, or its status is hidden from the pool)",
            ));
        }
        let after = self
            .ownership_changed(&mut tx, p, &c, "customer.claim", "领取 / claimed")
            .await?;
        self.commit_and_present(tx, p, after).await
    }

    /// Put a customer back in the pool: its owner, or someone who sees every
    /// customer. The customer must be filed in a template (the pool is made of
    /// templates' customers).
    pub async fn release_customer(&self, p: &Principal, id: &str) -> AppResult<Customer> {
        let mut tx = self.store.begin().await?;
        let (c, access) = self.customer_access(&mut tx, p, id).await?;
        if access != Access::Owner && !super::sees_all(p) {
            return Err(AppError::NotAllowed(
                "only the customer's owner (or someone who sees every customer) can release it"
                    .into(),
            ));
        }
        if c.owner_id.is_none() {
            return Err(AppError::conflict(
                "not_owned",
                "this customer has no owner to release it from",
            ));
        }
        if c.template_id.is_none() {
            return Err(AppError::conflict(
                "no_template",
                "file the customer in a template before releasing it to the pool",
            ));
        }
        customers::set_owner(&mut tx, &p.tenant, &c.id, None).await?;
        let after = self
            .ownership_changed(
                &mut tx,
                p,
                &c,
                "customer.release",
                "释放到公海 / released to the pool",
            )
            .await?;
        self.commit_and_present(tx, p, after).await
    }

    async fn ownership_changed(
        &self,
        tx: &mut kefu_store::Tx,
        p: &Principal,
        before: &Customer,
        action: &str,
        note: &str,
    ) -> AppResult<Customer> {
        customer_history::add_follow_up(
            tx,
            &p.tenant,
            &before.id,
            &NewFollowUp {
                author_id: p.user_id.as_deref(),
                author_name: &p.name,
                kind: "system",
                body: note,
                next_follow_up_at: None,
            },
        )
        .await?;
        let after = customers::get_customer(tx, &p.tenant, &before.id)
            .await?
            .ok_or(AppError::NotFound("customer"))?;
        audit(
            tx,
            p,
            action,
            "customer",
            Some(&before.id),
            json(&serde_json::json!({"owner_id": before.owner_id})),
            json(&serde_json::json!({"owner_id": after.owner_id})),
        )
        .await?;
        Ok(after)
    }
}

impl App {
    /// Commit, then show the record as the viewer now sees it.
    pub(crate) async fn commit_and_present(
        &self,
        tx: kefu_store::Tx,
        p: &Principal,
        c: Customer,
    ) -> AppResult<Customer> {
        tx.commit().await?;
        let mut conn = self.store.conn().await?;
        let access = self
            .access_to(&mut conn, p, &c)
            .await?
            .unwrap_or(Access::Pool);
        self.present(&mut conn, p, c, access).await
    }
}
