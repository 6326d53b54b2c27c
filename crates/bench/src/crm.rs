//! `crm`: the CRM at volume, against a server whose tenant was filled with
//! `kefu admin seed-customers --count N` (phones `139` + 8 digits, 0..N).
//!
//! 1. Screen-pop look-ups by phone (`GET /customers/lookup`), one at a time,
//!    90 % hits on seeded customers and 10 % unknown numbers: p50/p99.
//! 2. A CSV import of `--import-rows` rows through `POST /customer-imports`:
//!    8 % duplicates of seeded customers, 1 % repeats within the file, 1 %
//!    bad phone numbers, the rest new. Timed from upload to `done`, and the
//!    server's counts are checked against what the file holds.

use crate::rest::{http_client, Session};
use crate::stats::{fmt_ms, now_ns, percentiles};
use crate::Server;
use clap::Args;
use std::time::{Duration, Instant};

#[derive(Args, Clone, Debug)]
pub struct CrmArgs {
    #[command(flatten)]
    pub server: Server,
    /// How many customers `kefu admin seed-customers` created (from number 0).
    #[arg(long, default_value_t = 1_000_000)]
    pub seeded: u64,
    /// Measured look-ups (after 200 warm-up ones).
    #[arg(long, default_value_t = 5_000)]
    pub lookups: usize,
    /// Rows in the imported CSV file (0 = no import).
    #[arg(long, default_value_t = 100_000)]
    pub import_rows: usize,
    /// A label for the result lines.
    #[arg(long)]
    pub label: Option<String>,
}

/// A small deterministic generator (xorshift64*), so runs are comparable.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

fn seeded_phone(i: u64) -> String {
    format!("139{:08}", i % 100_000_000)
}

pub async fn run(a: CrmArgs) -> Result<(), String> {
    let label = a.label.clone().unwrap_or_else(|| "crm".into());
    let http = http_client();
    let admin = Session::login(
        &http,
        &a.server.url,
        &a.server.tenant,
        &a.server.user,
        &a.server.password,
    )
    .await?;
    if a.seeded == 0 {
        return Err("--seeded must be the number of seeded customers (> 0)".into());
    }
    lookups(&admin, &a, &label).await?;
    if a.import_rows > 0 {
        import(&admin, &a, &label).await?;
    }
    Ok(())
}

async fn lookups(admin: &Session, a: &CrmArgs, label: &str) -> Result<(), String> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut samples = Vec::with_capacity(a.lookups);
    let (mut hits, mut misses) = (0usize, 0usize);
    for n in 0..a.lookups + 200 {
        let known = !rng.next().is_multiple_of(10);
        let phone = if known {
            seeded_phone(rng.next() % a.seeded)
        } else {
            format!("166{:08}", rng.next() % 100_000_000)
        };
        let t0 = now_ns();
        let v = admin
            .get(&format!("/customers/lookup?phone={phone}"))
            .await?;
        let took = now_ns() - t0;
        let found = v["customers"].as_array().map(Vec::len).unwrap_or(0);
        match (known, found) {
            (true, 1) | (false, 0) if n < 200 => {}
            (true, 1) => hits += 1,
            (false, 0) => misses += 1,
            _ => {
                return Err(format!(
                    "look-up of {phone} found {found} customers (expected {})",
                    u8::from(known)
                ))
            }
        }
        if n >= 200 {
            samples.push(took);
        }
    }
    let [p50, p90, p99, max] = fmt_ms(percentiles(&mut samples));
    println!(
        "{label}\tphone look-up\t{} requests ({hits} found, {misses} unknown)\tp50 {p50} ms\tp90 {p90} ms\tp99 {p99} ms\tmax {max} ms",
        a.lookups
    );
    Ok(())
}

async fn import(admin: &Session, a: &CrmArgs, label: &str) -> Result<(), String> {
    // Wall-clock based, so runs against the same database use other numbers.
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64 % 1_000_000)
        .unwrap_or(0);
    let template = admin
        .post(
            "/customer-templates",
            serde_json::json!({"name": format!("bench-import-{run}"), "statuses": ["新线索", "跟进中"]}),
        )
        .await?;
    let template_id = template["id"].as_str().ok_or("template without id")?;

    // The file, and what the server must report for it.
    let mut rng = Rng(0x2545_f491_4f6c_dd1d ^ run);
    let mut csv = String::from("name,phone,email,tags\n");
    let (mut new, mut dups, mut bad) = (0usize, 0usize, 0usize);
    let mut last_new: Option<String> = None;
    for k in 0..a.import_rows {
        let kind = k % 100;
        let (phone, email) = match (kind, &last_new) {
            (0..=7, _) => (seeded_phone(rng.next() % a.seeded), String::new()),
            (8, Some(prev)) => (prev.clone(), String::new()),
            (9, _) => ("12-abc".to_string(), String::new()),
            _ => {
                // 15 + 3 digits of the run + 6 of the row: never a seeded
                // number, unique in the file and (almost always) across runs.
                let p = format!("15{:03}{:06}", run % 1000, k);
                (p, format!("i{run}-{k}@import.example"))
            }
        };
        match kind {
            0..=7 => dups += 1,
            8 if last_new.is_some() => dups += 1,
            9 => bad += 1,
            _ => {
                new += 1;
                last_new = Some(phone.clone());
            }
        }
        csv += &format!("导入{k},{phone},{email},bench\n");
    }
    let bytes = csv.len();
    let started = Instant::now();
    let r = admin
        .raw_post(
            &format!("/customer-imports?template_id={template_id}&background=true"),
            "text/csv",
            csv,
        )
        .await?;
    let id = r["id"].as_str().ok_or("import without id")?.to_string();
    let done = loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let v = admin.get(&format!("/customer-imports/{id}")).await?;
        match v["status"].as_str() {
            Some("running") => continue,
            Some("done") => break v,
            _ => return Err(format!("import failed: {}", v["error"])),
        }
    };
    let secs = started.elapsed().as_secs_f64();
    let got = |k: &str| done[k].as_i64().unwrap_or(-1) as usize;
    if (got("created"), got("duplicates"), got("errors")) != (new, dups, bad) {
        return Err(format!(
            "import counts differ from the file: server created/duplicates/errors {}/{}/{}, file {new}/{dups}/{bad}",
            got("created"),
            got("duplicates"),
            got("errors")
        ));
    }
    println!(
        "{label}\timport\t{} rows ({:.1} MB): {new} created, {dups} duplicates, {bad} errors\t{secs:.1} s\t{:.0} rows/s",
        a.import_rows,
        bytes as f64 / 1e6,
        a.import_rows as f64 / secs
    );
    Ok(())
}
