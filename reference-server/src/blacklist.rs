//! The in-memory blacklist of rotated-away refresh tokens (by `jti`), each entry dropped once
//! its token has expired.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::sync::{Mutex, PoisonError};

#[derive(Debug, Default)]
pub struct Blacklist {
    inner: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    by_jti: HashSet<String>,
    /// (when the entry may go, jti), soonest first: past that time the token is refused as
    /// expired anyway. Every insert drops the entries that are due, so the set never holds a
    /// token that could still be used for long, and never forgets one early; no sweep of
    /// the whole set ever runs under the lock.
    by_expiry: BinaryHeap<Reverse<(i64, String)>>,
}

impl Blacklist {
    /// Adds a token that may be forgotten from `forget_after` on; false when it was already
    /// there (a concurrent refresh won the race).
    pub fn insert(&self, jti: &str, forget_after: i64, now: f64) -> bool {
        let mut entries = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        while let Some(Reverse((due, _))) = entries.by_expiry.peek() {
            if *due as f64 > now {
                break;
            }
            if let Some(Reverse((_, gone))) = entries.by_expiry.pop() {
                entries.by_jti.remove(&gone);
            }
        }
        let added = entries.by_jti.insert(jti.to_owned());
        if added {
            entries
                .by_expiry
                .push(Reverse((forget_after, jti.to_owned())));
        }
        added
    }

    pub fn contains(&self, jti: &str) -> bool {
        let entries = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        entries.by_jti.contains(jti)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_reports_duplicates_and_drops_entries_once_due() {
        let blacklist = Blacklist::default();
        assert!(blacklist.insert("a", 100, 50.0));
        assert!(!blacklist.insert("a", 100, 51.0));
        assert!(blacklist.insert("b", 300, 99.5));
        assert!(blacklist.contains("a"));
        assert!(blacklist.insert("c", 400, 100.0));
        assert!(!blacklist.contains("a"));
        assert!(blacklist.contains("b"));
        assert!(blacklist.contains("c"));
        assert!(blacklist.insert("a", 500, 299.9));
        assert!(blacklist.contains("b"));
    }
}
