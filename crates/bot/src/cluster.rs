//! Grouping similar texts (the unmatched questions, 未匹配问题, for review): greedy
//! clustering by character n-gram cosine, and embedding cosine when vectors are given.

use crate::embed::dot;
use crate::ngram::{ngrams, NgramIndex};
use crate::tokenize::normalize;

/// Similarity of two texts in [0, 1]: n-gram cosine, or the embedding cosine squashed above
/// `cos_floor` when that is higher.
pub struct ClusterParams {
    /// Join a group when the similarity to its first member is at least this.
    pub threshold: f32,
    pub cos_floor: f32,
}

impl Default for ClusterParams {
    fn default() -> Self {
        ClusterParams {
            threshold: 0.4,
            cos_floor: 0.85,
        }
    }
}

/// Groups of indexes into `texts`, largest first (ties: earliest first). Each text joins the
/// most similar existing group (judged by its first member) at or above the threshold, or
/// starts a new one. `vectors`, when given, has one L2-normalised embedding per text.
pub fn cluster(texts: &[&str], vectors: Option<&[Vec<f32>]>, p: &ClusterParams) -> Vec<Vec<usize>> {
    let grams: Vec<Vec<String>> = texts.iter().map(|t| ngrams(&normalize(t))).collect();
    let ix = NgramIndex::build(&grams);
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, g) in grams.iter().enumerate() {
        let sims = ix.score(g);
        let mut best: Option<(usize, f32)> = None;
        for (g, members) in groups.iter().enumerate() {
            let head = members[0];
            let mut s = sims[head];
            if let Some(v) = vectors {
                if let (Some(a), Some(b)) = (v.get(i), v.get(head)) {
                    if !a.is_empty() && a.len() == b.len() {
                        let c = ((dot(a, b) - p.cos_floor) / (1.0 - p.cos_floor)).clamp(0.0, 1.0);
                        s = s.max(c);
                    }
                }
            }
            if s >= p.threshold && best.is_none_or(|b| s > b.1) {
                best = Some((g, s));
            }
        }
        match best {
            Some((g, _)) => groups[g].push(i),
            None => groups.push(vec![i]),
        }
    }
    groups.sort_by(|a, b| b.len().cmp(&a.len()).then(a[0].cmp(&b[0])));
    groups
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similar_questions_group_together() {
        let t = [
            "能用花呗付款吗",
            "明天天气怎么样",
            "可以用花呗付款吗",
            "支持花呗付款吗？",
            "do you ship to canada",
            "do you ship to Canada?",
        ];
        let g = cluster(&t, None, &ClusterParams::default());
        assert_eq!(g[0], vec![0, 2, 3], "{g:?}");
        assert!(g.contains(&vec![4, 5]), "{g:?}");
        assert!(g.contains(&vec![1]), "{g:?}");
        assert_eq!(g.iter().map(Vec::len).sum::<usize>(), t.len());
    }

    #[test]
    fn embeddings_can_join_texts_without_shared_characters() {
        let t = ["refund please", "give me my money back"];
        let v = vec![vec![1.0, 0.0], vec![0.995, 0.0998]];
        let g = cluster(&t, Some(&v), &ClusterParams::default());
        assert_eq!(g, vec![vec![0, 1]]);
        assert_eq!(cluster(&t, None, &ClusterParams::default()).len(), 2);
    }
}
