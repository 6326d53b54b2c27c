//! SLA (服务水平) storage: named business calendars, policies per ticket type and
//! priority, the clocks running on tickets (`sla_timers`), the events reports
//! count (`sla_events`), satisfaction surveys, and the tenant's link key.
//!
//! Business-time arithmetic is not done here: the app computes due instants with
//! `kefu_routing::calendar` and stores plain Unix milliseconds.

mod calendars;
mod events;
mod policies;
mod progress;
mod timers;

pub use calendars::*;
pub use events::*;
pub use policies::*;
pub use progress::*;
pub use timers::*;

use crate::{Result, StoreError};
use sqlx::{any::AnyRow, Row};

fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

fn json_col(r: &AnyRow, col: &str) -> Result<serde_json::Value> {
    let s: String = r.try_get(col)?;
    serde_json::from_str(&s).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}
