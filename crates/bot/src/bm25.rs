//! Okapi BM25 over a set of documents, with an inverted index. Scores are also returned
//! normalised by the query's own upper bound so they land in roughly [0, 1] and can be fused.

use std::collections::HashMap;

/// BM25 parameters.
#[derive(Clone, Copy, Debug)]
pub struct Bm25Params {
    pub k1: f32,
    pub b: f32,
}

impl Default for Bm25Params {
    fn default() -> Self {
        Bm25Params { k1: 1.2, b: 0.75 }
    }
}

/// An inverted index over documents made of string terms.
#[derive(Clone, Debug, Default)]
pub struct Bm25 {
    params: Bm25Params,
    vocab: HashMap<String, u32>,
    /// term id → (doc, term frequency)
    postings: Vec<Vec<(u32, u32)>>,
    doc_len: Vec<f32>,
    avg_len: f32,
    idf: Vec<f32>,
}

impl Bm25 {
    pub fn build(docs: &[Vec<String>], params: Bm25Params) -> Self {
        let mut vocab: HashMap<String, u32> = HashMap::new();
        let mut postings: Vec<Vec<(u32, u32)>> = Vec::new();
        let mut doc_len = Vec::with_capacity(docs.len());
        for (d, terms) in docs.iter().enumerate() {
            let mut tf: HashMap<u32, u32> = HashMap::new();
            for t in terms {
                let next = vocab.len() as u32;
                let id = *vocab.entry(t.clone()).or_insert(next);
                if id as usize == postings.len() {
                    postings.push(Vec::new());
                }
                *tf.entry(id).or_insert(0) += 1;
            }
            let mut tf: Vec<_> = tf.into_iter().collect();
            tf.sort_unstable();
            for (id, n) in tf {
                postings[id as usize].push((d as u32, n));
            }
            doc_len.push(terms.len() as f32);
        }
        let n = docs.len().max(1) as f32;
        let avg_len = (doc_len.iter().sum::<f32>() / n).max(1.0);
        let idf = postings
            .iter()
            .map(|p| {
                let df = p.len() as f32;
                ((n - df + 0.5) / (df + 0.5) + 1.0).ln()
            })
            .collect();
        Bm25 {
            params,
            vocab,
            postings,
            doc_len,
            avg_len,
            idf,
        }
    }

    pub fn num_docs(&self) -> usize {
        self.doc_len.len()
    }

    /// The idf a term never seen in the index would get (df = 0).
    fn unseen_idf(&self) -> f32 {
        let n = self.num_docs().max(1) as f32;
        ((n + 0.5) / 0.5 + 1.0).ln()
    }

    /// Raw BM25 scores of every document (dense; zero where no term matched) and the
    /// query's upper bound: sum over distinct query terms of idf·(k1+1).
    pub fn score(&self, query: &[String]) -> (Vec<f32>, f32) {
        let mut scores = vec![0f32; self.num_docs()];
        let mut seen: Vec<&str> = Vec::new();
        let mut bound = 0f32;
        let Bm25Params { k1, b } = self.params;
        for t in query {
            if seen.contains(&t.as_str()) {
                continue;
            }
            seen.push(t);
            let Some(&id) = self.vocab.get(t) else {
                bound += self.unseen_idf() * (k1 + 1.0);
                continue;
            };
            let idf = self.idf[id as usize];
            bound += idf * (k1 + 1.0);
            for &(d, tf) in &self.postings[id as usize] {
                let tf = tf as f32;
                let norm = k1 * (1.0 - b + b * self.doc_len[d as usize] / self.avg_len);
                scores[d as usize] += idf * tf * (k1 + 1.0) / (tf + norm);
            }
        }
        (scores, bound)
    }
}

/// Scores of the documents a query touched: a dense array (zero elsewhere) and the list of
/// touched documents in the order first touched, so that callers visit only those.
pub struct Accum {
    pub score: Vec<f32>,
    pub touched: Vec<u32>,
}

impl Accum {
    pub fn new(n: usize) -> Self {
        Accum {
            score: vec![0f32; n],
            touched: Vec::new(),
        }
    }

    #[inline]
    pub fn add(&mut self, d: u32, v: f32) {
        let s = &mut self.score[d as usize];
        if *s == 0.0 {
            self.touched.push(d);
        }
        *s += v;
    }
}

impl Bm25 {
    /// [`Bm25::score`] into an accumulator: the same sums in the same order, but only the
    /// documents a query term occurs in are visited afterwards. Terms in more than `max_df`
    /// documents are skipped (they still count in the bound); `usize::MAX` skips none.
    pub fn accumulate(&self, query: &[String], max_df: usize, acc: &mut Accum) -> f32 {
        let mut seen: Vec<&str> = Vec::new();
        let mut bound = 0f32;
        let Bm25Params { k1, b } = self.params;
        for t in query {
            if seen.contains(&t.as_str()) {
                continue;
            }
            seen.push(t);
            let Some(&id) = self.vocab.get(t) else {
                bound += self.unseen_idf() * (k1 + 1.0);
                continue;
            };
            let idf = self.idf[id as usize];
            bound += idf * (k1 + 1.0);
            let postings = &self.postings[id as usize];
            if postings.len() > max_df {
                continue;
            }
            for &(d, tf) in postings {
                let tf = tf as f32;
                let norm = k1 * (1.0 - b + b * self.doc_len[d as usize] / self.avg_len);
                acc.add(d, idf * tf * (k1 + 1.0) / (tf + norm));
            }
        }
        bound
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    #[test]
    fn the_document_sharing_rare_terms_wins() {
        let docs = vec![
            doc("reset my password"),
            doc("track my order"),
            doc("my my my"),
        ];
        let ix = Bm25::build(&docs, Bm25Params::default());
        let (s, bound) = ix.score(&doc("how to reset password"));
        assert!(s[0] > s[1] && s[0] > s[2]);
        assert_eq!(s[1], 0.0);
        assert!(bound > s[0]);
    }

    #[test]
    fn idf_matches_the_formula() {
        let docs = vec![doc("a b"), doc("a"), doc("c")];
        let ix = Bm25::build(&docs, Bm25Params { k1: 1.2, b: 0.0 });
        // "b": df = 1, n = 3 → ln((3 - 1 + 0.5) / 1.5 + 1) = ln(8/3); tf = 1, b = 0 → ×1.
        let (s, _) = ix.score(&doc("b"));
        assert!((s[0] - (8.0f32 / 3.0).ln()).abs() < 1e-5);
    }
}
