//! The in-memory blacklist of rotated-away refresh tokens (by `jti`), pruned as they expire.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// How often, at most, expired entries are swept (seconds).
const PRUNE_INTERVAL: f64 = 60.0;

#[derive(Debug, Default)]
pub struct Blacklist {
    inner: Mutex<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    /// jti → when the entry may go: past it the token is refused as expired anyway.
    by_jti: HashMap<String, i64>,
    next_prune: f64,
}

impl Blacklist {
    /// Adds a token; false when it was already there (a concurrent refresh won the race).
    pub fn insert(&self, jti: &str, exp: i64, now: f64) -> bool {
        let mut entries = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if now >= entries.next_prune {
            entries.by_jti.retain(|_, exp| (*exp as f64) > now);
            entries.next_prune = now + PRUNE_INTERVAL;
        }
        entries.by_jti.insert(jti.to_owned(), exp).is_none()
    }

    pub fn contains(&self, jti: &str) -> bool {
        let entries = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        entries.by_jti.contains_key(jti)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_reports_duplicates_and_prunes_expired_entries() {
        let blacklist = Blacklist::default();
        assert!(blacklist.insert("a", 100, 50.0));
        assert!(!blacklist.insert("a", 100, 51.0));
        assert!(blacklist.contains("a"));
        assert!(blacklist.insert("b", 500, 200.0));
        assert!(!blacklist.contains("a"));
        assert!(blacklist.contains("b"));
    }
}
