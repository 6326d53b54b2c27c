//! Okapi BM25 over a set of documents, with an inverted index. Scores are also returned
//! normalised by the query's own upper bound so they land in roughly [0, 1] and can be fused.
//!
//! Posting lists are kept in document order (documents get increasing numbers, so adding
//! one appends; replacing or removing one is an ordered insert/remove), with per-term score
//! upper bounds, so that [`crate::topk`] can find the best documents without scoring all of
//! them (MaxScore).

use crate::forward::Forward;
use crate::topk::Lists;
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

/// One term's documents (ascending) and term frequencies, in two arrays so that skipping
/// reads only the document numbers.
#[derive(Clone, Debug, Default)]
struct Posting {
    docs: Vec<u32>,
    tfs: Vec<u32>,
    /// The largest tf and the shortest document ever in this list: with them the term's
    /// score upper bound stays valid after removals (it may only get looser).
    max_tf: u32,
    min_len: u32,
}

/// An inverted index over documents made of string terms. Documents can be added, replaced
/// and removed after the build (a knowledge edit touches only its own documents); idf and the
/// average length are computed from the live documents at query time, so the scores after
/// any sequence of edits are exactly those of an index built from scratch.
#[derive(Clone, Debug, Default)]
pub struct Bm25 {
    params: Bm25Params,
    vocab: HashMap<String, u32>,
    /// per term id, a hash of the term's text (the item signatures give a word one bit
    /// whether it is in a phrasing or in the item as a whole)
    keys: Vec<u32>,
    postings: Vec<Posting>,
    /// doc → its distinct (term id, tf), ascending by term id (the forward index: to
    /// remove a document, and to score one document directly)
    doc_terms: Forward<(u32, u32)>,
    doc_len: Vec<f32>,
    alive: Vec<bool>,
    live: usize,
    total_len: f32,
}

/// A query prepared against an index: distinct known terms in query order with their idf.
#[derive(Clone, Debug)]
pub struct Bm25Query {
    /// (term id, idf) in the order of first occurrence in the query
    terms: Vec<(u32, f32)>,
    /// sum over distinct query terms (known or not) of idf·(k1+1)
    pub bound: f32,
    avg_len: f32,
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
        self.doc_terms.push(&[]);
        self.alive.push(true);
        self.live += 1;
        self.fill(d, terms);
        d
    }

    fn fill(&mut self, d: usize, terms: &[String]) {
        let mut tf: HashMap<u32, u32> = HashMap::new();
        for t in terms {
            let next = self.vocab.len() as u32;
            let id = match self.vocab.get(t) {
                Some(&id) => id,
                None => {
                    self.vocab.insert(t.clone(), next);
                    next
                }
            };
            if id as usize == self.postings.len() {
                self.keys.push(crate::ngram::text_key(t));
                self.postings.push(Posting {
                    min_len: u32::MAX,
                    ..Default::default()
                });
            }
            *tf.entry(id).or_insert(0) += 1;
        }
        let mut tf: Vec<(u32, u32)> = tf.into_iter().collect();
        tf.sort_unstable();
        let len = terms.len() as u32;
        for &(id, n) in &tf {
            let p = &mut self.postings[id as usize];
            // appending is the common case (a new document has the highest number)
            let at = if p.docs.last().is_none_or(|&l| l < d as u32) {
                p.docs.len()
            } else {
                p.docs.partition_point(|&x| x < d as u32)
            };
            p.docs.insert(at, d as u32);
            p.tfs.insert(at, n);
            p.max_tf = p.max_tf.max(n);
            p.min_len = p.min_len.min(len);
        }
        self.doc_terms.set(d, &tf);
        self.doc_len[d] = terms.len() as f32;
        self.total_len += terms.len() as f32;
    }

    fn clear(&mut self, d: usize) {
        for (id, _) in self.doc_terms.take(d) {
            let p = &mut self.postings[id as usize];
            if let Ok(i) = p.docs.binary_search(&(d as u32)) {
                p.docs.remove(i);
                p.tfs.remove(i);
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

    /// Prepare a query: its distinct terms, their idf, and the query's upper bound.
    pub fn query(&self, query: &[String]) -> Bm25Query {
        let mut seen: Vec<&str> = Vec::new();
        let mut terms = Vec::new();
        let mut bound = 0f32;
        let k1 = self.params.k1;
        for t in query {
            if seen.contains(&t.as_str()) {
                continue;
            }
            seen.push(t);
            let id = self.vocab.get(t).copied();
            let df = id.map_or(0, |id| self.postings[id as usize].docs.len());
            let idf = self.idf(df);
            bound += idf * (k1 + 1.0);
            if let Some(id) = id.filter(|_| df > 0) {
                terms.push((id, idf));
            }
        }
        Bm25Query {
            terms,
            bound,
            avg_len: (self.total_len / self.live.max(1) as f32).max(1.0),
        }
    }

    #[inline]
    fn term_score(&self, q: &Bm25Query, idf: f32, tf: u32, len: f32) -> f32 {
        let Bm25Params { k1, b } = self.params;
        let tf = tf as f32;
        let norm = k1 * (1.0 - b + b * len / q.avg_len);
        idf * tf * (k1 + 1.0) / (tf + norm)
    }

    /// Raw BM25 scores of every document slot (dense; zero where no term matched) and the
    /// query's upper bound: sum over distinct query terms of idf·(k1+1).
    pub fn score(&self, query: &[String]) -> (Vec<f32>, f32) {
        let q = self.query(query);
        let mut scores = vec![0f32; self.num_docs()];
        for &(id, idf) in &q.terms {
            let p = &self.postings[id as usize];
            for (&d, &tf) in p.docs.iter().zip(&p.tfs) {
                scores[d as usize] += self.term_score(&q, idf, tf, self.doc_len[d as usize]);
            }
        }
        (scores, q.bound)
    }

    /// One document's raw score, from its own terms; the same number (bit for bit) as
    /// [`Bm25::score`] gives it.
    pub fn doc_score(&self, q: &Bm25Query, d: usize) -> f32 {
        let terms = self.doc_terms.get(d);
        let len = self.doc_len[d];
        let mut s = 0f32;
        for &(id, idf) in &q.terms {
            if let Ok(i) = terms.binary_search_by_key(&id, |x| x.0) {
                s += self.term_score(q, idf, terms[i].1, len);
            }
        }
        s
    }

    /// Ask for documents' term lists ahead of scoring them: their spans (`lists` false),
    /// then the lists themselves (see [`Forward`]).
    #[inline]
    pub(crate) fn prefetch_docs(&self, docs: std::ops::Range<usize>, lists: bool) {
        if lists {
            self.doc_terms.prefetch_lists(docs);
        } else {
            self.doc_terms.prefetch_spans(docs);
        }
    }

    /// The text key of term `id` (see `keys`); 0 for an unknown id.
    #[inline]
    pub fn text_key(&self, id: u32) -> u32 {
        self.keys.get(id as usize).copied().unwrap_or(0)
    }

    /// The ids of a document's terms (none once removed).
    pub fn doc_term_ids(&self, d: usize) -> impl Iterator<Item = u32> + '_ {
        self.doc_terms.get(d).iter().map(|x| x.0)
    }

    /// The query's posting lists for [`crate::topk`].
    pub fn lists<'a>(&'a self, q: &'a Bm25Query) -> Bm25Lists<'a> {
        Bm25Lists { ix: self, q }
    }
}

pub struct Bm25Lists<'a> {
    ix: &'a Bm25,
    q: &'a Bm25Query,
}

impl Lists for Bm25Lists<'_> {
    fn terms(&self) -> usize {
        self.q.terms.len()
    }
    fn docs(&self, t: usize) -> &[u32] {
        &self.ix.postings[self.q.terms[t].0 as usize].docs
    }
    fn upper_bound(&self, t: usize) -> f32 {
        let (id, idf) = self.q.terms[t];
        let p = &self.ix.postings[id as usize];
        if p.docs.is_empty() {
            return 0.0;
        }
        // tf/(tf + norm) grows with tf and falls with the length
        self.ix.term_score(self.q, idf, p.max_tf, p.min_len as f32)
    }
    #[inline]
    fn score(&self, t: usize, pos: usize) -> f32 {
        let (id, idf) = self.q.terms[t];
        let p = &self.ix.postings[id as usize];
        let d = p.docs[pos] as usize;
        self.ix
            .term_score(self.q, idf, p.tfs[pos], self.ix.doc_len[d])
    }
    fn doc_score(&self, d: u32) -> f32 {
        self.ix.doc_score(self.q, d as usize)
    }
    fn term_id(&self, t: usize) -> u32 {
        self.q.terms[t].0
    }
    #[inline]
    fn for_each_posting(&self, t: usize, mut f: impl FnMut(u32, f32)) {
        let (id, idf) = self.q.terms[t];
        let p = &self.ix.postings[id as usize];
        let doc_len = &self.ix.doc_len;
        for (&d, &tf) in p.docs.iter().zip(&p.tfs) {
            f(d, self.ix.term_score(self.q, idf, tf, doc_len[d as usize]));
        }
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
