//! Character n-gram TF-IDF cosine: tolerant of typos ("pasword"), word order and missing
//! word boundaries. Chinese contributes single characters and bigrams; other text
//! contributes space-padded character trigrams of each word.

use crate::tokenize::{is_cjk, words_of_normalized};
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

/// TF-IDF weighted, L2-normalised n-gram vectors with an inverted index.
#[derive(Clone, Debug, Default)]
pub struct NgramIndex {
    vocab: HashMap<String, u32>,
    idf: Vec<f32>,
    /// n-gram id → (doc, normalised weight)
    postings: Vec<Vec<(u32, f32)>>,
    num_docs: usize,
}

fn counts(grams: &[String]) -> HashMap<&str, f32> {
    let mut tf: HashMap<&str, f32> = HashMap::new();
    for g in grams {
        *tf.entry(g.as_str()).or_insert(0.0) += 1.0;
    }
    tf
}

impl NgramIndex {
    /// Build from each document's n-grams (see [`ngrams`]).
    pub fn build(docs: &[Vec<String>]) -> Self {
        let mut vocab: HashMap<String, u32> = HashMap::new();
        let mut df: Vec<f32> = Vec::new();
        let doc_tf: Vec<HashMap<&str, f32>> = docs.iter().map(|d| counts(d)).collect();
        for tf in &doc_tf {
            for g in tf.keys() {
                let next = vocab.len() as u32;
                let id = *vocab.entry((*g).to_string()).or_insert(next);
                if id as usize == df.len() {
                    df.push(0.0);
                }
                df[id as usize] += 1.0;
            }
        }
        let n = docs.len().max(1) as f32;
        let idf: Vec<f32> = df.iter().map(|d| (n / d).ln() + 1.0).collect();
        let mut postings = vec![Vec::new(); idf.len()];
        for (d, tf) in doc_tf.iter().enumerate() {
            let mut v: Vec<(u32, f32)> = tf
                .iter()
                .map(|(g, c)| {
                    let id = vocab[*g];
                    (id, (1.0 + c.ln()) * idf[id as usize])
                })
                .collect();
            let norm = v.iter().map(|(_, w)| w * w).sum::<f32>().sqrt().max(1e-9);
            v.sort_unstable_by_key(|x| x.0);
            for (id, w) in v {
                postings[id as usize].push((d as u32, w / norm));
            }
        }
        NgramIndex {
            vocab,
            idf,
            postings,
            num_docs: docs.len(),
        }
    }

    /// Cosine similarity of the query's n-grams with every document (dense).
    pub fn score(&self, query_grams: &[String]) -> Vec<f32> {
        let mut scores = vec![0f32; self.num_docs];
        let tf = counts(query_grams);
        let unseen = (self.num_docs.max(1) as f32).ln() + 1.0;
        let mut q: Vec<(Option<u32>, f32)> = Vec::with_capacity(tf.len());
        for (g, c) in &tf {
            match self.vocab.get(*g) {
                Some(&id) => q.push((Some(id), (1.0 + c.ln()) * self.idf[id as usize])),
                None => q.push((None, (1.0 + c.ln()) * unseen)),
            }
        }
        let norm = q.iter().map(|(_, w)| w * w).sum::<f32>().sqrt().max(1e-9);
        for (id, w) in q {
            if let Some(id) = id {
                for &(d, dw) in &self.postings[id as usize] {
                    scores[d as usize] += w / norm * dw;
                }
            }
        }
        scores
    }
}

impl NgramIndex {
    /// [`NgramIndex::score`] into an accumulator (same sums, same order); n-grams in more
    /// than `max_df` documents are left out of the sums (not of the query's norm).
    pub fn accumulate(&self, query_grams: &[String], max_df: usize, acc: &mut crate::bm25::Accum) {
        let tf = counts(query_grams);
        let unseen = (self.num_docs.max(1) as f32).ln() + 1.0;
        let mut q: Vec<(Option<u32>, f32)> = Vec::with_capacity(tf.len());
        for (g, c) in &tf {
            match self.vocab.get(*g) {
                Some(&id) => q.push((Some(id), (1.0 + c.ln()) * self.idf[id as usize])),
                None => q.push((None, (1.0 + c.ln()) * unseen)),
            }
        }
        let norm = q.iter().map(|(_, w)| w * w).sum::<f32>().sqrt().max(1e-9);
        for (id, w) in q {
            if let Some(id) = id {
                let postings = &self.postings[id as usize];
                if postings.len() > max_df {
                    continue;
                }
                for &(d, dw) in postings {
                    acc.add(d, w / norm * dw);
                }
            }
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
}
