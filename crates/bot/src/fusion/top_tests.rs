//! Property tests: on random small knowledge bases (Chinese and English, with and without
//! vectors) under random edits, the top-k search gives what the dense path gives — the same
//! items in the same order, each signal and the confidence within 1e-5 (items exactly tied
//! with the k-th may differ).

use super::top::Want;
use super::*;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
}

const EN: &[&str] = &[
    "reset", "password", "order", "track", "refund", "card", "declined", "invoice", "address",
    "change", "my", "how", "do", "i", "where", "is", "parcel", "cancel", "account", "login",
    "delivery", "late", "coupon", "points", "member", "return", "item", "broken", "phone",
];
const ZH: &[&str] = &[
    "订单",
    "退款",
    "发票",
    "快递",
    "地址",
    "优惠券",
    "会员",
    "积分",
    "售后",
    "发货",
    "支付",
    "怎么",
    "我的",
    "在哪",
    "查询",
    "修改",
    "申请",
    "取消",
    "物流",
    "换货",
    "保修",
    "开具",
];

fn text(r: &mut Rng, zh: bool) -> String {
    let words = if zh { ZH } else { EN };
    let n = 1 + r.below(5);
    let picked: Vec<&str> = (0..n).map(|_| words[r.below(words.len())]).collect();
    let mut t = picked.join(if zh { "" } else { " " });
    if r.below(4) == 0 {
        // a typo: drop a character
        let cs: Vec<char> = t.chars().collect();
        let at = r.below(cs.len());
        t = cs
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != at)
            .map(|x| x.1)
            .collect();
    }
    t
}

fn item(r: &mut Rng, id: usize, zh: bool) -> Item {
    Item {
        id: format!("i{id}"),
        question: text(r, zh),
        similar: (0..r.below(4)).map(|_| text(r, zh)).collect(),
    }
}

const DIM: usize = 8;

fn unit_near(r: &mut Rng, dir: &[f32], spread: f32) -> Vec<f32> {
    let mut v: Vec<f32> = dir.iter().map(|x| x + spread * (r.unit() - 0.5)).collect();
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-9);
    v.iter_mut().for_each(|x| *x /= n);
    v
}

fn vectors_for(r: &mut Rng, it: &Item, dirs: &mut Vec<Vec<f32>>) -> Vec<Vec<f32>> {
    let dir = if dirs.is_empty() || r.below(3) > 0 {
        let d = unit_near(r, &[0.0; DIM], 2.0);
        dirs.push(d.clone());
        d
    } else {
        dirs[r.below(dirs.len())].clone()
    };
    (0..1 + it.similar.len())
        .map(|_| unit_near(r, &dir, 0.6))
        .collect()
}

fn synonyms(r: &mut Rng) -> Synonyms {
    let mut groups = Vec::new();
    for _ in 0..r.below(3) {
        let zh = r.below(2) == 0;
        let words = if zh { ZH } else { EN };
        groups.push(vec![
            words[r.below(words.len())],
            words[r.below(words.len())],
        ]);
    }
    Synonyms::new(&groups)
}

/// Fast top-k against dense: same confidences in order, same signals for each item; an item
/// may differ from the dense one only where the two are tied.
/// With a `floor`, only the items at or above it count, on both sides. With a finite
/// `answer` (the answer search), when the best reaches it only the best must agree, and the
/// other items returned must be real scores.
#[allow(clippy::too_many_arguments)]
fn check(
    m: &Matcher,
    q: &str,
    qv: Option<&[f32]>,
    k: usize,
    floor: f32,
    answer: f32,
    first_n: usize,
    drop: usize,
) -> TopPath {
    let keep = |slot: usize| drop == 0 || slot % drop != 1;
    let want = Want { k, floor, answer };
    let (fast, path) = m.top_search(q, qv, want, keep, first_n);
    let mut dense = m.score(q, qv);
    dense.retain(|s| s.confidence > 0.0 && s.confidence >= floor && keep(s.item));
    let all = dense.clone();
    dense.truncate(k);
    let only_best = dense.first().is_some_and(|d| d.confidence >= answer);
    if only_best {
        // the best is certain; the rest are whatever was scored on the way
        dense.truncate(1);
        assert!(
            !fast.is_empty() && fast.len() <= k,
            "{q:?} k {k} answer {answer} {path:?}\n{fast:?}\n{dense:?}"
        );
        assert!(fast.windows(2).all(|w| w[0].confidence >= w[1].confidence));
    } else {
        assert_eq!(
            fast.len(),
            dense.len(),
            "{q:?} k {k} n {first_n} answer {answer} {path:?}\n{fast:?}\n{dense:?}"
        );
    }
    for (i, f) in fast.iter().enumerate() {
        if let Some(d) = dense.get(i) {
            assert!(
                (f.confidence - d.confidence).abs() < 1e-5,
                "{q:?} k {k} n {first_n} answer {answer} {path:?}: {f:?} vs {d:?}"
            );
        }
        let same = all
            .iter()
            .find(|s| s.item == f.item)
            .expect("a returned item scores");
        for (a, b) in [
            (f.bm25, same.bm25),
            (f.bm25_item, same.bm25_item),
            (f.ngram, same.ngram),
            (f.pinyin, same.pinyin),
            (f.cos_max, same.cos_max),
            (f.cos_knn, same.cos_knn),
            (f.classifier, same.classifier),
            (f.confidence, same.confidence),
        ] {
            assert!(
                (a - b).abs() < 1e-5,
                "{q:?}: signals differ {f:?} vs {same:?}"
            );
        }
    }
    path
}

fn run(seed: u64, semantic: bool) -> [usize; 4] {
    let mut r = Rng(seed);
    let mut paths = [0usize; 4];
    let zh_share = r.below(3); // 0: English, 1: mixed, 2: Chinese
    let is_zh = |r: &mut Rng| match zh_share {
        0 => false,
        2 => true,
        _ => r.below(2) == 0,
    };
    let n_items = 5 + r.below(120);
    let mut items = Vec::new();
    let mut dirs = Vec::new();
    let mut vecs = Vec::new();
    for i in 0..n_items {
        let zh = is_zh(&mut r);
        let it = item(&mut r, i, zh);
        if semantic {
            vecs.extend(vectors_for(&mut r, &it, &mut dirs));
        }
        items.push(it);
    }
    let mut cfg = MatcherConfig {
        epochs: 2,
        top_k_pruning: r.below(2) == 0,
        fused_lexical_bound: r.below(2) == 0,
        ..Default::default()
    };
    if r.below(2) == 0 {
        // random weights, often a single signal: then nothing else masks a missed candidate
        let mut w = || if r.below(3) == 0 { r.unit() } else { 0.0 };
        cfg.w_bm25 = w();
        cfg.w_bm25_item = w();
        cfg.w_ngram = w();
        cfg.w_pinyin = w();
        cfg.w_cos_max = w();
        cfg.w_cos_knn = w();
        cfg.w_classifier = w();
    }
    let mut m = Matcher::build(
        items.clone(),
        synonyms(&mut r),
        cfg,
        semantic.then_some(vecs),
    )
    .expect("builds");
    let mut next_id = n_items;
    for round in 0..6 {
        if round > 0 {
            for _ in 0..1 + r.below(8) {
                match r.below(5) {
                    0 | 1 => {
                        // a new item, or a replaced one
                        let id = if r.below(2) == 0 {
                            next_id += 1;
                            next_id
                        } else {
                            r.below(next_id)
                        };
                        // now and then the first Chinese item of an English knowledge base
                        // (the pinyin index appears)
                        let zh = is_zh(&mut r) || r.below(6) == 0;
                        let it = item(&mut r, id, zh);
                        let v = semantic.then(|| vectors_for(&mut r, &it, &mut dirs));
                        m.upsert(it, v).expect("upserts");
                    }
                    2 | 3 => {
                        m.remove(&format!("i{}", r.below(next_id)));
                    }
                    _ => {
                        m.set_synonyms(synonyms(&mut r));
                    }
                }
            }
            if semantic && r.below(2) == 0 {
                if let Some(t) = m.training_set() {
                    let lr = train_classifier(&t).expect("trains");
                    assert!(m.install_classifier(lr, t.generation));
                }
            }
        }
        for _ in 0..25 {
            let zh = is_zh(&mut r);
            let q = if r.below(3) == 0 {
                // a phrasing of a live item, maybe with a typo
                let slot = r.below(m.items.len());
                match m.item(slot) {
                    Some(it) if r.below(2) == 0 => it.question.clone(),
                    _ => text(&mut r, zh),
                }
            } else {
                text(&mut r, zh)
            };
            let qv = if semantic && r.below(4) > 0 && !dirs.is_empty() {
                let d = dirs[r.below(dirs.len())].clone();
                Some(unit_near(&mut r, &d, 0.8))
            } else {
                None
            };
            let k = [1, 2, 3, 5][r.below(4)];
            let first_n = [1, 2, 3, 8, 32][r.below(5)];
            let drop = [0, 0, 3][r.below(3)];
            // the floors a decision uses: none, below and at the "did you mean" threshold
            let floor = [0.0, 0.0, 0.15, 0.3][r.below(4)];
            // and the answer search (only the best once it reaches `answer`)
            let answer = [f32::INFINITY, f32::INFINITY, 0.2, 0.4, 0.6][r.below(5)];
            let path = check(&m, &q, qv.as_deref(), k, floor, answer, first_n, drop);
            match path {
                TopPath::Certified { rounds: 1 } => paths[0] += 1,
                TopPath::Certified { .. } => paths[1] += 1,
                TopPath::SketchSemantic { .. } | TopPath::Fused { sketch: true } => {
                    unreachable!("small test sets are exact")
                }
                TopPath::Dense => paths[2] += 1,
                TopPath::Fused { sketch: false } => paths[3] += 1,
            }
        }
    }
    paths
}

#[test]
fn top_k_equals_dense_on_random_lexical_knowledge_bases() {
    let mut paths = [0; 4];
    for seed in 1..=40u64 {
        let p = run(seed * 7919, false);
        (0..4).for_each(|i| paths[i] += p[i]);
    }
    eprintln!("certified in round 1 / later / dense / fused: {paths:?}");
    // the rounds, the fallback and the fused bound are all exercised
    assert!(paths.iter().all(|&p| p > 0), "{paths:?}");
}

#[test]
fn top_k_equals_dense_with_vectors_and_classifier() {
    let mut paths = [0; 4];
    for seed in 1..=12u64 {
        let p = run(seed * 104_729 + 3, true);
        (0..4).for_each(|i| paths[i] += p[i]);
    }
    eprintln!("certified in round 1 / later / dense / fused: {paths:?}");
    // the rounds, the fallback and the fused bound (with and without a vector) are exercised
    assert!(
        paths[0] > 0 && paths[1] > 0 && paths[2] > 0 && paths[3] > 0,
        "{paths:?}"
    );
}

#[test]
fn sketch_candidates_find_a_clear_semantic_match() {
    // 300 items whose phrasings point roughly one way each; the query is near one item's
    // direction and shares no word with the knowledge base.
    let mut r = Rng(99);
    let mut items = Vec::new();
    let mut vecs = Vec::new();
    let mut dirs = Vec::new();
    for i in 0..300 {
        let it = item(&mut r, i, i % 2 == 0);
        let dir = unit_near(&mut r, &[0.0; DIM], 2.0);
        for _ in 0..1 + it.similar.len() {
            vecs.push(unit_near(&mut r, &dir, 0.2));
        }
        dirs.push(dir);
        items.push(it);
    }
    let cfg = MatcherConfig {
        semantic_exact_up_to: 0,
        w_classifier: 0.0,
        ..Default::default()
    };
    let m = Matcher::build(items, Synonyms::default(), cfg, Some(vecs)).expect("builds");
    let mut agree = 0;
    for i in 0..100 {
        let qv = unit_near(&mut r, &dirs[i * 3], 0.1);
        let (fast, path) = m.score_top_where("zzz qqq", Some(&qv), 1, |_| true);
        assert!(
            matches!(
                path,
                TopPath::SketchSemantic { .. } | TopPath::Fused { sketch: true }
            ),
            "{path:?}"
        );
        let dense = m.score("zzz qqq", Some(&qv));
        agree += usize::from(fast.first().map(|s| s.item) == dense.first().map(|s| s.item));
    }
    assert!(
        agree >= 90,
        "sketch top-1 agreed with exact on {agree} of 100"
    );
}

#[test]
fn the_first_chinese_item_gives_every_item_its_pinyin_terms() {
    // An English knowledge base has no pinyin index until a Chinese item arrives; from then
    // on the English items' pinyin n-grams count too, and the search's bound on them (the
    // item signatures) must know it. Pinyin is the only signal here, so nothing masks it.
    let mut r = Rng(7);
    let items: Vec<Item> = (0..300).map(|i| item(&mut r, i, false)).collect();
    let cfg = MatcherConfig {
        w_bm25: 0.0,
        w_bm25_item: 0.0,
        w_ngram: 0.0,
        w_pinyin: 1.0,
        fused_lexical_bound: true,
        ..Default::default()
    };
    let mut m = Matcher::build(items.clone(), Synonyms::default(), cfg, None).expect("builds");
    m.upsert(item(&mut r, 1000, true), None).expect("upserts");
    let mut fused = 0;
    for it in items.iter().take(100) {
        for first_n in [1, 2, 3] {
            let path = check(&m, &it.question, None, 3, 0.0, f32::INFINITY, first_n, 0);
            fused += usize::from(matches!(path, TopPath::Fused { .. }));
        }
    }
    assert!(fused > 0, "the fused search ran");
}

#[test]
fn long_texts_bound_by_norms_stay_exact() {
    // Long questions have dozens of n-grams: what the remaining lists can add to an item is
    // then bounded by the norm of the query weights of the terms it has (its signature),
    // not by the sum of their bounds. The n-gram cosine alone decides, so a bound that is
    // too tight shows.
    let mut r = Rng(11);
    let long = |r: &mut Rng| format!("{} {} {}", text(r, false), text(r, false), text(r, false));
    let items: Vec<Item> = (0..400)
        .map(|i| Item {
            id: format!("i{i}"),
            question: long(&mut r),
            similar: vec![long(&mut r)],
        })
        .collect();
    let cfg = MatcherConfig {
        w_bm25: 0.0,
        w_bm25_item: 0.0,
        w_ngram: 1.0,
        fused_lexical_bound: true,
        ..Default::default()
    };
    let m = Matcher::build(items, Synonyms::default(), cfg, None).expect("builds");
    for _ in 0..150 {
        let q = long(&mut r);
        for first_n in [1, 3, 8] {
            check(&m, &q, None, 3, 0.0, f32::INFINITY, first_n, 0);
        }
    }
}
