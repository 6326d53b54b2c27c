//! Text normalisation and word tokenization for Chinese (jieba) and English.
//!
//! `normalize` folds full-width forms to ASCII, lower-cases and collapses whitespace; `words`
//! segments Chinese with jieba and splits everything else into lower-case words with light
//! English stemming (plural and -ing/-ed stripping), dropping punctuation.

use jieba_rs::Jieba;
use std::sync::OnceLock;

fn jieba() -> &'static Jieba {
    static JIEBA: OnceLock<Jieba> = OnceLock::new();
    JIEBA.get_or_init(Jieba::new)
}

/// Full-width ASCII to half-width, ideographic space to space, lower-case, and runs of
/// whitespace collapsed to one space (trimmed).
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last_space = true;
    for c in text.chars() {
        let c = match c as u32 {
            0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            0x3000 => ' ',
            _ => c,
        };
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
            continue;
        }
        last_space = false;
        for l in c.to_lowercase() {
            out.push(l);
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// True for CJK ideographs (the characters jieba segments).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// Light English stemming: possessive, plural and -ing/-ed endings, then a final silent
/// "e". Deliberately crude — it only has to make "cards"/"card" and "charged"/"charge" meet.
pub fn stem(word: &str) -> String {
    let s = strip_endings(word);
    if s.len() > 3 && s.ends_with('e') && !s.ends_with("ee") && s.is_ascii() {
        return s[..s.len() - 1].to_string();
    }
    s
}

fn strip_endings(word: &str) -> String {
    let w = word.strip_suffix("'s").unwrap_or(word);
    let n = w.len();
    if !w.is_ascii() || n <= 3 {
        return w.to_string();
    }
    if let Some(s) = w.strip_suffix("ies") {
        if n > 4 {
            return format!("{s}y");
        }
    }
    if w.ends_with("sses") {
        return w[..n - 2].to_string();
    }
    if let Some(s) = w.strip_suffix("ing") {
        if n > 5 {
            return s.to_string();
        }
    }
    if let Some(s) = w.strip_suffix("ed") {
        if n > 4 && !w.ends_with("eed") {
            return s.to_string();
        }
    }
    if w.ends_with('s') && !w.ends_with("ss") && !w.ends_with("us") && !w.ends_with("is") {
        return w[..n - 1].to_string();
    }
    w.to_string()
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '\''
}

/// Words of an already normalised text: jieba segments for Chinese runs, stemmed
/// lower-case words for the rest; punctuation and spaces are dropped.
pub fn words_of_normalized(norm: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chunk_start: Option<usize> = None;
    let mut chunk_cjk = false;
    let flush = |out: &mut Vec<String>, s: &str, cjk: bool| {
        if cjk {
            for w in jieba().cut(s, true) {
                if w.chars().any(|c| c.is_alphanumeric()) {
                    out.push(w.to_string());
                }
            }
        } else {
            let t = s.trim_matches('\'');
            if !t.is_empty() {
                out.push(stem(t));
            }
        }
    };
    for (i, c) in norm.char_indices() {
        let cjk = is_cjk(c);
        let word = cjk || is_word_char(c);
        match chunk_start {
            Some(s) if word && cjk == chunk_cjk => {
                let _ = s;
            }
            Some(s) => {
                flush(&mut out, &norm[s..i], chunk_cjk);
                chunk_start = if word { Some(i) } else { None };
                chunk_cjk = cjk;
            }
            None if word => {
                chunk_start = Some(i);
                chunk_cjk = cjk;
            }
            None => {}
        }
    }
    if let Some(s) = chunk_start {
        flush(&mut out, &norm[s..], chunk_cjk);
    }
    out
}

/// `normalize` then `words_of_normalized`.
pub fn words(text: &str) -> Vec<String> {
    words_of_normalized(&normalize(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_and_case_fold() {
        assert_eq!(normalize("  ＡＢＣ　Card  "), "abc card");
    }

    #[test]
    fn english_words_are_stemmed_and_punctuation_dropped() {
        assert_eq!(
            words("My cards were charged twice!"),
            vec!["my", "card", "wer", "charg", "twic"]
        );
        assert_eq!(words("what's the weather"), vec!["what", "the", "weather"]);
    }

    #[test]
    fn chinese_is_segmented_and_mixed_text_kept() {
        let w = words("我想查询订单 iPhone15");
        assert!(w.contains(&"订单".to_string()), "{w:?}");
        assert!(w.contains(&"iphone15".to_string()), "{w:?}");
        assert!(!w.iter().any(|x| x.trim().is_empty()));
    }
}
