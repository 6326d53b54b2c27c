//! Character n-gram TF-IDF cosine: tolerant of typos ("pasword"), word order and missing
//! word boundaries. Chinese contributes single characters and bigrams; other text
//! contributes space-padded character trigrams of each word.

use crate::forward::Forward;
use crate::tokenize::{is_cjk, words_of_normalized};
use crate::topk::Lists;
use pinyin::ToPinyin;
use std::collections::HashMap;

/// The text's words with Chinese words spelled in toneless pinyin ("我的订单" → "wo de
/// dingdan"), so that pinyin typed instead of characters, and homophone typos (发漂/发票),
/// meet in the n-gram space.
pub fn pinyin_form(norm: &str) -> String {
    let mut out = Vec::new();
    for w in words_of_normalized(norm) {
        if w.chars().any(is_cjk) {
            let mut p = String::new();
            for (c, py) in w.chars().zip(w.as_str().to_pinyin()) {
                match py {
                    Some(py) => p.push_str(py.plain()),
                    None => p.push(c),
                }
            }
            out.push(p);
        } else {
            out.push(w);
        }
    }
    out.join(" ")
}

/// The character n-grams of a normalised text.
pub fn ngrams(norm: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = norm.chars().collect();
    // Chinese: unigrams and bigrams of consecutive ideographs.
    for (i, &c) in chars.iter().enumerate() {
        if is_cjk(c) {
            out.push(c.to_string());
            if let Some(&d) = chars.get(i + 1) {
                if is_cjk(d) {
                    out.push([c, d].iter().collect());
                }
            }
        }
    }
    // Other words: " word " trigrams.
    let mut word = String::new();
    let flush = |w: &mut String, out: &mut Vec<String>| {
        if !w.is_empty() {
            let padded: Vec<char> = format!(" {w} ").chars().collect();
            for win in padded.windows(3) {
                out.push(win.iter().collect());
            }
            w.clear();
        }
    };
    for &c in &chars {
        if c.is_alphanumeric() && !is_cjk(c) {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
        }
    }
    flush(&mut word, &mut out);
    out
}

/// One n-gram's documents (ascending) and normalised weights, in two arrays so that
/// skipping reads only the document numbers.
#[derive(Clone, Debug, Default)]
struct Posting {
    docs: Vec<u32>,
    weights: Vec<f32>,
    /// The largest weight ever in this list (still an upper bound after removals).
    max_w: f32,
}

/// TF-IDF weighted, L2-normalised n-gram vectors with an inverted index.
///
/// Documents can be added and removed after the build. A document's vector is weighted with
/// the idf in force when it was added (so every stored vector stays unit length); queries use
/// the live idf. After many edits the stored weights drift slightly from a fresh build's; a
/// rebuild (which the owner may do at leisure) makes them exact again.
///
/// Posting lists are in document order (a new document has the highest number, so adding
/// one appends) and carry their largest weight, for [`crate::topk`].
#[derive(Clone, Debug, Default)]
pub struct NgramIndex {
    vocab: HashMap<String, u32>,
    /// per n-gram id, a hash of the n-gram's text: the same in every index, so that the
    /// item signatures give the n-gram and pinyin indexes' "str" one bit (English text is
    /// its own pinyin, and two bits for one string only filled the signature)
    keys: Vec<u32>,
    postings: Vec<Posting>,
    /// doc → its (n-gram id, normalised weight), ascending by id (the forward index: to
    /// remove a document, and to score one document directly)
    doc_grams: Forward<(u32, f32)>,
    alive: Vec<bool>,
    live: usize,
}

/// A query's n-gram vector against an index: (n-gram id, weight already divided by the
/// query's norm), ascending by id; n-grams the index does not have only count in the norm.
#[derive(Clone, Debug, Default)]
pub struct NgramQuery {
    terms: Vec<(u32, f32)>,
}

fn counts(grams: &[String]) -> HashMap<&str, f32> {
    let mut tf: HashMap<&str, f32> = HashMap::new();
    for g in grams {
        *tf.entry(g.as_str()).or_insert(0.0) += 1.0;
    }
    tf
}

/// FNV-1a of an n-gram's bytes: stable across indexes and runs.
pub(crate) fn text_key(g: &str) -> u32 {
    g.bytes().fold(0x811C_9DC5u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

impl NgramIndex {
    /// Build from each document's n-grams (see [`ngrams`]).
    pub fn build(docs: &[Vec<String>]) -> Self {
        Self::build_with(docs.len(), |d| docs[d].clone())
    }

    /// Build from `n` documents whose n-grams `grams(d)` computes; each document's n-grams
    /// are turned into ids at once, so the n-gram strings of every document are never
    /// held together (they are most of a large build's memory).
    pub fn build_with(n: usize, grams: impl Fn(usize) -> Vec<String>) -> Self {
        let mut ix = NgramIndex::default();
        let mut doc_tf: Vec<Vec<(u32, f32)>> = Vec::with_capacity(n);
        let mut df: Vec<usize> = Vec::new();
        for d in 0..n {
            let g = grams(d);
            let mut tf: Vec<(u32, f32)> = counts(&g)
                .into_iter()
                .map(|(g, c)| (ix.id_of(g), c))
                .collect();
            tf.sort_unstable_by_key(|x| x.0);
            tf.shrink_to_fit();
            for &(id, _) in &tf {
                if id as usize >= df.len() {
                    df.resize(id as usize + 1, 0);
                }
                df[id as usize] += 1;
            }
            doc_tf.push(tf);
        }
        ix.live = n;
        let idf: Vec<f32> = df
            .iter()
            .map(|&df| (ix.live.max(1) as f32 / df.max(1) as f32).ln() + 1.0)
            .collect();
        for (d, tf) in doc_tf.into_iter().enumerate() {
            ix.alive.push(true);
            ix.doc_grams.push(&[]);
            ix.fill_ids(d, tf, |id| idf[id as usize]);
        }
        ix
    }

    fn id_of(&mut self, g: &str) -> u32 {
        if let Some(&id) = self.vocab.get(g) {
            return id;
        }
        let id = self.vocab.len() as u32;
        self.vocab.insert(g.to_string(), id);
        self.keys.push(text_key(g));
        self.postings.push(Posting::default());
        id
    }

    fn idf(&self, id: u32) -> f32 {
        let df = self.postings[id as usize].docs.len().max(1) as f32;
        (self.live.max(1) as f32 / df).ln() + 1.0
    }

    fn fill(&mut self, d: usize, tf: &HashMap<&str, f32>, idf: impl Fn(u32) -> f32) {
        let v: Vec<(u32, f32)> = tf.iter().map(|(g, c)| (self.vocab[*g], *c)).collect();
        self.fill_ids(d, v, idf);
    }

    /// Store a document from its (n-gram id, count) pairs.
    fn fill_ids(&mut self, d: usize, mut v: Vec<(u32, f32)>, idf: impl Fn(u32) -> f32) {
        for (id, c) in &mut v {
            *c = (1.0 + c.ln()) * idf(*id);
        }
        v.sort_unstable_by_key(|x| x.0);
        let norm = v.iter().map(|(_, w)| w * w).sum::<f32>().sqrt().max(1e-9);
        for (id, w) in &mut v {
            *w /= norm;
            let p = &mut self.postings[*id as usize];
            // documents are only ever appended (a new document has the highest number)
            debug_assert!(p.docs.last().is_none_or(|&l| l < d as u32));
            p.docs.push(d as u32);
            p.weights.push(*w);
            p.max_w = p.max_w.max(*w);
        }
        self.doc_grams.set(d, &v);
    }

    /// Add a document; returns its number.
    pub fn push(&mut self, grams: &[String]) -> usize {
        let d = self.alive.len();
        let tf = counts(grams);
        let ids: Vec<u32> = tf.keys().map(|g| self.id_of(g)).collect();
        self.alive.push(true);
        self.doc_grams.push(&[]);
        self.live += 1;
        // the idf this document will see counts itself
        let idf: HashMap<u32, f32> = ids
            .iter()
            .map(|&id| {
                let df = (self.postings[id as usize].docs.len() + 1) as f32;
                (id, (self.live as f32 / df).ln() + 1.0)
            })
            .collect();
        self.fill(d, &tf, |id| idf[&id]);
        d
    }

    /// Remove a document; its number is not reused.
    pub fn remove(&mut self, d: usize) {
        if d >= self.alive.len() || !self.alive[d] {
            return;
        }
        for (id, _) in self.doc_grams.take(d) {
            let p = &mut self.postings[id as usize];
            if let Ok(i) = p.docs.binary_search(&(d as u32)) {
                p.docs.remove(i);
                p.weights.remove(i);
            }
        }
        self.alive[d] = false;
        self.live -= 1;
    }

    /// Document slots (live and removed).
    pub fn num_docs(&self) -> usize {
        self.alive.len()
    }

    /// The query's normalised n-gram vector (live idf).
    pub fn query(&self, query_grams: &[String]) -> NgramQuery {
        let tf = counts(query_grams);
        let unseen = (self.live.max(1) as f32).ln() + 1.0;
        let mut q: Vec<(Option<u32>, f32)> = Vec::with_capacity(tf.len());
        for (g, c) in &tf {
            match self.vocab.get(*g) {
                Some(&id) if !self.postings[id as usize].docs.is_empty() => {
                    q.push((Some(id), (1.0 + c.ln()) * self.idf(id)))
                }
                _ => q.push((None, (1.0 + c.ln()) * unseen)),
            }
        }
        // a fixed order (by id) so that every way of scoring sums in the same order
        q.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
        let norm = q.iter().map(|(_, w)| w * w).sum::<f32>().sqrt().max(1e-9);
        NgramQuery {
            terms: q
                .into_iter()
                .filter_map(|(id, w)| id.map(|id| (id, w / norm)))
                .collect(),
        }
    }

    /// Cosine similarity of the query's n-grams with every document slot (dense).
    pub fn score(&self, query_grams: &[String]) -> Vec<f32> {
        let q = self.query(query_grams);
        let mut scores = vec![0f32; self.num_docs()];
        for &(id, w) in &q.terms {
            let p = &self.postings[id as usize];
            for (&d, &dw) in p.docs.iter().zip(&p.weights) {
                scores[d as usize] += w * dw;
            }
        }
        scores
    }

    /// One document's cosine, from its own n-grams; the same number (bit for bit) as
    /// [`NgramIndex::score`] gives it.
    pub fn doc_score(&self, q: &NgramQuery, d: usize) -> f32 {
        let grams = self.doc_grams.get(d);
        let mut s = 0f32;
        let mut j = 0;
        for &(id, w) in &q.terms {
            while j < grams.len() && grams[j].0 < id {
                j += 1;
            }
            if j == grams.len() {
                break;
            }
            if grams[j].0 == id {
                s += w * grams[j].1;
            }
        }
        s
    }

    /// Ask for documents' term lists ahead of scoring them: their spans (`lists` false),
    /// then the lists themselves (see [`Forward`]).
    #[inline]
    pub(crate) fn prefetch_docs(&self, docs: std::ops::Range<usize>, lists: bool) {
        if lists {
            self.doc_grams.prefetch_lists(docs);
        } else {
            self.doc_grams.prefetch_spans(docs);
        }
    }

    /// The text key of n-gram `id` (see `keys`); 0 for an unknown id.
    #[inline]
    pub fn text_key(&self, id: u32) -> u32 {
        self.keys.get(id as usize).copied().unwrap_or(0)
    }

    /// The ids of a document's n-grams (none once removed).
    pub fn doc_gram_ids(&self, d: usize) -> impl Iterator<Item = u32> + '_ {
        self.doc_grams.get(d).iter().map(|x| x.0)
    }

    /// The query's posting lists for [`crate::topk`].
    pub fn lists<'a>(&'a self, q: &'a NgramQuery) -> NgramLists<'a> {
        NgramLists { ix: self, q }
    }
}

pub struct NgramLists<'a> {
    ix: &'a NgramIndex,
    q: &'a NgramQuery,
}

impl Lists for NgramLists<'_> {
    fn terms(&self) -> usize {
        self.q.terms.len()
    }
    fn docs(&self, t: usize) -> &[u32] {
        &self.ix.postings[self.q.terms[t].0 as usize].docs
    }
    fn upper_bound(&self, t: usize) -> f32 {
        let (id, w) = self.q.terms[t];
        w * self.ix.postings[id as usize].max_w
    }
    fn query_weight(&self, t: usize) -> Option<f32> {
        Some(self.q.terms[t].1)
    }
    #[inline]
    fn score(&self, t: usize, pos: usize) -> f32 {
        let (id, w) = self.q.terms[t];
        w * self.ix.postings[id as usize].weights[pos]
    }
    fn doc_score(&self, d: u32) -> f32 {
        self.ix.doc_score(self.q, d as usize)
    }
    fn term_id(&self, t: usize) -> u32 {
        self.q.terms[t].0
    }
    #[inline]
    fn for_each_posting(&self, t: usize, mut f: impl FnMut(u32, f32)) {
        let (id, w) = self.q.terms[t];
        let p = &self.ix.postings[id as usize];
        for (&d, &dw) in p.docs.iter().zip(&p.weights) {
            f(d, w * dw);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinyin_spelling_of_chinese_words() {
        assert_eq!(pinyin_form("我的订单"), "wo de dingdan");
        assert_eq!(pinyin_form("发漂"), pinyin_form("发票"));
        assert_eq!(pinyin_form("dingdan在哪"), "dingdan zai na");
    }

    #[test]
    fn grams_of_mixed_text() {
        let g = ngrams("订单 ok");
        assert!(g.contains(&"订".to_string()) && g.contains(&"订单".to_string()));
        assert!(g.contains(&" ok".to_string()) && g.contains(&"ok ".to_string()));
    }

    #[test]
    fn a_typo_still_scores_highest_on_its_document() {
        let docs: Vec<Vec<String>> = ["reset my password", "track my parcel", "cancel my order"]
            .iter()
            .map(|d| ngrams(d))
            .collect();
        let ix = NgramIndex::build(&docs);
        let s = ix.score(&ngrams("resett pasword"));
        assert!(s[0] > s[1] && s[0] > s[2], "{s:?}");
        let self_score = ix.score(&ngrams("track my parcel"))[1];
        assert!((self_score - 1.0).abs() < 1e-4);
    }

    #[test]
    fn added_and_removed_documents() {
        let docs: Vec<Vec<String>> = ["reset my password", "track my parcel"]
            .iter()
            .map(|d| ngrams(d))
            .collect();
        let mut ix = NgramIndex::build(&docs);
        let d = ix.push(&ngrams("cancel my order"));
        let s = ix.score(&ngrams("cancel my order"));
        assert!((s[d] - 1.0).abs() < 0.05, "{s:?}");
        ix.remove(0);
        let s = ix.score(&ngrams("reset my password"));
        assert_eq!(s[0], 0.0);
        assert_eq!(ix.num_docs(), 3);
    }
}
