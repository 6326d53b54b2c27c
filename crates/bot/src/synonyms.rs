//! A tenant's synonym dictionary (同义词库): groups of interchangeable terms. Every term of a
//! group is rewritten to the group's first term in both the knowledge base and the query, so
//! "退款" and "退钱" meet in the lexical indexes.

use crate::tokenize::normalize;

/// Synonym groups; the first term of each group is its canonical form.
#[derive(Clone, Debug, Default)]
pub struct Synonyms {
    /// (normalised term, canonical), longest term first so longer phrases win.
    rules: Vec<(String, String)>,
}

impl Synonyms {
    /// Build from groups of terms. Empty terms and groups of fewer than two are ignored.
    pub fn new<S: AsRef<str>>(groups: &[Vec<S>]) -> Self {
        let mut rules = Vec::new();
        for g in groups {
            let terms: Vec<String> = g
                .iter()
                .map(|t| normalize(t.as_ref()))
                .filter(|t| !t.is_empty())
                .collect();
            if terms.len() < 2 {
                continue;
            }
            for t in &terms[1..] {
                if t != &terms[0] {
                    rules.push((t.clone(), terms[0].clone()));
                }
            }
        }
        rules.sort_by(|a, b| {
            b.0.chars()
                .count()
                .cmp(&a.0.chars().count())
                .then(a.0.cmp(&b.0))
        });
        Synonyms { rules }
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Every term (either side of a rule) whose rewriting differs between `self` and
    /// `other`: the texts containing one of these are the only ones a switch from one
    /// dictionary to the other changes.
    pub fn changed_terms(&self, other: &Synonyms) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (a, b) in [(self, other), (other, self)] {
            for r in &a.rules {
                if !b.rules.contains(r) {
                    for t in [&r.0, &r.1] {
                        if !out.contains(t) {
                            out.push(t.clone());
                        }
                    }
                }
            }
        }
        out
    }

    /// Rewrite a normalised text. ASCII terms only match at word boundaries; Chinese terms
    /// match anywhere (there are no spaces to anchor them).
    pub fn apply(&self, norm: &str) -> String {
        if self.rules.is_empty() {
            return norm.to_string();
        }
        let mut text = norm.to_string();
        for (term, canon) in &self.rules {
            text = replace_term(&text, term, canon);
        }
        text
    }
}

fn boundary(c: Option<char>) -> bool {
    c.is_none_or(|c| !c.is_ascii_alphanumeric())
}

fn replace_term(text: &str, term: &str, canon: &str) -> String {
    let ascii = term.chars().any(|c| c.is_ascii_alphanumeric());
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(term) {
        let before = rest[..pos]
            .chars()
            .next_back()
            .or_else(|| out.chars().next_back());
        let after = rest[pos + term.len()..].chars().next();
        if !ascii || (boundary(before) && boundary(after)) {
            out.push_str(&rest[..pos]);
            out.push_str(canon);
        } else {
            out.push_str(&rest[..pos + term.len()]);
        }
        rest = &rest[pos + term.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_terms_are_rewritten_to_the_canonical_form() {
        let s = Synonyms::new(&[vec!["退款", "退钱", "返款"]]);
        assert_eq!(s.apply("怎么退钱"), "怎么退款");
    }

    #[test]
    fn english_terms_respect_word_boundaries() {
        let s = Synonyms::new(&[vec!["refund", "money back"], vec!["card", "cc"]]);
        assert_eq!(s.apply("i want my money back"), "i want my refund");
        assert_eq!(s.apply("accept my cc"), "accept my card");
        assert_eq!(s.apply("accc"), "accc");
    }

    #[test]
    fn changed_terms_name_both_sides_of_new_and_dropped_rules() {
        let a = Synonyms::new(&[vec!["退款", "退钱"], vec!["发票", "票据"]]);
        let b = Synonyms::new(&[vec!["退款", "退钱", "返款"], vec!["发票", "票据"]]);
        let c = a.changed_terms(&b);
        assert!(c.contains(&"返款".to_string()) && c.contains(&"退款".to_string()));
        assert!(!c.contains(&"发票".to_string()));
        assert!(a.changed_terms(&a).is_empty());
    }
}
