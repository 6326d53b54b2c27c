//! Follow-up reminders (跟进提醒): when a customer's next follow-up date comes,
//! the owner gets a notification (the list on the tickets page and a frame on
//! their workbench sockets) that links the customer. Once per due date.

use crate::hub::Topic;
use crate::{App, AppResult};
use kefu_domain::TenantId;
use kefu_store::follow_up_reminders::{self as due, DueFollowUp};
use kefu_store::ticket_activity::{self as activity, NewNotification};
use kefu_store::TenantScope;
use serde_json::json;

/// Reminders sent per pass; a backlog drains over the next passes.
const PER_PASS: i64 = 500;

impl App {
    /// Remind the owners of every follow-up due at `now` (explicit, so tests
    /// need no clock). Returns how many reminders were sent.
    pub async fn remind_follow_ups(&self, now: i64) -> AppResult<usize> {
        let mut conn = self.store.conn().await?;
        let found = due::due_unscoped(&mut conn, now, PER_PASS).await?;
        drop(conn);
        let mut sent = 0;
        for d in found {
            if self.remind_one(&d, now).await? {
                sent += 1;
            }
        }
        Ok(sent)
    }

    async fn remind_one(&self, d: &DueFollowUp, now: i64) -> AppResult<bool> {
        let t = TenantScope::new(TenantId::from_db(d.tenant_id.clone()));
        let mut tx = self.store.begin().await?;
        if !due::mark_reminded(&mut tx, &t, &d.customer_id, d.due_at, now).await? {
            return Ok(false);
        }
        let n = activity::notify(
            &mut tx,
            &t,
            &NewNotification {
                user_id: &d.owner_id,
                kind: "follow_up_due",
                ticket_id: None,
                customer_id: Some(&d.customer_id),
                title: &d.name,
                body: "",
            },
        )
        .await?;
        tx.commit().await?;
        self.hub.publish(
            &Topic::Agent(d.owner_id.clone()),
            &json!({"type": "notification", "notification": n,
                    "customer": {"id": d.customer_id, "name": d.name, "due_at": d.due_at}}),
        );
        Ok(true)
    }

    /// Send due reminders every 30 seconds. Runs forever.
    pub async fn run_follow_up_reminders(self) {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(30));
        loop {
            tick.tick().await;
            if let Err(e) = self.remind_follow_ups(kefu_store::now_ms()).await {
                tracing::warn!(error = %e, "follow-up reminders failed");
            }
        }
    }
}
