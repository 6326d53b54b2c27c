//! `kefu admin seed-customers`: generated customers for benchmarks and demos.
//! They go through the same OneID-checked bulk insert as a CSV import, so a
//! seeded database is shaped like a real one (phone rows for the screen pop,
//! indexes warm in the same way) and a second run adds nothing twice.

use kefu_domain::TenantId;
use kefu_store::customer_bulk::insert_many_unless_duplicate;
use kefu_store::customers::{Deduped, NewCustomer};
use kefu_store::{tenants, Store, TenantScope};
use std::time::Instant;

const BATCH: u64 = 5_000;
const SURNAMES: [&str; 12] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙",
];

/// The generated customer number `i`: phone `139` + 8 digits.
pub fn phone(i: u64) -> String {
    format!("139{:08}", i % 100_000_000)
}

pub async fn customers(store: &Store, tenant: &str, first: u64, count: u64) -> Result<(), String> {
    let mut conn = store.conn().await.map_err(|e| e.to_string())?;
    let t = tenants::find_by_slug_unscoped(&mut conn, tenant)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no tenant {tenant:?}"))?;
    drop(conn);
    let scope = TenantScope::new(TenantId::from_db(t.id));
    let started = Instant::now();
    let (mut created, mut duplicates) = (0u64, 0u64);
    let mut i = first;
    while i < first + count {
        let end = (i + BATCH).min(first + count);
        let rows: Vec<NewCustomer> = (i..end)
            .map(|n| NewCustomer {
                name: format!("{}{}", SURNAMES[(n % 12) as usize], n),
                phone: Some(phone(n)),
                email: (n % 2 == 0).then(|| format!("c{n}@seed.example")),
                tags: vec![["VIP", "老客户", "新客户"][(n % 3) as usize].to_string()],
                source: "seed".into(),
                ..NewCustomer::default()
            })
            .collect();
        let mut tx = store.begin().await.map_err(|e| e.to_string())?;
        for d in insert_many_unless_duplicate(&mut tx, &scope, &rows)
            .await
            .map_err(|e| e.to_string())?
        {
            match d {
                Deduped::Created(_) => created += 1,
                Deduped::Duplicate { .. } => duplicates += 1,
            }
        }
        tx.commit().await.map_err(|e| e.to_string())?;
        i = end;
        if (i - first).is_multiple_of(100_000) {
            eprintln!("  {} of {count} …", i - first);
        }
    }
    // Planner statistics after a bulk load, as after any restore: without
    // them PostgreSQL may scan a million rows for an indexed look-up (and
    // autovacuum, which would analyse later, may be off).
    let mut conn = store.conn().await.map_err(|e| e.to_string())?;
    kefu_store::customers::refresh_statistics(&mut conn)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "seeded {created} customers ({duplicates} already there) in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
