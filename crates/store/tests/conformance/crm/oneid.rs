//! OneID de-duplication: by phone, then e-mail, one record per person even
//! under concurrency, and the bulk import reaching the same verdicts.

use super::{names, new, template};
use crate::people::tenant;
use kefu_store::customer_history;
use kefu_store::customers::{self, CustomerFilter, Deduped, NewCustomer};
use kefu_store::Store;

pub(crate) async fn oneid_never_imports_a_duplicate(store: Store) {
    let t = tenant(&store, "crm-oneid").await;
    let other = tenant(&store, "crm-oneid-other").await;
    let mut c = store.conn().await.unwrap();
    let first = customers::insert_customer(
        &mut c,
        &t,
        &new("赵六", Some("13900001111"), Some("zhao@example.cn")),
    )
    .await
    .unwrap();

    // One batch, as an import runs it: existing matches and repeats within the
    // batch are both reported, not written.
    let mut tx = store.begin().await.unwrap();
    let mut outcomes = Vec::new();
    for row in [
        new("赵六 (重复)", Some("13900001111"), None),
        new("赵 by mail", Some("13700000000"), Some("zhao@example.cn")),
        new("钱七", Some("13622223333"), None),
        new("钱七 again", Some("13622223333"), Some("qian@example.cn")),
        new("孙八", None, None),
    ] {
        outcomes.push(
            customers::insert_unless_duplicate(&mut tx, &t, &row)
                .await
                .unwrap(),
        );
    }
    tx.commit().await.unwrap();
    let dup = |o: &Deduped| match o {
        Deduped::Duplicate {
            customer_id,
            matched_by,
        } => Some((customer_id.clone(), *matched_by)),
        Deduped::Created(_) => None,
    };
    assert_eq!(dup(&outcomes[0]), Some((first.id.clone(), "phone")));
    assert_eq!(dup(&outcomes[1]), Some((first.id.clone(), "email")));
    let Deduped::Created(qian) = &outcomes[2] else {
        panic!("钱七 is new")
    };
    assert_eq!(dup(&outcomes[3]), Some((qian.id.clone(), "phone")));
    assert!(matches!(outcomes[4], Deduped::Created(_)));
    let all = customers::list_customers(
        &mut c,
        &t,
        &CustomerFilter {
            limit: 100,
            ..CustomerFilter::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(names(&all), ["孙八", "赵六", "钱七"]);

    // Look-ups find by phone, e-mail and channel user id, in the tenant only.
    assert_eq!(
        customers::find_by_phone(&mut c, &t, "13900001111")
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        customers::find_by_email(&mut c, &t, "qian@example.cn")
            .await
            .unwrap()
            .len(),
        0,
        "a duplicate row's e-mail was not written anywhere"
    );
    assert!(customers::find_by_phone(&mut c, &other, "13900001111")
        .await
        .unwrap()
        .is_empty());
    // The same person in another tenant is a different customer there.
    assert!(matches!(
        customers::insert_unless_duplicate(&mut c, &other, &new("赵六", Some("13900001111"), None))
            .await
            .unwrap(),
        Deduped::Created(_)
    ));
    // The screen pop also finds a number kept in a template's phone field.
    let tpl = template(&store, &t, None).await;
    let mut fields = serde_json::Map::new();
    fields.insert("backup".into(), "13900001111".into());
    let shared = customers::insert_customer(
        &mut c,
        &t,
        &NewCustomer {
            template_id: Some(tpl),
            fields,
            ..new("前台总机", Some("01088886666"), None)
        },
    )
    .await
    .unwrap();
    let mut both: Vec<String> = customers::find_by_any_phone(&mut c, &t, "13900001111")
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    both.sort();
    let mut want = vec![first.id.clone(), shared.id.clone()];
    want.sort();
    assert_eq!(both, want);
    assert_eq!(
        customers::find_by_phone(&mut c, &t, "13900001111")
            .await
            .unwrap()
            .len(),
        1,
        "duplicates are judged on the main phone only"
    );
    assert!(customers::find_by_any_phone(&mut c, &other, "01088886666")
        .await
        .unwrap()
        .is_empty());
    // A merged-away record is no match.
    let twin = customers::insert_customer(&mut c, &t, &new("赵六 twin", Some("13900001111"), None))
        .await
        .unwrap();
    customer_history::merge(&mut c, &t, &first.id, &twin.id)
        .await
        .unwrap();
    let found = customers::find_by_phone(&mut c, &t, "13900001111")
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].id, first.id);
    assert_eq!(
        customers::find_by_any_phone(&mut c, &t, "13900001111")
            .await
            .unwrap()
            .len(),
        2,
        "the merged twin is not found by its number"
    );
    // A number only the merged-away record had still finds the person.
    let other_twin = customers::insert_customer(
        &mut c,
        &t,
        &new("赵六 旧号", Some("13900002222"), Some("old@example.cn")),
    )
    .await
    .unwrap();
    customer_history::merge(&mut c, &t, &first.id, &other_twin.id)
        .await
        .unwrap();
    for found in [
        customers::find_by_phone(&mut c, &t, "13900002222")
            .await
            .unwrap(),
        customers::find_by_any_phone(&mut c, &t, "13900002222")
            .await
            .unwrap(),
        customers::find_by_email(&mut c, &t, "old@example.cn")
            .await
            .unwrap(),
    ] {
        let ids: Vec<&str> = found.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, [first.id.as_str()]);
    }
    assert!(matches!(
        customers::insert_unless_duplicate(&mut c, &t, &new("又来", Some("13900002222"), None))
            .await
            .unwrap(),
        Deduped::Duplicate { ref customer_id, .. } if customer_id == &first.id
    ));
}

pub(crate) async fn concurrent_creates_of_one_person_make_one_customer(store: Store) {
    let t = tenant(&store, "crm-race").await;
    let attempt = |name: &'static str| {
        let store = store.clone();
        let t = t.clone();
        async move {
            let mut tx = store.begin().await.unwrap();
            let out = customers::insert_unless_duplicate(
                &mut tx,
                &t,
                &new(name, Some("13512345678"), None),
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            matches!(out, Deduped::Created(_))
        }
    };
    let handles: Vec<_> = ["一", "二", "三", "四"]
        .into_iter()
        .map(|n| tokio::spawn(attempt(n)))
        .collect();
    let mut created = 0;
    for h in handles {
        created += usize::from(h.await.unwrap());
    }
    assert_eq!(created, 1, "exactly one transaction creates the customer");
    let mut c = store.conn().await.unwrap();
    assert_eq!(
        customers::find_by_phone(&mut c, &t, "13512345678")
            .await
            .unwrap()
            .len(),
        1
    );
}

/// The import writes in batches (`customer_bulk`): one batch must reach the
/// same verdicts as checking row by row — phone before e-mail, a merged-away
/// record's number leads to the record it went into, repeats within the batch
/// count, and a created row is findable by the screen pop at once.
pub(crate) async fn bulk_import_follows_the_oneid_rules(store: Store) {
    let t = tenant(&store, "crm-bulk").await;
    let mut c = store.conn().await.unwrap();
    let x = customers::insert_customer(
        &mut c,
        &t,
        &new("老客户", Some("13800000001"), Some("x@example.cn")),
    )
    .await
    .unwrap();
    let y = customers::insert_customer(&mut c, &t, &new("保留", Some("13800000003"), None))
        .await
        .unwrap();
    let m = customers::insert_customer(&mut c, &t, &new("并走", Some("13800000002"), None))
        .await
        .unwrap();
    customer_history::merge(&mut c, &t, &y.id, &m.id)
        .await
        .unwrap();

    let rows = [
        new("r0", Some("13800000001"), None),
        new("r1", Some("13800000009"), Some("x@example.cn")),
        new("r2", Some("13800000002"), None),
        new("r3", Some("13800000004"), None),
        new("r4", Some("13800000004"), Some("r4@example.cn")),
        new("r5", Some("13800000005"), Some("r5@example.cn")),
        new("r6", Some("13800000006"), Some("r5@example.cn")),
        new("r7", None, None),
    ];
    let mut tx = store.begin().await.unwrap();
    let out = kefu_store::customer_bulk::insert_many_unless_duplicate(&mut tx, &t, &rows)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(out.len(), rows.len(), "one outcome per row");
    let created = |i: usize| match &out[i] {
        Deduped::Created(c) => c.id.clone(),
        other => panic!("row {i} should be new, got {other:?}"),
    };
    let dup = |i: usize| match &out[i] {
        Deduped::Duplicate {
            customer_id,
            matched_by,
        } => (customer_id.clone(), *matched_by),
        other => panic!("row {i} should be a duplicate, got {other:?}"),
    };
    assert_eq!(dup(0), (x.id.clone(), "phone"));
    assert_eq!(
        dup(1),
        (x.id.clone(), "email"),
        "a new phone, a known e-mail"
    );
    assert_eq!(
        dup(2),
        (y.id.clone(), "phone"),
        "merged number → the record kept"
    );
    let r3 = created(3);
    assert_eq!(dup(4), (r3.clone(), "phone"), "a repeat within the batch");
    let r5 = created(5);
    assert_eq!(dup(6), (r5, "email"));
    created(7);

    let pop = customers::find_by_any_phone(&mut c, &t, "13800000004")
        .await
        .unwrap();
    assert_eq!(pop.len(), 1);
    assert_eq!(pop[0].id, r3);
    assert_eq!(pop[0].name, "r3");
    let all = customers::list_customers(
        &mut c,
        &t,
        &CustomerFilter {
            limit: 100,
            ..CustomerFilter::default()
        },
    )
    .await
    .unwrap();
    // x, y and the three created rows (m is merged away).
    assert_eq!(all.len(), 5);
}
