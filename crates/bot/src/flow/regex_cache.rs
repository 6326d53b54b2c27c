//! Compiled regular expressions of flows, by pattern. Compiling is far slower than
//! matching, and the same few patterns (a slot check, a branch condition) are used on
//! every message; the cache is invisible to callers (same results, just sooner).

use regex::Regex;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};

/// More distinct patterns than this and the cache starts over (bounded memory).
const MAX_PATTERNS: usize = 512;

fn cache() -> &'static Mutex<HashMap<String, Regex>> {
    static C: OnceLock<Mutex<HashMap<String, Regex>>> = OnceLock::new();
    C.get_or_init(|| Mutex::new(HashMap::new()))
}

pub(crate) fn compiled(pattern: &str) -> Result<Regex, regex::Error> {
    if let Some(r) = cache()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(pattern)
    {
        return Ok(r.clone());
    }
    let r = Regex::new(pattern)?;
    let mut c = cache().lock().unwrap_or_else(PoisonError::into_inner);
    if c.len() >= MAX_PATTERNS {
        c.clear();
    }
    c.insert(pattern.to_string(), r.clone());
    Ok(r)
}
