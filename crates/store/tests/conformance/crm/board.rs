//! The customer board: counts that follow its filter.

use super::{new, template};
use crate::people::tenant;
use kefu_store::customers::{self, CustomerFilter, NewCustomer, OwnerFilter};
use kefu_store::Store;

pub(crate) async fn board_counts_follow_the_filter(store: Store) {
    let t = tenant(&store, "crm-board").await;
    let other = tenant(&store, "crm-board-other").await;
    let tpl = template(&store, &t, Some("已成交")).await;
    let role = crate::people::agent_role_or_existing(&store, &t).await;
    let mut c = store.conn().await.unwrap();
    let dept = kefu_store::departments::create(&mut c, &t, "华南销售部", None)
        .await
        .unwrap();
    let seller = kefu_store::users::create(
        &mut c,
        &t,
        "seller",
        "hash",
        &kefu_store::users::UserFields {
            department_id: Some(dept.id.clone()),
            ..crate::people::fields(&role)
        },
    )
    .await
    .unwrap();
    let now = 1_700_000_000_000i64;
    for (name, status, owner, source, next) in [
        ("甲", "新线索", None, "import", None),
        ("乙", "新线索", Some(&seller.id), "manual", Some(now + 1000)),
        ("丙", "跟进中", Some(&seller.id), "manual", Some(now - 1000)),
        ("丁", "已成交", None, "import", None),
    ] {
        customers::insert_customer(
            &mut c,
            &t,
            &NewCustomer {
                template_id: Some(tpl.clone()),
                status: status.into(),
                owner_id: owner.cloned(),
                source: source.into(),
                next_follow_up_at: next,
                ..new(name, None, None)
            },
        )
        .await
        .unwrap();
    }
    customers::insert_customer(&mut c, &other, &new("别家", None, None))
        .await
        .unwrap();
    let all = CustomerFilter {
        now,
        limit: 10,
        ..CustomerFilter::default()
    };
    let b = kefu_store::customer_board::board(&mut c, &t, &all)
        .await
        .unwrap();
    assert_eq!((b.total, b.pool), (4, 2));
    assert_eq!(
        (b.follow_up_on_plan, b.follow_up_overdue, b.follow_up_none),
        (1, 1, 2)
    );
    assert_eq!(
        b.by_status,
        [
            ("新线索".to_string(), 2),
            ("已成交".to_string(), 1),
            ("跟进中".to_string(), 1)
        ]
    );
    assert_eq!(
        b.by_source,
        [("import".to_string(), 2), ("manual".to_string(), 2)]
    );
    let mut depts = b.by_department.clone();
    depts.sort();
    assert_eq!(depts, [(None, 2), (Some(dept.id.clone()), 2)]);
    // The same filter as a list: here, one user's view.
    let mine = CustomerFilter {
        visible_to: Some(seller.id.clone()),
        owner: OwnerFilter::User(seller.id.clone()),
        ..all.clone()
    };
    let b = kefu_store::customer_board::board(&mut c, &t, &mine)
        .await
        .unwrap();
    assert_eq!((b.total, b.pool, b.follow_up_none), (2, 0, 0));
    let b = kefu_store::customer_board::board(&mut c, &other, &all)
        .await
        .unwrap();
    assert_eq!(b.total, 1);
}
