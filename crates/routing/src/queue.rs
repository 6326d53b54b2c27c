//! One waiting line for a (skill group, media): a FIFO per priority class, and
//! aging across classes in the manner of FreeSWITCH mod_callcenter — an item's
//! score is the time it has waited plus its class's base score. Because every
//! item ages at the same rate, comparing two scores never needs the clock:
//! `base(a) - enq(a)` versus `base(b) - enq(b)`. So the head is always one of
//! the class heads, and nobody waits forever behind a stream of VIPs.

use crate::model::{Millis, PRIORITY_CLASSES};
use std::collections::VecDeque;

/// One queued entry. `seq` breaks ties between equal enqueue times so order is
/// total and reproducible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Entry {
    pub enq: Millis,
    pub seq: u64,
    pub item: u32,
}

#[derive(Debug, Clone, Default)]
pub struct Queue {
    classes: [VecDeque<Entry>; PRIORITY_CLASSES],
}

/// Rank of an entry of class `c` under bases `base`: larger is served first.
fn rank(
    base: &[Millis; PRIORITY_CLASSES],
    c: usize,
    e: &Entry,
) -> (Millis, std::cmp::Reverse<u64>) {
    (base[c] - e.enq, std::cmp::Reverse(e.seq))
}

impl Queue {
    pub fn len(&self) -> usize {
        self.classes.iter().map(VecDeque::len).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.classes.iter().all(VecDeque::is_empty)
    }

    /// Insert in FIFO order within the class (re-queued items go back to the
    /// place their enqueue time gives them).
    pub fn insert(&mut self, class: usize, e: Entry) {
        let q = &mut self.classes[class];
        if q.back().is_none_or(|b| *b < e) {
            q.push_back(e);
        } else {
            let at = q.partition_point(|x| *x < e);
            q.insert(at, e);
        }
    }

    /// Remove a specific entry; false if it was not there.
    pub fn remove(&mut self, class: usize, e: &Entry) -> bool {
        let q = &mut self.classes[class];
        if q.front() == Some(e) {
            q.pop_front();
            return true;
        }
        match q.binary_search(e) {
            Ok(at) => {
                q.remove(at);
                true
            }
            Err(_) => false,
        }
    }

    /// The entry to serve next and its class.
    pub fn head(&self, base: &[Millis; PRIORITY_CLASSES]) -> Option<(usize, Entry)> {
        (0..PRIORITY_CLASSES)
            .filter_map(|c| self.classes[c].front().map(|e| (c, *e)))
            .max_by_key(|(c, e)| rank(base, *c, e))
    }

    /// How many entries are served before `e` (of class `class`): 0 = next.
    pub fn position(&self, base: &[Millis; PRIORITY_CLASSES], class: usize, e: &Entry) -> usize {
        let mine = rank(base, class, e);
        (0..PRIORITY_CLASSES)
            .map(|c| {
                // Within a class rank falls as (enq, seq) rises, so the entries
                // ahead of us form a prefix.
                self.classes[c].partition_point(|x| rank(base, c, x) > mine)
            })
            .sum()
    }

    /// Every entry in service order (for pushing positions to all waiting
    /// customers at once): a k-way merge of the class lines.
    pub fn in_order(&self, base: &[Millis; PRIORITY_CLASSES]) -> Vec<(usize, Entry)> {
        let mut idx = [0usize; PRIORITY_CLASSES];
        let mut out = Vec::with_capacity(self.len());
        loop {
            let next = (0..PRIORITY_CLASSES)
                .filter_map(|c| self.classes[c].get(idx[c]).map(|e| (c, *e)))
                .max_by_key(|(c, e)| rank(base, *c, e));
            match next {
                Some((c, e)) => {
                    idx[c] += 1;
                    out.push((c, e));
                }
                None => return out,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: [Millis; 3] = [0, 60_000, 300_000];

    fn e(enq: Millis, seq: u64) -> Entry {
        Entry {
            enq,
            seq,
            item: seq as u32,
        }
    }

    #[test]
    fn fifo_within_a_class() {
        let mut q = Queue::default();
        q.insert(0, e(10, 1));
        q.insert(0, e(20, 2));
        q.insert(0, e(15, 3)); // re-queued with its original time
        assert_eq!(q.head(&BASE).unwrap().1.seq, 1);
        assert!(q.remove(0, &e(10, 1)));
        assert_eq!(q.head(&BASE).unwrap().1.seq, 3);
    }

    #[test]
    fn vip_jumps_ahead_but_long_waiters_age_past_it() {
        let mut q = Queue::default();
        q.insert(0, e(0, 1)); // normal, waiting since t=0
        q.insert(1, e(30_000, 2)); // VIP since 30 s: score base 60 s - 30 s = +30 s vs 0
        assert_eq!(q.head(&BASE).unwrap().1.seq, 2, "VIP first");
        q.insert(1, e(100_000, 3)); // VIP since 100 s: 60 - 100 = -40 s, below the normal's 0
        q.remove(1, &e(30_000, 2));
        assert_eq!(
            q.head(&BASE).unwrap().1.seq,
            1,
            "the old normal item has aged past the new VIP"
        );
        assert_eq!(q.position(&BASE, 1, &e(100_000, 3)), 1);
        assert_eq!(q.position(&BASE, 0, &e(0, 1)), 0);
    }

    #[test]
    fn positions_agree_with_service_order() {
        let mut q = Queue::default();
        let mut seq = 0;
        for t in 0..50 {
            for c in 0..3 {
                seq += 1;
                q.insert(c, e(t * 7_000 + c as i64 * 1000, seq));
            }
        }
        let order = q.in_order(&BASE);
        assert_eq!(order.len(), q.len());
        for (pos, (c, entry)) in order.iter().enumerate() {
            assert_eq!(q.position(&BASE, *c, entry), pos);
        }
        // Draining by head gives the same order.
        let mut drained = Vec::new();
        while let Some((c, h)) = q.head(&BASE) {
            q.remove(c, &h);
            drained.push((c, h));
        }
        assert_eq!(drained, order);
    }
}
