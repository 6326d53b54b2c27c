//! A SentencePiece-unigram tokenizer (the XLM-RoBERTa / multilingual-e5 kind): a per-code-point
//! normalisation map, space collapsing, the "▁" metaspace, then the Viterbi best segmentation
//! over the vocabulary's log-probabilities. Written here so the `tokenizers` crate (and its C
//! regex engine) is not needed. Reads the `model` section of a Hugging Face `tokenizer.json`
//! of type "Unigram".

use std::collections::HashMap;

const META: char = '\u{2581}';

#[derive(Clone, Debug)]
pub struct Unigram {
    pieces: HashMap<String, u32>,
    scores: Vec<f32>,
    unk: u32,
    unk_score: f32,
    max_piece_bytes: usize,
    norm: HashMap<char, String>,
}

impl Unigram {
    /// From (piece, score) pairs, the unknown piece's id and a code-point normalisation map.
    pub fn new(
        vocab: Vec<(String, f32)>,
        unk: u32,
        norm: HashMap<char, String>,
    ) -> Result<Self, String> {
        if unk as usize >= vocab.len() {
            return Err(format!(
                "unk id {unk} outside a vocabulary of {}",
                vocab.len()
            ));
        }
        let mut pieces = HashMap::with_capacity(vocab.len());
        let mut scores = Vec::with_capacity(vocab.len());
        let mut min = f32::INFINITY;
        let mut max_piece_bytes = 1;
        for (i, (p, s)) in vocab.into_iter().enumerate() {
            min = min.min(s);
            max_piece_bytes = max_piece_bytes.max(p.len());
            scores.push(s);
            if !p.is_empty() {
                pieces.entry(p).or_insert(i as u32);
            }
        }
        Ok(Unigram {
            pieces,
            scores,
            unk,
            unk_score: min - 10.0,
            max_piece_bytes,
            norm,
        })
    }

    /// Parse a Hugging Face `tokenizer.json` (Unigram model) and an optional normalisation
    /// map given as JSON `[[code point, [code points…]], …]`.
    pub fn from_json(tokenizer_json: &str, norm_json: Option<&str>) -> Result<Self, String> {
        let v: serde_json::Value =
            serde_json::from_str(tokenizer_json).map_err(|e| format!("tokenizer.json: {e}"))?;
        let model = &v["model"];
        if model["type"] != "Unigram" {
            return Err(format!(
                "tokenizer.json: only Unigram (SentencePiece) models are supported, found {}",
                model["type"]
            ));
        }
        let unk = model["unk_id"]
            .as_u64()
            .ok_or("tokenizer.json: model.unk_id missing")? as u32;
        let list = model["vocab"]
            .as_array()
            .ok_or("tokenizer.json: model.vocab missing")?;
        let mut vocab = Vec::with_capacity(list.len());
        for (i, e) in list.iter().enumerate() {
            let p = e[0]
                .as_str()
                .ok_or(format!("tokenizer.json: vocab[{i}] has no piece"))?;
            let s = e[1]
                .as_f64()
                .ok_or(format!("tokenizer.json: vocab[{i}] has no score"))?;
            vocab.push((p.to_string(), s as f32));
        }
        let mut norm = HashMap::new();
        if let Some(nj) = norm_json {
            let nv: Vec<(u32, Vec<u32>)> =
                serde_json::from_str(nj).map_err(|e| format!("normalization map: {e}"))?;
            for (cp, outs) in nv {
                let Some(c) = char::from_u32(cp) else {
                    continue;
                };
                norm.insert(c, outs.into_iter().filter_map(char::from_u32).collect());
            }
        }
        Unigram::new(vocab, unk, norm)
    }

    pub fn vocab_size(&self) -> usize {
        self.scores.len()
    }

    /// Content token ids (no <s> / </s>).
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut cps: Vec<char> = Vec::with_capacity(text.len());
        for c in text.chars() {
            match self.norm.get(&c) {
                Some(r) => cps.extend(r.chars()),
                None => cps.push(c),
            }
        }
        let mut collapsed: Vec<char> = Vec::with_capacity(cps.len());
        for c in cps {
            if c == ' ' && collapsed.last() == Some(&' ') {
                continue;
            }
            collapsed.push(c);
        }
        let mut buf = String::with_capacity(collapsed.len() * 3 + 3);
        // byte offset where each character starts, plus the end
        let mut starts: Vec<usize> = Vec::with_capacity(collapsed.len() + 2);
        if collapsed.first() != Some(&' ') {
            starts.push(0);
            buf.push(META);
        }
        for c in collapsed {
            starts.push(buf.len());
            buf.push(if c == ' ' { META } else { c });
        }
        let n = starts.len();
        starts.push(buf.len());
        let mut best = vec![f32::NEG_INFINITY; n + 1];
        let mut back: Vec<(usize, Option<u32>)> = vec![(0, None); n + 1];
        best[0] = 0.0;
        for i in 0..n {
            if best[i] == f32::NEG_INFINITY {
                continue;
            }
            for e in i + 1..=n {
                let len = starts[e] - starts[i];
                if len > self.max_piece_bytes {
                    break;
                }
                if let Some(&id) = self.pieces.get(&buf[starts[i]..starts[e]]) {
                    if id != self.unk {
                        let s = best[i] + self.scores[id as usize];
                        if s > best[e] {
                            best[e] = s;
                            back[e] = (i, Some(id));
                        }
                    }
                }
            }
            let s = best[i] + self.unk_score;
            if s > best[i + 1] {
                best[i + 1] = s;
                back[i + 1] = (i, None);
            }
        }
        let mut ids = Vec::new();
        let mut i = n;
        while i > 0 {
            let (from, id) = back[i];
            ids.push(id.unwrap_or(self.unk));
            i = from;
        }
        ids.reverse();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Unigram {
        let vocab = vec![
            ("<unk>".to_string(), 0.0),
            ("▁hello".to_string(), -1.0),
            ("▁he".to_string(), -2.0),
            ("llo".to_string(), -2.0),
            ("▁".to_string(), -3.0),
            ("w".to_string(), -4.0),
            ("▁world".to_string(), -1.5),
        ];
        let mut norm = HashMap::new();
        norm.insert('Ｈ', "h".to_string());
        Unigram::new(vocab, 0, norm).unwrap()
    }

    #[test]
    fn viterbi_prefers_the_most_probable_segmentation() {
        let t = toy();
        assert_eq!(t.encode("hello world"), vec![1, 6]);
        assert_eq!(
            t.encode("Ｈello  world"),
            vec![1, 6],
            "normalised and spaces collapsed"
        );
    }

    #[test]
    fn unknown_characters_become_unk() {
        let t = toy();
        assert_eq!(t.encode("hello 谢"), vec![1, 4, 0]);
    }
}
