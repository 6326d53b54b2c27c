//! Emotion (情绪识别): is the visitor angry or anxious? A small lexicon in Chinese and
//! English plus punctuation and capitals heuristics. Deliberately conservative: a single
//! "!" or one "urgent" word is not enough to call someone angry; the caller raises the
//! queue priority or hands off on what this returns.

use crate::tokenize::normalize;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Emotion {
    Calm,
    Anxious,
    Angry,
}

impl Emotion {
    pub fn key(self) -> &'static str {
        match self {
            Emotion::Calm => "calm",
            Emotion::Anxious => "anxious",
            Emotion::Angry => "angry",
        }
    }
}

/// What was found, for the decision log.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reading {
    pub emotion: Emotion,
    pub angry: f32,
    pub anxious: f32,
    /// The cues that counted ("lexicon:投诉", "shouting", "!!!").
    pub cues: Vec<String>,
}

/// Angry words and phrases with their weight (1.0 is enough on its own).
const ANGRY: &[(&str, f32)] = &[
    // Chinese
    ("投诉", 1.0),
    ("垃圾", 1.0),
    ("骗子", 1.0),
    ("骗人", 1.0),
    ("欺骗", 1.0),
    ("气死", 1.0),
    ("生气", 0.8),
    ("愤怒", 1.0),
    ("太差", 0.8),
    ("差劲", 0.8),
    ("破玩意", 1.0),
    ("什么破", 1.0),
    ("废物", 1.0),
    ("滚", 0.6),
    ("恶心", 0.8),
    ("坑人", 1.0),
    ("黑心", 1.0),
    ("差评", 0.8),
    ("无语", 0.5),
    ("忍无可忍", 1.0),
    ("太过分", 1.0),
    ("过分", 0.6),
    ("他妈", 1.0),
    ("妈的", 1.0),
    ("tmd", 1.0),
    ("混蛋", 1.0),
    ("举报", 0.8),
    ("曝光", 0.8),
    ("12315", 1.0),
    ("消协", 1.0),
    ("报警", 0.8),
    ("退钱", 0.5),
    ("什么服务", 0.6),
    ("烂透", 1.0),
    // English
    ("ridiculous", 1.0),
    ("terrible", 0.8),
    ("worst", 0.8),
    ("scam", 1.0),
    ("fraud", 1.0),
    ("useless", 0.8),
    ("angry", 1.0),
    ("furious", 1.0),
    ("unacceptable", 1.0),
    ("disgusting", 1.0),
    ("hate", 0.6),
    ("stupid", 0.8),
    ("idiot", 1.0),
    ("wtf", 1.0),
    ("damn", 0.8),
    ("sue you", 1.0),
    ("lawyer", 0.8),
    ("complaint", 0.8),
    ("complain", 0.8),
    ("pathetic", 1.0),
    ("rip off", 1.0),
    ("rip-off", 1.0),
    ("fed up", 1.0),
];

const ANXIOUS: &[(&str, f32)] = &[
    // Chinese
    ("着急", 1.0),
    ("急死", 1.0),
    ("很急", 1.0),
    ("急用", 1.0),
    ("紧急", 1.0),
    ("十万火急", 1.0),
    ("赶紧", 0.8),
    ("快点", 0.8),
    ("尽快", 0.6),
    ("马上", 0.5),
    ("怎么还没", 0.8),
    ("还没到", 0.6),
    ("还没收到", 0.6),
    ("等了好久", 0.8),
    ("等了很久", 0.8),
    ("担心", 0.8),
    ("焦虑", 1.0),
    ("催", 0.5),
    ("求求", 0.8),
    // English
    ("urgent", 1.0),
    ("urgently", 1.0),
    ("asap", 1.0),
    ("hurry", 0.8),
    ("worried", 1.0),
    ("anxious", 1.0),
    ("immediately", 0.6),
    ("emergency", 1.0),
    ("right now", 0.6),
    ("still waiting", 0.8),
    ("still haven't", 0.6),
    ("please help", 0.6),
    ("as soon as possible", 1.0),
];

fn is_ascii_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '\'' || c == '-'
}

/// `term` in `text`; ASCII terms only at word boundaries ("hate" is not in "whatever").
fn contains_term(text: &str, term: &str) -> bool {
    if !term.chars().any(|c| c.is_ascii_alphabetic()) {
        return text.contains(term);
    }
    let mut from = 0;
    while let Some(pos) = text[from..].find(term) {
        let at = from + pos;
        let before = text[..at].chars().next_back();
        let after = text[at + term.len()..].chars().next();
        if !before.is_some_and(is_ascii_word) && !after.is_some_and(is_ascii_word) {
            return true;
        }
        from = at + term.len();
    }
    false
}

/// Read a visitor's message.
pub fn detect(text: &str) -> Reading {
    let norm = normalize(text);
    let mut cues = Vec::new();
    let mut angry = 0f32;
    let mut anxious = 0f32;
    for (t, w) in ANGRY {
        if contains_term(&norm, t) {
            angry += w;
            cues.push(format!("lexicon:{t}"));
        }
    }
    for (t, w) in ANXIOUS {
        if contains_term(&norm, t) {
            anxious += w;
            cues.push(format!("lexicon:{t}"));
        }
    }
    // Punctuation (normalize folds full-width ！？ to ASCII).
    let bangs = longest_run(&norm, '!');
    let questions = longest_run(&norm, '?');
    let intensity = if bangs >= 3 || (bangs >= 2 && questions >= 2) {
        cues.push("!!!".into());
        0.5
    } else if bangs == 2 {
        cues.push("!!".into());
        0.3
    } else {
        0.0
    };
    if questions >= 3 {
        cues.push("???".into());
        anxious += 0.4;
    }
    // Shouting: most letters of a long enough Latin text in capitals.
    let letters: Vec<char> = text.chars().filter(|c| c.is_ascii_alphabetic()).collect();
    let upper = letters.iter().filter(|c| c.is_ascii_uppercase()).count();
    let shouting = letters.len() >= 8 && upper * 10 >= letters.len() * 7;
    if shouting {
        cues.push("shouting".into());
    }
    // Intensity amplifies what the words say; shouting with exclamations is anger itself.
    if angry > 0.0 {
        angry += intensity + if shouting { 0.5 } else { 0.0 };
    } else if shouting && bangs >= 1 {
        angry += 1.0;
    } else if shouting {
        angry += 0.5;
    }
    if anxious > 0.0 {
        anxious += intensity;
    } else if intensity > 0.0 && questions >= 2 {
        anxious += 0.6;
    }
    let emotion = if angry >= 1.0 {
        Emotion::Angry
    } else if anxious >= 1.0 {
        Emotion::Anxious
    } else {
        Emotion::Calm
    };
    Reading {
        emotion,
        angry,
        anxious,
        cues,
    }
}

fn longest_run(s: &str, c: char) -> usize {
    let mut best = 0;
    let mut run = 0;
    for x in s.chars() {
        if x == c {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(s: &str) -> Emotion {
        detect(s).emotion
    }

    #[test]
    fn calm_questions_are_calm() {
        for q in [
            "怎么申请退货",
            "发货时间是多久？",
            "How do I reset my password?",
            "Whatever, thanks!",
            "What's the shipping time",
            "I'd like an invoice please",
        ] {
            assert_eq!(e(q), Emotion::Calm, "{q}: {:?}", detect(q));
        }
    }

    #[test]
    fn angry_chinese() {
        assert_eq!(e("你们这什么破服务，我要投诉！"), Emotion::Angry);
        assert_eq!(e("垃圾客服"), Emotion::Angry);
        assert_eq!(e("骗子！！！退钱"), Emotion::Angry);
        let r = detect("太过分了");
        assert!(r.cues.iter().any(|c| c == "lexicon:太过分"), "{r:?}");
    }

    #[test]
    fn angry_english_words_and_shouting() {
        assert_eq!(
            e("This is ridiculous, I want to file a complaint"),
            Emotion::Angry
        );
        assert_eq!(e("WHERE IS MY ORDER!!!"), Emotion::Angry);
        assert_eq!(e("worst service ever"), Emotion::Calm);
        // "worst" alone weighs 0.8: not yet angry; with exclamations it is
        assert_eq!(e("worst service ever!!!"), Emotion::Angry);
        assert!(detect("WHERE IS MY ORDER!!!")
            .cues
            .contains(&"shouting".to_string()));
    }

    #[test]
    fn word_boundaries_for_english() {
        assert_eq!(e("whatever you think"), Emotion::Calm); // not "hate"
        assert_eq!(e("I am scammed? no, a scamp"), Emotion::Calm);
    }

    #[test]
    fn anxious_chinese_and_english() {
        assert_eq!(e("我很着急，订单怎么还没到"), Emotion::Anxious);
        assert_eq!(e("急用发票，麻烦尽快"), Emotion::Anxious);
        assert_eq!(e("This is urgent, I need it ASAP"), Emotion::Anxious);
        assert_eq!(e("I'm worried my parcel is lost"), Emotion::Anxious);
        // repeated question marks alone are not enough
        assert_eq!(e("where is my parcel???"), Emotion::Calm);
    }

    #[test]
    fn full_width_punctuation_counts() {
        let r = detect("我的快递呢！！！？？");
        assert!(r.cues.iter().any(|c| c == "!!!"), "{r:?}");
    }
}
