//! Offline evaluation (`kefu bot eval` / `kefu bot eval-pairs`): reads the JSON Lines
//! formats of shared/data/bot, builds the matcher, and reports accuracy, AUROC, the
//! answered-share operating points and latency.

use crate::calibrate::threshold_for_answer_rate;
use crate::classifier::{LogReg, TrainParams};
use crate::embed::{dot, Embedder, Encoder};
use crate::fusion::{phrasings, Item, Matcher, MatcherConfig};
use crate::metrics::{accuracy_at, auroc, best_threshold, percentile};
use crate::ngram::ngrams;
use crate::synonyms::Synonyms;
use crate::tokenize::{normalize, words_of_normalized};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Deserialize)]
struct QueryLine {
    query: String,
    expected: Option<String>,
}

#[derive(Deserialize)]
struct PairLine {
    a: String,
    b: String,
    label: u8,
}

/// Read a JSON Lines file; errors name the file and line.
pub fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>, String> {
    let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))?;
        if line.trim().is_empty() {
            continue;
        }
        out.push(
            serde_json::from_str(&line)
                .map_err(|e| format!("{}:{}: {e}", path.display(), i + 1))?,
        );
    }
    Ok(out)
}

/// Options shared by both evaluations.
#[derive(Clone, Debug, Default)]
pub struct EvalOptions {
    pub model: Option<PathBuf>,
    /// Embedding cache file (speeds up repeated runs over the same knowledge base).
    pub cache: Option<PathBuf>,
    pub config: MatcherConfig,
    /// Print up to this many misclassified in-scope queries (for error analysis).
    pub show_errors: usize,
    /// Embed queries through the cache too (fast repeated tuning runs; the latency reported
    /// then excludes the query embedding).
    pub cache_queries: bool,
}

/// An encoder with an optional on-disk cache of text → vector.
pub struct CachedEmbedder {
    enc: Encoder,
    cache: HashMap<String, Vec<f32>>,
    file: Option<PathBuf>,
}

impl CachedEmbedder {
    pub fn open(model: &Path, cache: Option<&Path>) -> Result<Self, String> {
        let enc = Encoder::load(model)?;
        let mut map = HashMap::new();
        if let Some(c) = cache {
            if let Ok(bytes) = std::fs::read(c) {
                let d = enc.dim();
                let mut p = 0;
                while p + 4 <= bytes.len() {
                    let n = u32::from_le_bytes([bytes[p], bytes[p + 1], bytes[p + 2], bytes[p + 3]])
                        as usize;
                    let end = p + 4 + n + 4 * d;
                    if end > bytes.len() {
                        break;
                    }
                    let text = String::from_utf8_lossy(&bytes[p + 4..p + 4 + n]).into_owned();
                    let v = bytes[p + 4 + n..end]
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                        .collect();
                    map.insert(text, v);
                    p = end;
                }
            }
        }
        Ok(CachedEmbedder {
            enc,
            cache: map,
            file: cache.map(Path::to_path_buf),
        })
    }

    pub fn encoder(&self) -> &Encoder {
        &self.enc
    }

    /// Embed, using and extending the cache.
    pub fn embed_all(&mut self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
        let missing: Vec<&str> = {
            let mut seen = HashSet::new();
            texts
                .iter()
                .copied()
                .filter(|t| !self.cache.contains_key(*t) && seen.insert(*t))
                .collect()
        };
        for chunk in missing.chunks(512) {
            let vecs = self.enc.embed(chunk)?;
            let mut buf = Vec::new();
            for (t, v) in chunk.iter().zip(vecs) {
                buf.extend((t.len() as u32).to_le_bytes());
                buf.extend(t.as_bytes());
                for x in &v {
                    buf.extend(x.to_le_bytes());
                }
                self.cache.insert(t.to_string(), v);
            }
            if let Some(f) = &self.file {
                let mut fh = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(f)
                    .map_err(|e| format!("{}: {e}", f.display()))?;
                fh.write_all(&buf)
                    .map_err(|e| format!("{}: {e}", f.display()))?;
            }
        }
        Ok(texts.iter().map(|t| self.cache[*t].clone()).collect())
    }
}

struct Run {
    top1: f64,
    auroc: Option<f64>,
    points: Vec<(f64, f32, f64, Option<f64>, f64)>, // rate, threshold, answered-accuracy, oos recall, precision
}

fn summarise(conf: &[f32], correct: &[bool], in_scope: &[bool]) -> Run {
    let n_in = in_scope.iter().filter(|&&x| x).count().max(1);
    let top1 = correct.iter().filter(|&&c| c).count() as f64 / n_in as f64;
    let in_conf: Vec<f32> = conf
        .iter()
        .zip(in_scope)
        .filter(|(_, &s)| s)
        .map(|(c, _)| *c)
        .collect();
    let mut points = Vec::new();
    for rate in [0.95, 0.90] {
        let Some(t) = threshold_for_answer_rate(&in_conf, rate) else {
            continue;
        };
        let (mut ans_in, mut ans_ok, mut oos, mut oos_rejected) = (0, 0, 0, 0);
        for i in 0..conf.len() {
            let answered = conf[i] >= t;
            if in_scope[i] {
                if answered {
                    ans_in += 1;
                    ans_ok += correct[i] as usize;
                }
            } else {
                oos += 1;
                oos_rejected += (!answered) as usize;
            }
        }
        let acc = ans_ok as f64 / (ans_in.max(1)) as f64;
        let recall = if oos == 0 {
            None
        } else {
            Some(oos_rejected as f64 / oos as f64)
        };
        let precision = ans_ok as f64 / (ans_in + oos - oos_rejected).max(1) as f64;
        points.push((rate, t, acc, recall, precision));
    }
    Run {
        top1,
        auroc: auroc(conf, in_scope),
        points,
    }
}

fn print_run(label: &str, r: &Run, out: &mut String) {
    let au = r
        .auroc
        .map_or("n/a (no out-of-scope queries)".to_string(), |a| {
            format!("{:.4}", a)
        });
    out.push_str(&format!(
        "[{label}] top-1 accuracy (in-scope, no rejection): {:.2}%\n",
        100.0 * r.top1
    ));
    out.push_str(&format!("[{label}] AUROC in-scope vs out-of-scope: {au}\n"));
    for (rate, t, acc, recall, precision) in &r.points {
        out.push_str(&format!(
            "[{label}] answering {:.0}% of in-scope (threshold {t:.4}): accuracy of in-scope answers {:.2}%, out-of-scope recall {}, precision of all answers {:.2}%\n",
            100.0 * rate,
            100.0 * acc,
            recall.map_or("n/a".to_string(), |r| format!("{:.2}%", 100.0 * r)),
            100.0 * precision
        ));
    }
}

/// `kefu bot eval`: returns the printed report.
pub fn eval_kb(kb: &Path, queries: &Path, opt: &EvalOptions) -> Result<String, String> {
    let items: Vec<Item> = read_jsonl(kb)?;
    let qs: Vec<QueryLine> = read_jsonl(queries)?;
    if items.is_empty() || qs.is_empty() {
        return Err("empty knowledge base or query file".into());
    }
    let index: HashMap<&str, usize> = items
        .iter()
        .enumerate()
        .map(|(i, it)| (it.id.as_str(), i))
        .collect();
    let expected: Vec<Option<usize>> = qs
        .iter()
        .map(|q| match &q.expected {
            None => Ok(None),
            Some(id) => index
                .get(id.as_str())
                .copied()
                .map(Some)
                .ok_or(format!("query expects unknown item {id:?}")),
        })
        .collect::<Result<_, String>>()?;
    let mut out = String::new();
    let t0 = Instant::now();
    let mut emb = match &opt.model {
        Some(m) => Some(CachedEmbedder::open(m, opt.cache.as_deref())?),
        None => None,
    };
    let vectors = match &mut emb {
        Some(e) => {
            let texts: Vec<&str> = phrasings(&items).into_iter().map(|p| p.1).collect();
            Some(e.embed_all(&texts)?)
        }
        None => None,
    };
    let t_embed = t0.elapsed().as_secs_f64();
    let n_items = items.len();
    let n_phr = phrasings(&items).len();
    let t1 = Instant::now();
    let matcher = Matcher::build(items, Synonyms::default(), opt.config.clone(), vectors)?;
    let t_build = t1.elapsed().as_secs_f64();
    out.push_str(&format!(
        "knowledge base: {n_items} items, {n_phr} phrasings; queries: {} ({} out of scope)\n",
        qs.len(),
        expected.iter().filter(|e| e.is_none()).count()
    ));
    out.push_str(&format!(
        "index: embeddings {t_embed:.1}s (cached ones are free), build incl. classifier training {t_build:.1}s\n"
    ));
    let in_scope: Vec<bool> = expected.iter().map(Option::is_some).collect();
    let mut lex = (Vec::new(), Vec::new());
    let mut full = (Vec::new(), Vec::new());
    if let (Some(e), true) = (&mut emb, opt.cache_queries) {
        let texts: Vec<&str> = qs.iter().map(|q| q.query.as_str()).collect();
        e.embed_all(&texts)?;
    }
    let mut lat = Vec::new();
    let mut shown = 0;
    let mut agree_dense = 0;
    for (q, exp) in qs.iter().zip(&expected) {
        let start = Instant::now();
        let qv = match &mut emb {
            Some(e) if opt.cache_queries => Some(e.embed_all(&[q.query.as_str()])?.remove(0)),
            Some(e) => Some(e.encoder().embed(&[q.query.as_str()])?.remove(0)),
            None => None,
        };
        let s = matcher.score_top(&q.query, qv.as_deref(), 1);
        lat.push(start.elapsed().as_secs_f64() * 1000.0);
        let top = s
            .first()
            .map(|x| (x.item, x.confidence))
            .unwrap_or_else(|| no_confidence_top(&matcher));
        if let Some(e) = exp.filter(|&e| e != top.0 && shown < opt.show_errors) {
            shown += 1;
            let name = |i: usize| matcher.item(i).map_or("-", |it| it.question.as_str());
            out.push_str(&format!(
                "error: {:?} expected {:?} got {:?} {:?}\n",
                q.query,
                name(e),
                name(top.0),
                s.first()
            ));
        }
        // the fast path against the dense exact ranking (not timed)
        let dense_top = matcher
            .score(&q.query, qv.as_deref())
            .first()
            .map_or(usize::MAX, |x| x.item);
        agree_dense += usize::from(dense_top == top.0);
        full.0.push(top.1);
        full.1.push(Some(top.0) == *exp);
        if qv.is_some() {
            let l = matcher.score_top(&q.query, None, 1);
            let top = l
                .first()
                .map(|x| (x.item, x.confidence))
                .unwrap_or_else(|| no_confidence_top(&matcher));
            lex.0.push(top.1);
            lex.1.push(Some(top.0) == *exp);
        }
    }
    let label = if emb.is_some() { "fused" } else { "lexical" };
    print_run(label, &summarise(&full.0, &full.1, &in_scope), &mut out);
    if !lex.0.is_empty() {
        print_run(
            "lexical only",
            &summarise(&lex.0, &lex.1, &in_scope),
            &mut out,
        );
    }
    out.push_str(&format!(
        "latency per query ({}): p50 {:.2} ms, p99 {:.2} ms\n",
        if emb.is_some() {
            "query embedding + fused scoring"
        } else {
            "lexical scoring"
        },
        percentile(&lat, 50.0),
        percentile(&lat, 99.0)
    ));
    out.push_str(&format!(
        "top-k search: top-1 equals the dense exact ranking's on {agree_dense} of {} queries\n",
        qs.len()
    ));
    Ok(out)
}

fn word_jaccard(a: &str, b: &str) -> f32 {
    let wa: HashSet<String> = words_of_normalized(&normalize(a)).into_iter().collect();
    let wb: HashSet<String> = words_of_normalized(&normalize(b)).into_iter().collect();
    let inter = wa.intersection(&wb).count() as f32;
    let uni = wa.union(&wb).count().max(1) as f32;
    inter / uni
}

fn gram_cosine(a: &str, b: &str) -> f32 {
    let count = |s: &str| {
        let mut m: HashMap<String, f32> = HashMap::new();
        for g in ngrams(&normalize(s)) {
            *m.entry(g).or_insert(0.0) += 1.0;
        }
        m
    };
    let (ca, cb) = (count(a), count(b));
    let dotp: f32 = ca
        .iter()
        .map(|(g, v)| v * cb.get(g).copied().unwrap_or(0.0))
        .sum();
    let na = ca.values().map(|v| v * v).sum::<f32>().sqrt();
    let nb = cb.values().map(|v| v * v).sum::<f32>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dotp / (na * nb)
    }
}

fn pair_report(label: &str, scores: &[f32], labels: &[bool], half: usize, out: &mut String) {
    let (t, train_acc) = best_threshold(&scores[..half], &labels[..half]).unwrap_or((0.5, 0.0));
    let acc = accuracy_at(&scores[half..], &labels[half..], t);
    let au = auroc(&scores[half..], &labels[half..]).unwrap_or(f64::NAN);
    out.push_str(&format!(
        "[{label}] threshold {t:.4} (first half accuracy {:.2}%) → second half accuracy {:.2}%, AUROC {:.4}\n",
        100.0 * train_acc,
        100.0 * acc,
        au
    ));
}

/// `kefu bot eval-pairs`: thresholds and the small fusion model are fitted on the first
/// half of the file and measured on the second half.
pub fn eval_pairs(pairs: &Path, opt: &EvalOptions, limit: Option<usize>) -> Result<String, String> {
    let mut ps: Vec<PairLine> = read_jsonl(pairs)?;
    if let Some(l) = limit {
        ps.truncate(l);
    }
    if ps.len() < 4 {
        return Err("need at least 4 pairs".into());
    }
    let half = ps.len() / 2;
    let labels: Vec<bool> = ps.iter().map(|p| p.label == 1).collect();
    let jac: Vec<f32> = ps.iter().map(|p| word_jaccard(&p.a, &p.b)).collect();
    let gram: Vec<f32> = ps.iter().map(|p| gram_cosine(&p.a, &p.b)).collect();
    let mut out = format!(
        "pairs: {} ({} positive); fitted on the first {half}, measured on the other {}\n",
        ps.len(),
        labels.iter().filter(|&&l| l).count(),
        ps.len() - half
    );
    pair_report(
        "lexical: character n-gram cosine",
        &gram,
        &labels,
        half,
        &mut out,
    );
    pair_report("lexical: word Jaccard", &jac, &labels, half, &mut out);
    if let Some(m) = &opt.model {
        let mut e = CachedEmbedder::open(m, opt.cache.as_deref())?;
        let texts: Vec<&str> = ps
            .iter()
            .flat_map(|p| [p.a.as_str(), p.b.as_str()])
            .collect();
        let t0 = Instant::now();
        let v = e.embed_all(&texts)?;
        out.push_str(&format!("embeddings: {:.1}s\n", t0.elapsed().as_secs_f64()));
        let cos: Vec<f32> = (0..ps.len())
            .map(|i| dot(&v[2 * i], &v[2 * i + 1]))
            .collect();
        pair_report("embedding cosine", &cos, &labels, half, &mut out);
        // fused: logistic regression on (cosine, n-gram cosine, Jaccard), first half only
        let feats: Vec<Vec<f32>> = (0..ps.len())
            .map(|i| vec![cos[i], gram[i], jac[i]])
            .collect();
        let y: Vec<usize> = labels.iter().map(|&l| l as usize).collect();
        let p = TrainParams {
            epochs: 30,
            learning_rate: 0.5,
            l2: 0.0,
            batch: 32,
            ..Default::default()
        };
        let lr = LogReg::train(&feats[..half], &y[..half], 2, p)?;
        let fused: Vec<f32> = feats.iter().map(|f| lr.predict(f)[1]).collect();
        pair_report(
            "fused (cosine + n-gram + Jaccard, logistic)",
            &fused,
            &labels,
            half,
            &mut out,
        );
        // a learned head: logistic regression on (u·v elementwise, |u−v|, the three scores)
        let head: Vec<Vec<f32>> = (0..ps.len())
            .map(|i| {
                let (a, b) = (&v[2 * i], &v[2 * i + 1]);
                let mut f: Vec<f32> = a.iter().zip(b).map(|(x, y)| x * y * 20.0).collect();
                f.extend(a.iter().zip(b).map(|(x, y)| (x - y).abs() * 5.0));
                f.extend([cos[i] * 5.0, gram[i], jac[i]]);
                f
            })
            .collect();
        let p = TrainParams {
            epochs: 40,
            learning_rate: 0.5,
            l2: 1e-4,
            batch: 16,
            ..Default::default()
        };
        let lr = LogReg::train(&head[..half], &y[..half], 2, p)?;
        let learned: Vec<f32> = head.iter().map(|f| lr.predict(f)[1]).collect();
        pair_report(
            "learned head (u*v, |u-v|, scores; logistic on the first half)",
            &learned,
            &labels,
            half,
            &mut out,
        );
    }
    Ok(out)
}
/// The top of the full ranking when no item scores above 0: every item ties at 0 and the
/// lowest slot comes first (as in [`Matcher::score`]), so the numbers are those of the
/// dense ranking.
fn no_confidence_top(m: &Matcher) -> (usize, f32) {
    let slot = (0..m.slots()).find(|&s| m.item(s).is_some());
    (slot.unwrap_or(usize::MAX), 0.0)
}
