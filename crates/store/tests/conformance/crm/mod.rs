//! Customers (CRM): templates, the public pool, OneID de-duplication and merging.

mod board;
mod merge;
mod oneid;
mod pool;
mod templates;

pub(crate) use board::*;
pub(crate) use merge::*;
pub(crate) use oneid::*;
pub(crate) use pool::*;
pub(crate) use templates::*;

use kefu_domain::crm::FieldDef;
use kefu_store::customer_templates::{self, TemplateFields};
use kefu_store::customers::NewCustomer;
use kefu_store::{Store, TenantScope};

async fn template(store: &Store, t: &TenantScope, hidden: Option<&str>) -> String {
    let mut c = store.conn().await.unwrap();
    let fields: Vec<FieldDef> = serde_json::from_value(serde_json::json!([
        {"key": "level", "label": "等级", "kind": "select", "options": ["VIP", "普通"]},
        {"key": "backup", "label": "备用电话", "kind": "phone"}
    ]))
    .unwrap();
    customer_templates::create(
        &mut c,
        t,
        &TemplateFields {
            name: "零售客户",
            fields: &fields,
            statuses: &["新线索".into(), "跟进中".into(), "已成交".into()],
            pool_hidden_status: hidden,
        },
    )
    .await
    .unwrap()
    .id
}

fn new(name: &str, phone: Option<&str>, email: Option<&str>) -> NewCustomer {
    NewCustomer {
        name: name.into(),
        phone: phone.map(str::to_string),
        email: email.map(str::to_string),
        source: "manual".into(),
        ..NewCustomer::default()
    }
}

fn names(list: &[kefu_store::Customer]) -> Vec<&str> {
    let mut v: Vec<&str> = list.iter().map(|c| c.name.as_str()).collect();
    v.sort();
    v
}
