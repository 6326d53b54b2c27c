//! The scale benchmark of the matcher (`kefu bot bench`): a generated knowledge base
//! ([`crate::synth`]), index build time, answer latency (lexical, and with embeddings on
//! one thread), accuracy on the generated queries, and memory. Reads the model directory
//! and `/proc/self/status` only.

use crate::calibrate::{decide, Decision, Outcome, Thresholds};
use crate::embed::{Embedder, Encoder};
use crate::fusion::{phrasings, Item, ItemScore, Matcher, MatcherConfig, TopPath};
use crate::metrics::percentile;
use crate::synonyms::Synonyms;
use crate::synth::{self, Rng, SynthQuery};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Clone, Debug)]
pub struct BenchOptions {
    pub items: usize,
    /// Texts per item, the standard question included.
    pub phrasings: usize,
    pub queries: usize,
    pub seed: u64,
    /// Model directory: with it, the full answer (query embedding + fused scoring) is
    /// measured too.
    pub model: Option<PathBuf>,
    /// Queries checked against the dense exact ranking (after the timed run).
    pub agreement: usize,
}

/// Peak and current resident memory in MiB (Linux; 0 elsewhere).
pub fn memory_mib() -> (f64, f64) {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = |key: &str| {
        s.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (kb("VmHWM:") / 1024.0, kb("VmRSS:") / 1024.0)
}

struct Run {
    lat: Vec<f64>,
    correct: usize,
    in_scope: usize,
    oos_refused: usize,
    oos: usize,
    tops: Vec<Option<usize>>,
    /// certified in the first round, in a later round, semantic from sketches, dense,
    /// lexical by the fused bound
    paths: [usize; 5],
}

/// The product's default thresholds for this index (lexical confidences run lower).
fn thresholds(m: &Matcher) -> Thresholds {
    if m.has_semantic() {
        Thresholds::default()
    } else {
        Thresholds::LEXICAL
    }
}

/// What the bot does with a question: the search a decision needs.
fn search(m: &Matcher, q: &str, v: Option<&[f32]>, t: Thresholds) -> (Vec<ItemScore>, TopPath) {
    m.score_answer(q, v, &t, |_| true)
}

fn measure(
    m: &Matcher,
    qs: &[SynthQuery],
    mut vector: impl FnMut(&str) -> Option<Vec<f32>>,
) -> Run {
    let t = thresholds(m);
    let mut r = Run {
        lat: Vec::with_capacity(qs.len()),
        correct: 0,
        in_scope: 0,
        oos_refused: 0,
        oos: 0,
        tops: Vec::with_capacity(qs.len()),
        paths: [0; 5],
    };
    for q in qs {
        let start = Instant::now();
        let v = vector(&q.query);
        let (s, path) = search(m, &q.query, v.as_deref(), t);
        let top = s.first().map(|x| x.item);
        let d = decide(s, t);
        r.lat.push(start.elapsed().as_secs_f64() * 1000.0);
        r.tops.push(top);
        r.paths[match path {
            TopPath::Certified { rounds: 1 } => 0,
            TopPath::Certified { .. } => 1,
            TopPath::SketchSemantic { .. } => 2,
            TopPath::Dense => 3,
            TopPath::Fused { .. } => 4,
        }] += 1;
        match q.expected {
            Some(e) => {
                r.in_scope += 1;
                r.correct += usize::from(top == Some(e));
            }
            None => {
                r.oos += 1;
                r.oos_refused += usize::from(matches!(d.outcome, Outcome::NoMatch));
            }
        }
    }
    r
}

fn line(label: &str, r: &Run) -> String {
    format!(
        "{label}: p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms over {} queries; top-1 (at or above the \"did you mean\" threshold) {:.2}% of {} in scope; {:.2}% of {} out-of-scope answered \"no match\" at the product's default thresholds\n  top-k path: {} by the fused bound, {} certified in the first round, {} in a later round, {} with sketch-semantic candidates, {} dense\n",
        percentile(&r.lat, 50.0),
        percentile(&r.lat, 99.0),
        r.lat.iter().copied().fold(0.0, f64::max),
        r.lat.len(),
        100.0 * r.correct as f64 / r.in_scope.max(1) as f64,
        r.in_scope,
        100.0 * r.oos_refused as f64 / r.oos.max(1) as f64,
        r.oos,
        r.paths[4],
        r.paths[0],
        r.paths[1],
        r.paths[2],
        r.paths[3],
    )
}

/// Top-1 and the decision of the fast answers against the dense exact ranking on the first
/// `n` queries (not timed: the dense path scores every phrasing). The same decision means
/// the same outcome with the same confidences (within 1e-5): the answer's, or every
/// suggestion's.
fn agreement(
    m: &Matcher,
    qs: &[SynthQuery],
    r: &Run,
    n: usize,
    mut vector: impl FnMut(&str) -> Option<Vec<f32>>,
) -> String {
    let t = thresholds(m);
    let n = n.min(qs.len());
    let (mut top1, mut same_decision, mut dense_ms) = (0, 0, Vec::new());
    for (q, fast_top) in qs.iter().zip(&r.tops).take(n) {
        let v = vector(&q.query);
        let start = Instant::now();
        let mut dense = m.score(&q.query, v.as_deref());
        dense_ms.push(start.elapsed().as_secs_f64() * 1000.0);
        dense.retain(|s| s.confidence > 0.0 && s.confidence >= t.suggest);
        dense.truncate(t.suggestions);
        top1 += usize::from(dense.first().map(|s| s.item) == *fast_top);
        let (fast, _) = search(m, &q.query, v.as_deref(), t);
        same_decision += usize::from(same_decision_of(decide(fast, t), decide(dense, t)));
    }
    format!(
        "  agreement with the dense exact ranking on the first {n} queries: top-1 item (at or above the \"did you mean\" threshold) {top1}/{n}, the same decision (confidences within 1e-5) {same_decision}/{n}; dense path p50 {:.1} ms, p99 {:.1} ms\n",
        percentile(&dense_ms, 50.0),
        percentile(&dense_ms, 99.0),
    )
}

fn same_decision_of(a: Decision, b: Decision) -> bool {
    let close = |x: &ItemScore, y: &ItemScore| (x.confidence - y.confidence).abs() < 1e-5;
    let at = |d: &Decision, i: usize| d.candidates.iter().find(|c| c.item == i).cloned();
    match (&a.outcome, &b.outcome) {
        (Outcome::NoMatch, Outcome::NoMatch) => true,
        (Outcome::Answer { item: x }, Outcome::Answer { item: y }) => {
            matches!((at(&a, *x), at(&b, *y)), (Some(x), Some(y)) if close(&x, &y))
        }
        (Outcome::Suggest { items: x }, Outcome::Suggest { items: y }) => x.len() == y.len()
            && x.iter().zip(y).all(
                |(x, y)| matches!((at(&a, *x), at(&b, *y)), (Some(x), Some(y)) if close(&x, &y)),
            ),
        _ => false,
    }
}

/// Run the benchmark with a given matcher configuration (to compare search strategies).
pub fn run_with(opt: &BenchOptions, cfg: MatcherConfig) -> Result<String, String> {
    let mut out = String::new();
    let t = Instant::now();
    let kb = synth::knowledge_base(opt.items, opt.phrasings, opt.seed);
    let qs = kb.queries(opt.queries, opt.seed);
    let items: Vec<Item> = kb.items.clone();
    let n_phr = phrasings(&items).len();
    out.push_str(&format!(
        "generated {} items / {} phrasings and {} queries (seed {}) in {:.1} s\n",
        items.len(),
        n_phr,
        qs.len(),
        opt.seed,
        t.elapsed().as_secs_f64()
    ));

    let t = Instant::now();
    let lexical = Matcher::build(items.clone(), Synonyms::default(), cfg.clone(), None)?;
    let (peak, rss) = memory_mib();
    out.push_str(&format!(
        "lexical index build: {:.1} s; RSS {rss:.0} MiB, peak {peak:.0} MiB\n",
        t.elapsed().as_secs_f64(),
    ));
    let lex = measure(&lexical, &qs, |_| None);
    out.push_str(&line("lexical answer (score_top + decide)", &lex));
    out.push_str(&agreement(&lexical, &qs, &lex, opt.agreement, |_| None));
    drop(lexical);

    let Some(model) = &opt.model else {
        out.push_str("full answer with embeddings: skipped (no --model)\n");
        return Ok(out);
    };
    let enc = Encoder::load(model)?;
    let dim = enc.dim();
    // The index vectors: embedding 500,000 phrasings takes hours on two cores (≈ 60/s), so
    // the index holds random unit vectors of the model's dimension. Search cost does not
    // depend on the values; accuracy with real vectors is measured by `kefu bot eval`.
    let t = Instant::now();
    let mut rng = Rng::new(opt.seed ^ 0xe5);
    let vectors: Vec<Vec<f32>> = (0..n_phr)
        .map(|_| {
            let mut v: Vec<f32> = (0..dim).map(|_| rng.unit() - 0.5).collect();
            let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-9);
            v.iter_mut().for_each(|x| *x /= n);
            v
        })
        .collect();
    let t_vec = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let full = Matcher::build(items, Synonyms::default(), cfg, Some(vectors))?;
    let (peak, rss) = memory_mib();
    out.push_str(&format!(
        "index with {n_phr} × {dim} synthetic vectors (made in {t_vec:.1} s): build {:.1} s; RSS {rss:.0} MiB, peak {peak:.0} MiB\n",
        t.elapsed().as_secs_f64()
    ));
    // Warm-up: the first encoder call maps the weights.
    enc.embed(&["warm up"])?;
    let mut embed_ms = Vec::new();
    let run = measure(&full, &qs, |q| {
        let s = Instant::now();
        let v = enc.embed(&[q]).ok().and_then(|mut v| v.pop());
        embed_ms.push(s.elapsed().as_secs_f64() * 1000.0);
        v
    });
    out.push_str(&line(
        "full answer (embed query on 1 thread + fused score_top + decide)",
        &run,
    ));
    out.push_str(&format!(
        "  of which query embedding: p50 {:.2} ms, p99 {:.2} ms (accuracy above is meaningless: synthetic index vectors)\n",
        percentile(&embed_ms, 50.0),
        percentile(&embed_ms, 99.0)
    ));
    // the same query vectors again (embedding is deterministic), not timed
    out.push_str(&agreement(&full, &qs, &run, opt.agreement, |q| {
        enc.embed(&[q]).ok().and_then(|mut v| v.pop())
    }));
    let (peak, _) = memory_mib();
    out.push_str(&format!("peak RSS of the whole run: {peak:.0} MiB\n"));
    Ok(out)
}
