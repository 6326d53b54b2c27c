//! Customer templates: per tenant, kept while customers use them.

use super::{new, template};
use crate::people::tenant;
use kefu_store::customer_templates;
use kefu_store::customers::{self, NewCustomer};
use kefu_store::{Store, StoreError};

pub(crate) async fn templates_are_tenant_scoped_and_kept_while_used(store: Store) {
    let t = tenant(&store, "crm-tpl").await;
    let other = tenant(&store, "crm-tpl-other").await;
    let tpl = template(&store, &t, Some("已成交")).await;
    let mut c = store.conn().await.unwrap();
    let got = customer_templates::get(&mut c, &t, &tpl)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.fields[0].key, "level");
    assert_eq!(got.pool_hidden_status.as_deref(), Some("已成交"));
    assert!(customer_templates::get(&mut c, &other, &tpl)
        .await
        .unwrap()
        .is_none());
    assert!(customer_templates::list(&mut c, &other)
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        customer_templates::delete(&mut c, &other, &tpl).await,
        Err(StoreError::NotFound)
    ));
    customers::insert_customer(
        &mut c,
        &t,
        &NewCustomer {
            template_id: Some(tpl.clone()),
            ..new("在用", None, None)
        },
    )
    .await
    .unwrap();
    assert!(matches!(
        customer_templates::delete(&mut c, &t, &tpl).await,
        Err(StoreError::Reference)
    ));
}
