//! Knowledge base (知识库): the three-level limit, refusing to delete a category
//! in use, tenant isolation, and phrasings replaced as a whole.

use super::people::tenant;
use kefu_store::knowledge::{self, ItemFields};
use kefu_store::{Store, StoreError};
use serde_json::json;

fn fields<'a>(
    category_id: &'a str,
    question: &'a str,
    similar: &'a [String],
    answer: &'a serde_json::Value,
) -> ItemFields<'a> {
    ItemFields {
        category_id,
        question,
        similar,
        answer,
        enabled: true,
        valid_from: None,
        valid_to: Some(2_000_000_000_000),
    }
}

pub(crate) async fn knowledge_categories_nest_three_levels(store: Store) {
    let t = tenant(&store, "kb-levels").await;
    let mut c = store.conn().await.unwrap();
    let a = knowledge::create_category(&mut c, &t, "售后", None)
        .await
        .unwrap();
    let b = knowledge::create_category(&mut c, &t, "退货", Some(&a.id))
        .await
        .unwrap();
    let cc = knowledge::create_category(&mut c, &t, "运费", Some(&b.id))
        .await
        .unwrap();
    assert_eq!((a.depth, b.depth, cc.depth), (1, 2, 3));
    let err = knowledge::create_category(&mut c, &t, "第四层", Some(&cc.id))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Invalid {
                field: "parent_id",
                ..
            }
        ),
        "{err:?}"
    );
    // The same name may repeat under another parent, not under the same one.
    knowledge::create_category(&mut c, &t, "运费", Some(&a.id))
        .await
        .unwrap();
    let dup = knowledge::create_category(&mut c, &t, "售后", None)
        .await
        .unwrap_err();
    assert!(matches!(dup, StoreError::Conflict), "{dup:?}");
    // A category with children cannot move; a leaf can, within the limit.
    let moved = knowledge::update_category(&mut c, &t, &b.id, "退货", None).await;
    assert!(
        matches!(moved, Err(StoreError::Invalid { .. })),
        "{moved:?}"
    );
    let leaf = knowledge::update_category(&mut c, &t, &cc.id, "运费险", Some(&a.id))
        .await
        .unwrap();
    assert_eq!((leaf.depth, leaf.name.as_str()), (2, "运费险"));
    let found = knowledge::find_category(&mut c, &t, "退货", Some(&a.id))
        .await
        .unwrap();
    assert_eq!(found.map(|f| f.id), Some(b.id));
}

pub(crate) async fn knowledge_category_in_use_is_kept(store: Store) {
    let t = tenant(&store, "kb-in-use").await;
    let mut c = store.conn().await.unwrap();
    let top = knowledge::create_category(&mut c, &t, "账户", None)
        .await
        .unwrap();
    let sub = knowledge::create_category(&mut c, &t, "密码", Some(&top.id))
        .await
        .unwrap();
    let answer = json!({"text": "点击忘记密码"});
    let item = knowledge::create_item(&mut c, &t, &fields(&sub.id, "忘记密码怎么办", &[], &answer))
        .await
        .unwrap();
    let r = knowledge::delete_category(&mut c, &t, &top.id).await;
    assert!(matches!(r, Err(StoreError::Reference)), "{r:?}");
    let r = knowledge::delete_category(&mut c, &t, &sub.id).await;
    assert!(matches!(r, Err(StoreError::Reference)), "{r:?}");
    knowledge::delete_item(&mut c, &t, &item.id).await.unwrap();
    knowledge::delete_category(&mut c, &t, &sub.id)
        .await
        .unwrap();
    knowledge::delete_category(&mut c, &t, &top.id)
        .await
        .unwrap();
    assert!(knowledge::list_categories(&mut c, &t)
        .await
        .unwrap()
        .is_empty());
}

pub(crate) async fn knowledge_is_tenant_scoped(store: Store) {
    let a = tenant(&store, "kb-a").await;
    let b = tenant(&store, "kb-b").await;
    let mut c = store.conn().await.unwrap();
    let cat = knowledge::create_category(&mut c, &a, "物流", None)
        .await
        .unwrap();
    let answer = json!({"text": "三天内发货"});
    let sim = vec!["几天发货".to_string()];
    let item = knowledge::create_item(&mut c, &a, &fields(&cat.id, "什么时候发货", &sim, &answer))
        .await
        .unwrap();
    let syn = knowledge::create_synonyms(&mut c, &a, &["快递".into(), "物流".into()])
        .await
        .unwrap();
    // B cannot see, change, delete or file into A's records.
    assert!(knowledge::get_category(&mut c, &b, &cat.id)
        .await
        .unwrap()
        .is_none());
    assert!(knowledge::get_item(&mut c, &b, &item.id)
        .await
        .unwrap()
        .is_none());
    assert!(knowledge::get_synonyms(&mut c, &b, &syn.id)
        .await
        .unwrap()
        .is_none());
    assert!(knowledge::list_items(&mut c, &b, None)
        .await
        .unwrap()
        .is_empty());
    assert!(knowledge::list_categories(&mut c, &b)
        .await
        .unwrap()
        .is_empty());
    assert!(knowledge::list_synonyms(&mut c, &b)
        .await
        .unwrap()
        .is_empty());
    assert!(knowledge::create_category(&mut c, &b, "x", Some(&cat.id))
        .await
        .is_err());
    assert!(
        knowledge::create_item(&mut c, &b, &fields(&cat.id, "q", &[], &answer))
            .await
            .is_err()
    );
    let upd =
        knowledge::update_item(&mut c, &b, &item.id, &fields(&cat.id, "q", &[], &answer)).await;
    assert!(upd.is_err());
    assert!(
        knowledge::update_synonyms(&mut c, &b, &syn.id, &["x".into()])
            .await
            .is_err()
    );
    assert!(matches!(
        knowledge::delete_item(&mut c, &b, &item.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(knowledge::delete_synonyms(&mut c, &b, &syn.id)
        .await
        .is_err());
    assert!(knowledge::delete_category(&mut c, &b, &cat.id)
        .await
        .is_err());
    // A's records are untouched.
    assert_eq!(
        knowledge::get_item(&mut c, &a, &item.id).await.unwrap(),
        Some(item)
    );
    assert_eq!(
        knowledge::list_synonyms(&mut c, &a).await.unwrap(),
        vec![syn]
    );
}

pub(crate) async fn knowledge_phrasings_are_replaced_whole(store: Store) {
    let t = tenant(&store, "kb-phrasings").await;
    let mut c = store.conn().await.unwrap();
    let cat = knowledge::create_category(&mut c, &t, "支付", None)
        .await
        .unwrap();
    let answer = json!({"text": "支持微信和支付宝", "rich": {"buttons": ["微信", "支付宝"]}});
    let first = vec![
        "能用微信吗".to_string(),
        "支付宝可以吗".to_string(),
        "怎么付钱".to_string(),
    ];
    let item = knowledge::create_item(
        &mut c,
        &t,
        &fields(&cat.id, "支持哪些支付方式", &first, &answer),
    )
    .await
    .unwrap();
    assert_eq!(item.similar, first);
    assert_eq!(item.answer, answer);
    assert_eq!(item.valid_to, Some(2_000_000_000_000));
    let second = vec!["可以刷卡吗".to_string()];
    let updated = knowledge::update_item(
        &mut c,
        &t,
        &item.id,
        &fields(&cat.id, "支付方式", &second, &answer),
    )
    .await
    .unwrap();
    assert_eq!(updated.similar, second);
    assert_eq!(updated.question, "支付方式");
    // A failed update (unknown category) changes nothing, phrasings included.
    let third = vec!["a".to_string(), "b".to_string()];
    let bad = knowledge::update_item(
        &mut c,
        &t,
        &item.id,
        &fields("no-such", "x", &third, &answer),
    )
    .await;
    assert!(bad.is_err());
    let listed = knowledge::list_items(&mut c, &t, Some(&cat.id))
        .await
        .unwrap();
    assert_eq!(listed, vec![updated]);
    let disabled = ItemFields {
        enabled: false,
        ..fields(&cat.id, "支付方式", &[], &answer)
    };
    let off = knowledge::update_item(&mut c, &t, &item.id, &disabled)
        .await
        .unwrap();
    assert!(!off.enabled);
    assert!(off.similar.is_empty());
}

/// The import's batch path: many rows in a few statements, all or nothing; the row path
/// then tells which row the database refuses.
pub(crate) async fn knowledge_import_batch_is_all_or_nothing(store: Store) {
    use std::collections::HashMap;
    let t = tenant(&store, "kb-batch").await;
    let other = tenant(&store, "kb-batch-other").await;
    let mut c = store.conn().await.unwrap();
    let answer = json!({"text": "七天无理由"});
    // Leaked so that the rows' borrows outlive the helper below (a test, once).
    let sim_a: &'static [String] = Vec::leak(vec!["我想退货".to_string(), "退货流程".to_string()]);
    let sim_b: &'static [String] = Vec::leak((0..2500).map(|i| format!("发票问法{i}")).collect());
    let row =
        |names: Vec<&'static str>, q: &'static str, sim: &'static [String]| knowledge::ImportRow {
            names,
            fields: ItemFields {
                category_id: "",
                ..fields("", q, sim, &answer)
            },
        };
    // A path the cache maps to a category that does not exist: the database refuses it.
    let mut cache: HashMap<String, String> =
        HashMap::from([("坏".to_string(), "no-such-category".to_string())]);
    let rows = vec![
        row(vec!["售后", "退货"], "怎么退货", sim_a),
        row(vec!["坏"], "坏行", sim_a),
    ];
    let mut tx = store.begin().await.unwrap();
    assert!(knowledge::import_batch(&mut tx, &t, &rows, &mut cache)
        .await
        .is_err());
    assert_eq!(cache.len(), 1, "the cache keeps nothing of a refused batch");
    // The transaction goes on; row by row, the good row goes in and the bad one is named.
    let names: Vec<&str> = rows[0].names.clone();
    let (_, created) = knowledge::import_item(&mut tx, &t, &names, &mut cache, &rows[0].fields)
        .await
        .unwrap();
    assert_eq!(created, 2);
    assert!(
        knowledge::import_item(&mut tx, &t, &rows[1].names, &mut cache, &rows[1].fields)
            .await
            .is_err()
    );
    tx.commit().await.unwrap();
    let items = knowledge::list_items(&mut c, &t, None).await.unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].similar, sim_a);

    // A good batch: paths shared between rows are created once, phrasings kept in order
    // (more than one statement's worth), nothing lands in another tenant.
    let mut cache = HashMap::new();
    let rows = vec![
        row(vec!["财务", "发票"], "怎么开发票", sim_b),
        row(vec!["财务", "发票"], "发票抬头", sim_a),
        row(vec!["财务"], "对公转账", &[]),
    ];
    let mut tx = store.begin().await.unwrap();
    let created = knowledge::import_batch(&mut tx, &t, &rows, &mut cache)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(created, 2);
    assert_eq!(cache.len(), 2);
    let cats = knowledge::list_categories(&mut c, &t).await.unwrap();
    let paths = knowledge::category_paths(&cats);
    let items = knowledge::list_items(&mut c, &t, None).await.unwrap();
    assert_eq!(items.len(), 4);
    let by_q = |q: &str| items.iter().find(|i| i.question == q).unwrap().clone();
    assert_eq!(by_q("怎么开发票").similar, sim_b);
    assert_eq!(paths[&by_q("发票抬头").category_id], "财务/发票");
    assert_eq!(paths[&by_q("对公转账").category_id], "财务");
    assert_eq!(by_q("对公转账").valid_to, Some(2_000_000_000_000));
    assert!(knowledge::list_items(&mut c, &other, None)
        .await
        .unwrap()
        .is_empty());
}
