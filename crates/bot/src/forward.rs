//! A forward index: each document's sorted term list, all in one array.
//!
//! Scoring one item exactly (the fused search does it hundreds of times a query on a large
//! knowledge base) reads the term lists of its phrasings. Kept as one heap block per
//! document, each list was a cache miss of its own, and those misses were most of the cost
//! (measured: two thirds of the time in the n-gram scoring loop sat on the first load of a
//! document's list). Here the lists follow each other in document order, and an item's
//! phrasings are consecutive documents, so an item's lists are one run of memory that the
//! hardware prefetcher streams.
//!
//! A replaced or removed list stays in the array as garbage until it is more than half of
//! it; then the array is rewritten in document order.

/// Ask the memory system for the cache line holding `x`, to be read soon. Only a hint: it
/// never faults and changes no result.
#[inline]
pub(crate) fn prefetch<T>(x: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: a prefetch never faults; the pointer comes from a reference.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(x).cast::<i8>()) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = x;
}

#[derive(Clone, Copy, Debug, Default)]
struct Span {
    start: usize,
    len: u32,
}

#[derive(Clone, Debug)]
pub struct Forward<T> {
    spans: Vec<Span>,
    data: Vec<T>,
    /// entries of `data` no span points to
    garbage: usize,
}

impl<T> Default for Forward<T> {
    fn default() -> Self {
        Forward {
            spans: Vec::new(),
            data: Vec::new(),
            garbage: 0,
        }
    }
}

impl<T: Copy> Forward<T> {
    /// Add a document with this list; returns its number.
    pub fn push(&mut self, list: &[T]) -> usize {
        let d = self.spans.len();
        self.spans.push(Span::default());
        self.set(d, list);
        d
    }

    /// Replace document `d`'s list (`d` must exist).
    pub fn set(&mut self, d: usize, list: &[T]) {
        self.garbage += self.spans[d].len as usize;
        // a list longer than u32::MAX entries cannot be built in memory anyway
        let len = u32::try_from(list.len()).unwrap_or(u32::MAX);
        let start = self.data.len();
        self.data.extend_from_slice(&list[..len as usize]);
        self.spans[d] = Span { start, len };
        if self.garbage > self.data.len() / 2 && self.garbage > 4096 {
            self.compact();
        }
    }

    /// Document `d`'s list, empty for a removed or unknown document.
    #[inline]
    pub fn get(&self, d: usize) -> &[T] {
        match self.spans.get(d) {
            Some(s) => &self.data[s.start..s.start + s.len as usize],
            None => &[],
        }
    }

    /// Ask for the spans of documents `docs` (first step of reading their lists soon).
    #[inline]
    pub fn prefetch_spans(&self, docs: std::ops::Range<usize>) {
        if let Some(s) = self.spans.get(docs.start) {
            prefetch(s);
        }
        if let Some(s) = self.spans.get(docs.end.saturating_sub(1)) {
            prefetch(s);
        }
    }

    /// Ask for the lists of documents `docs`, one run of memory (second step).
    #[inline]
    pub fn prefetch_lists(&self, docs: std::ops::Range<usize>) {
        let (Some(first), Some(last)) = (
            self.spans.get(docs.start),
            self.spans.get(docs.end.saturating_sub(1)),
        ) else {
            return;
        };
        let (from, to) = (first.start, last.start + last.len as usize);
        if from >= to || to > self.data.len() {
            // not consecutive (a replaced list was appended), or empty
            return;
        }
        let line = (64 / std::mem::size_of::<T>().max(1)).max(1);
        // at most 8 lines: the first of a long run start the hardware prefetcher
        for at in (from..to).step_by(line).take(8) {
            prefetch(&self.data[at]);
        }
    }

    /// Empty document `d`'s list and return what it was.
    pub fn take(&mut self, d: usize) -> Vec<T> {
        let old = self.get(d).to_vec();
        if let Some(s) = self.spans.get_mut(d) {
            self.garbage += s.len as usize;
            *s = Span::default();
        }
        old
    }

    fn compact(&mut self) {
        let mut data = Vec::with_capacity(self.data.len() - self.garbage);
        for s in &mut self.spans {
            let start = data.len();
            data.extend_from_slice(&self.data[s.start..s.start + s.len as usize]);
            s.start = start;
        }
        self.data = data;
        self.garbage = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_survive_replacement_removal_and_compaction() {
        let mut f: Forward<u32> = Forward::default();
        let mut want: Vec<Vec<u32>> = Vec::new();
        for d in 0..100u32 {
            let list: Vec<u32> = (0..d % 7).map(|i| d * 10 + i).collect();
            assert_eq!(f.push(&list), d as usize);
            want.push(list);
        }
        // enough replacements to force several compactions
        for round in 0..300u32 {
            let d = (round * 37 % 100) as usize;
            if round % 5 == 0 {
                assert_eq!(f.take(d), want[d]);
                want[d].clear();
            } else {
                let list: Vec<u32> = (0..(round % 90)).map(|i| round * 1000 + i).collect();
                f.set(d, &list);
                want[d] = list;
            }
        }
        for (d, w) in want.iter().enumerate() {
            assert_eq!(f.get(d), &w[..], "document {d}");
        }
        assert!(f.get(100).is_empty());
        assert!(f.data.len() <= 2 * want.iter().map(Vec::len).sum::<usize>() + 4096 + 90);
    }
}
