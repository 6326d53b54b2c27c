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

/// An inverted index over documents made of string terms. Documents can be added, replaced
/// and removed after the build (a knowledge edit touches only its own documents); idf and the
/// average length are computed from the live documents at query time, so the scores after
/// any sequence of edits are exactly those of an index built from scratch.
#[derive(Clone, Debug, Default)]
pub struct Bm25 {
    params: Bm25Params,
    vocab: HashMap<String, u32>,
    /// term id → (doc, term frequency), in no particular order
    postings: Vec<Vec<(u32, u32)>>,
    /// doc → its distinct term ids (to remove it again)
    doc_terms: Vec<Vec<u32>>,
    doc_len: Vec<f32>,
    alive: Vec<bool>,
    live: usize,
    total_len: f32,
}

impl Bm25 {
    pub fn build(docs: &[Vec<String>], params: Bm25Params) -> Self {
        let mut ix = Bm25 {
            params,
            ..Default::default()
        };
        for d in docs {
            ix.push(d);
        }
        ix
    }

    /// Add a document; returns its number.
    pub fn push(&mut self, terms: &[String]) -> usize {
        let d = self.doc_len.len();
        self.doc_len.push(0.0);
        self.doc_terms.push(Vec::new());
        self.alive.push(true);
        self.live += 1;
        self.fill(d, terms);
        d
    }

    fn fill(&mut self, d: usize, terms: &[String]) {
        let mut tf: HashMap<u32, u32> = HashMap::new();
        for t in terms {
            let next = self.vocab.len() as u32;
            let id = *self.vocab.entry(t.clone()).or_insert(next);
            if id as usize == self.postings.len() {
                self.postings.push(Vec::new());
            }
            *tf.entry(id).or_insert(0) += 1;
        }
        let mut tf: Vec<_> = tf.into_iter().collect();
        tf.sort_unstable();
        for &(id, n) in &tf {
            self.postings[id as usize].push((d as u32, n));
        }
        self.doc_terms[d] = tf.into_iter().map(|x| x.0).collect();
        self.doc_len[d] = terms.len() as f32;
        self.total_len += terms.len() as f32;
    }

    fn clear(&mut self, d: usize) {
        for id in std::mem::take(&mut self.doc_terms[d]) {
            let p = &mut self.postings[id as usize];
            if let Some(i) = p.iter().position(|x| x.0 == d as u32) {
                p.swap_remove(i);
            }
        }
        self.total_len -= self.doc_len[d];
        self.doc_len[d] = 0.0;
    }

    /// Replace a document's terms (it stays, or becomes, live).
    pub fn set(&mut self, d: usize, terms: &[String]) {
        if d >= self.doc_len.len() {
            return;
        }
        self.clear(d);
        if !self.alive[d] {
            self.alive[d] = true;
            self.live += 1;
        }
        self.fill(d, terms);
    }

    /// Remove a document: it no longer scores or counts; its number is not reused.
    pub fn remove(&mut self, d: usize) {
        if d >= self.doc_len.len() || !self.alive[d] {
            return;
        }
        self.clear(d);
        self.alive[d] = false;
        self.live -= 1;
    }

    /// Document slots (live and removed).
    pub fn num_docs(&self) -> usize {
        self.doc_len.len()
    }

    fn idf(&self, df: usize) -> f32 {
        let n = self.live.max(1) as f32;
        ((n - df as f32 + 0.5) / (df as f32 + 0.5) + 1.0).ln()
    }

    /// Raw BM25 scores of every document slot (dense; zero where no term matched) and the
    /// query's upper bound: sum over distinct query terms of idf·(k1+1).
    pub fn score(&self, query: &[String]) -> (Vec<f32>, f32) {
        let mut scores = vec![0f32; self.num_docs()];
        let mut seen: Vec<&str> = Vec::new();
        let mut bound = 0f32;
        let Bm25Params { k1, b } = self.params;
        let avg_len = (self.total_len / self.live.max(1) as f32).max(1.0);
        for t in query {
            if seen.contains(&t.as_str()) {
                continue;
            }
            seen.push(t);
            let posting = self.vocab.get(t).map(|&id| &self.postings[id as usize]);
            let idf = self.idf(posting.map_or(0, Vec::len));
            bound += idf * (k1 + 1.0);
            for &(d, tf) in posting.into_iter().flatten() {
                let tf = tf as f32;
                let norm = k1 * (1.0 - b + b * self.doc_len[d as usize] / avg_len);
                scores[d as usize] += idf * tf * (k1 + 1.0) / (tf + norm);
            }
        }
        (scores, bound)
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

    #[test]
    fn edits_score_exactly_like_a_fresh_build() {
        let mut ix = Bm25::build(
            &[doc("reset my password"), doc("track my order"), doc("x y")],
            Bm25Params::default(),
        );
        ix.set(1, &doc("cancel my order now"));
        ix.remove(2);
        let d = ix.push(&doc("refund my money"));
        let fresh = Bm25::build(
            &[
                doc("reset my password"),
                doc("cancel my order now"),
                doc("refund my money"),
            ],
            Bm25Params::default(),
        );
        let q = doc("cancel order refund my");
        let (a, ba) = ix.score(&q);
        let (b, bb) = fresh.score(&q);
        assert_eq!((a[0], a[1], a[d], ba), (b[0], b[1], b[2], bb));
        assert_eq!(a[2], 0.0, "a removed document scores nothing");
    }
}
