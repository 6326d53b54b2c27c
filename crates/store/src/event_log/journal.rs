//! The SQLite writer's journal: where a new event waits, in one of
//! [`PARTS`] tables picked by its conversation, until the writer moves that
//! part into `conversation_events` (see the module above and migration 0016).
//!
//! Parts move one at a time, in turn, one every `1/PARTS` of
//! [`journal_every`]: each part still gathers a second or two of its
//! conversations' events per move (one index-leaf write per conversation for
//! all of them), while a move holds the writer for a sixteenth of the time
//! one move of everything did (measured: 100–225 ms for 21,000 events at
//! 19,000 msgs/s, docs/benchmarks.md).

use std::collections::HashMap;
use std::time::{Duration, Instant};

pub(crate) const PARTS: usize = 16;

const TABLES: [&str; PARTS] = [
    "conversation_event_journal_00",
    "conversation_event_journal_01",
    "conversation_event_journal_02",
    "conversation_event_journal_03",
    "conversation_event_journal_04",
    "conversation_event_journal_05",
    "conversation_event_journal_06",
    "conversation_event_journal_07",
    "conversation_event_journal_08",
    "conversation_event_journal_09",
    "conversation_event_journal_10",
    "conversation_event_journal_11",
    "conversation_event_journal_12",
    "conversation_event_journal_13",
    "conversation_event_journal_14",
    "conversation_event_journal_15",
];

/// The part a conversation's new events wait in: FNV-1a of its id. Stored
/// rows depend on it, so it must never change.
pub(crate) fn part_of(conversation_id: &str) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in conversation_id.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % PARTS as u64) as usize
}

/// The journal table holding `conversation_id`'s newest events (SQLite).
pub fn journal_table(conversation_id: &str) -> &'static str {
    TABLES[part_of(conversation_id)]
}

/// The append to `part`, built once.
pub(crate) fn insert_sql(part: usize) -> &'static str {
    static SQL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    &SQL.get_or_init(|| per_part(
        "INSERT INTO {table} (conversation_id, seq, tenant_id, kind, sender_type, sender_id, sender_name, client_id, body, private, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    ))[part]
}

/// One row of `part` by its id, built once.
pub(crate) fn by_id_sql(part: usize) -> &'static str {
    static SQL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    &SQL.get_or_init(|| per_part(
        "SELECT conversation_id, seq, kind, sender_type, sender_id, sender_name, client_id, body, private, at \
         FROM {table} WHERE id = $1",
    ))[part]
}

/// `sql` once per part, `{table}` naming the part.
fn per_part(sql: &str) -> Vec<String> {
    TABLES.iter().map(|t| sql.replace("{table}", t)).collect()
}

/// The move of one part: sorted, so that each conversation's index leaves
/// are written once per move, not once per event. `OR IGNORE`: a client id
/// that an append outside the writer stored meanwhile (its look-up and its
/// insert are not one transaction) would otherwise fail every move of the
/// part for good; the copy in the log is the one kept.
pub(crate) fn move_sql(part: usize) -> String {
    let t = TABLES[part];
    format!(
        "INSERT OR IGNORE INTO conversation_events (conversation_id, seq, tenant_id, kind, sender_type, sender_id, sender_name, client_id, body, private, at) \
         SELECT conversation_id, seq, tenant_id, kind, sender_type, sender_id, sender_name, client_id, body, private, at \
         FROM {t} ORDER BY conversation_id, seq; DELETE FROM {t};"
    )
}

/// How often each part moves: `KEFU_JOURNAL_MS`, default 2,000 ms. Longer
/// gathers more events per conversation into one leaf write; shorter keeps
/// the parts, which readers scan, smaller. At 19,200 msgs/s, 2 s held p99 at
/// 26 ms where 1 s gave 31 ms (docs/benchmarks.md).
pub(crate) fn journal_every() -> Duration {
    static D: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();
    *D.get_or_init(|| Duration::from_millis(super::env_u64("KEFU_JOURNAL_MS", 2000)))
}

/// A part moves out of turn once it holds this many rows (readers scan it).
const PART_CAP: u64 = 8_192;

/// The writer's memory of the journal, whose only writer it is.
pub(crate) struct Journal {
    parts: Vec<Part>,
    /// The part whose turn is next, and when.
    next: usize,
    next_at: Option<Instant>,
    /// After a failed move: no move before then, even of a full part.
    retry_at: Option<Instant>,
}

#[derive(Default)]
struct Part {
    rows: u64,
    /// The row of each client id in this part, by [`client_key`].
    client_ids: HashMap<String, i64>,
}

impl Default for Journal {
    fn default() -> Self {
        Self {
            parts: (0..PARTS).map(|_| Part::default()).collect(),
            next: 0,
            next_at: None,
            retry_at: None,
        }
    }
}

fn client_key(tenant: &str, conversation: &str, client_id: &str) -> String {
    format!("{tenant}\u{0}{conversation}\u{0}{client_id}")
}

impl Journal {
    /// The journal row holding this client id, as (part, id).
    pub(crate) fn find(&self, tenant: &str, conv: &str, cid: &str) -> Option<(usize, i64)> {
        let part = part_of(conv);
        let id = self.parts[part]
            .client_ids
            .get(&client_key(tenant, conv, cid))?;
        Some((part, *id))
    }

    /// Remember a new row; returns what [`Journal::forget`] needs to undo it.
    pub(crate) fn remember(
        &mut self,
        tenant: &str,
        conv: &str,
        cid: Option<&str>,
        id: i64,
    ) -> (usize, Option<String>) {
        let part = part_of(conv);
        let key = cid.map(|cid| client_key(tenant, conv, cid));
        if let Some(key) = &key {
            self.parts[part].client_ids.insert(key.clone(), id);
        }
        self.parts[part].rows += 1;
        (part, key)
    }

    /// Undo [`Journal::remember`] for rows whose transaction did not commit.
    pub(crate) fn forget(&mut self, added: Vec<(usize, Option<String>)>) {
        for (part, key) in added {
            let p = &mut self.parts[part];
            p.rows = p.rows.saturating_sub(1);
            if let Some(key) = key {
                p.client_ids.remove(&key);
            }
        }
    }

    /// Start the clock once rows are committed to an empty journal.
    pub(crate) fn committed(&mut self) {
        if self.next_at.is_none() && self.parts.iter().any(|p| p.rows > 0) {
            self.next_at = Some(Instant::now() + slot());
        }
    }

    /// How long until the next part should move; `None` with nothing to move.
    pub(crate) fn due_in(&self) -> Option<Duration> {
        let at = self.next_at?;
        if let Some(retry) = self.retry_at.filter(|r| *r > Instant::now()) {
            return Some(retry.saturating_duration_since(Instant::now()));
        }
        if self.parts.iter().any(|p| p.rows >= PART_CAP) {
            return Some(Duration::ZERO);
        }
        Some(at.saturating_duration_since(Instant::now()))
    }

    /// The part to move now: one over its cap, else the one in turn.
    pub(crate) fn due_part(&self) -> usize {
        self.parts
            .iter()
            .position(|p| p.rows >= PART_CAP)
            .unwrap_or(self.next)
    }

    pub(crate) fn is_empty(&self, part: usize) -> bool {
        self.parts[part].rows == 0
    }

    /// `part` moved (or was empty): forget it, and pass the turn on.
    pub(crate) fn moved(&mut self, part: usize) {
        self.parts[part] = Part::default();
        self.retry_at = None;
        if part == self.next {
            self.next = (self.next + 1) % PARTS;
        }
        self.next_at = if self.parts.iter().all(|p| p.rows == 0) {
            None
        } else {
            Some(Instant::now() + slot())
        };
    }

    /// A move failed: readers still find the rows in the part; try later.
    pub(crate) fn postpone(&mut self) {
        let at = Instant::now() + journal_every();
        self.next_at = Some(at);
        self.retry_at = Some(at);
    }
}

/// The time between two moves.
fn slot() -> Duration {
    journal_every() / PARTS as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversations_spread_over_the_parts_and_stay_put() {
        let mut seen = [0usize; PARTS];
        for i in 0..1600 {
            let id = format!("01a200ea-11a7-7327-b326-{i:012}");
            assert_eq!(part_of(&id), part_of(&id.clone()));
            seen[part_of(&id)] += 1;
        }
        assert!(seen.iter().all(|&n| n > 60), "{seen:?}");
        // Fixed forever: rows already in a part are looked for there. FNV-1a
        // of "a" is 0xaf63dc4c8601ec8c (the published test vector).
        assert_eq!(part_of("a"), 0xc);
        assert_eq!(journal_table("a"), "conversation_event_journal_12");
    }

    #[test]
    fn parts_move_in_turn_and_an_overfull_part_first() {
        let mut j = Journal::default();
        assert_eq!(j.due_in(), None, "nothing to move");
        let conv = "c-1";
        let p = part_of(conv);
        let added = vec![j.remember("t", conv, Some("m-1"), 1)];
        j.committed();
        assert!(j.due_in().is_some());
        assert_eq!(j.find("t", conv, "m-1"), Some((p, 1)));
        j.forget(added);
        assert_eq!(
            j.find("t", conv, "m-1"),
            None,
            "a rolled-back row is forgotten"
        );
        for i in 0..PART_CAP {
            j.remember("t", conv, None, i as i64);
        }
        assert_eq!(j.due_in(), Some(Duration::ZERO));
        assert_eq!(j.due_part(), p);
        j.postpone();
        assert!(
            j.due_in().is_some_and(|d| d > Duration::ZERO),
            "a failed move of a full part is not retried at once"
        );
        j.moved(p);
        assert_eq!(j.due_in(), None, "all moved");
    }
}
