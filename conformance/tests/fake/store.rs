//! What the fake remembers: the accounts, the resources, blacklisted refresh tokens, and (for
//! one defect) the access token issued with each refresh token.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap, HashSet},
    sync::{Mutex, MutexGuard, PoisonError},
    time::{Duration, Instant},
};

use serde_json::{Value, json};

use super::Account;

/// A resource: `field1`, `field2`.
pub type Fields = (String, String);

/// The resources and the next id to hand out.
#[derive(Debug, Clone, Default)]
pub struct Resources {
    pub next_id: u64,
    pub items: BTreeMap<u64, Fields>,
    /// Each resource as it was created (for the defects that read stale copies).
    pub created: BTreeMap<u64, Fields>,
    /// Resources written since their creation.
    pub updated: BTreeSet<u64>,
}

/// The fake's memory.
#[derive(Debug)]
pub struct Store {
    users: Vec<Account>,
    pub resources: Mutex<Resources>,
    blacklist: Mutex<HashMap<String, Instant>>,
    issued_with: Mutex<HashMap<String, String>>,
    issued_at_login: Mutex<HashSet<String>>,
}

/// A lock that a panicking holder cannot spoil: the data is plain, never half-written.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A resource as the API shows it.
pub fn shown(id: u64, (field1, field2): &Fields) -> Value {
    json!({"id": id, "field1": field1, "field2": field2})
}

impl Store {
    pub fn new(users: &[Account]) -> Self {
        Store {
            users: users.to_vec(),
            resources: Mutex::new(Resources {
                next_id: 1,
                ..Resources::default()
            }),
            blacklist: Mutex::new(HashMap::new()),
            issued_with: Mutex::new(HashMap::new()),
            issued_at_login: Mutex::new(HashSet::new()),
        }
    }

    /// The account with this id.
    pub fn user(&self, id: u64) -> Option<Account> {
        self.users.iter().find(|u| u.id == id).copied()
    }

    /// The account whose `field` ("username" or "email") is `login`, compared exactly or
    /// (a defect) ignoring case.
    pub fn user_by(&self, field: &str, login: &str, ignore_case: bool) -> Option<Account> {
        let same =
            |stored: &str| stored == login || (ignore_case && stored.eq_ignore_ascii_case(login));
        self.users
            .iter()
            .find(|u| match field {
                "email" => same(u.email),
                _ => same(u.username),
            })
            .copied()
    }

    /// Every account, as `/api/v1/users/` lists them: with the login fields, or (defects)
    /// without the email, or with every column of the user table.
    pub fn users(&self, all_columns: bool, without_email: bool) -> Value {
        self.users
            .iter()
            .map(|u| {
                let mut shown = json!({"id": u.id, "username": u.username, "email": u.email});
                if without_email && let Some(m) = shown.as_object_mut() {
                    m.remove("email");
                }
                if all_columns {
                    shown["password"] = json!(format!(
                        "pbkdf2_sha256$870000$fakesalt{}$ZmFrZWhhc2g=",
                        u.id
                    ));
                    shown["is_active"] = json!(u.active);
                }
                shown
            })
            .collect()
    }

    pub fn blacklist(&self, jti: &str) {
        lock(&self.blacklist).insert(jti.to_string(), Instant::now());
    }

    /// Whether `jti` is blacklisted, remembering entries for `memory` at most (a defect) or
    /// for good.
    pub fn is_blacklisted(&self, jti: &str, memory: Option<Duration>) -> bool {
        lock(&self.blacklist)
            .get(jti)
            .is_some_and(|at| memory.is_none_or(|m| at.elapsed() < m))
    }

    pub fn remember_login(&self, refresh_jti: &str) {
        lock(&self.issued_at_login).insert(refresh_jti.to_string());
    }

    pub fn issued_at_login(&self, refresh_jti: &str) -> bool {
        lock(&self.issued_at_login).contains(refresh_jti)
    }

    pub fn remember_access(&self, refresh_jti: &str, access: &str) {
        lock(&self.issued_with).insert(refresh_jti.to_string(), access.to_string());
    }

    pub fn access_issued_with(&self, refresh_jti: &str) -> Option<String> {
        lock(&self.issued_with).get(refresh_jti).cloned()
    }

    /// Stores a new resource under the next id (or `id`, if given; or, reusing ids, the
    /// highest in use plus one); returns the id.
    pub fn create(&self, id: Option<u64>, fields: Fields, reuse_ids: bool) -> u64 {
        let mut r = lock(&self.resources);
        let next = if reuse_ids {
            r.items.keys().next_back().map_or(1, |last| last + 1)
        } else {
            r.next_id
        };
        let id = id.unwrap_or(next);
        r.next_id = r.next_id.max(id) + 1;
        r.items.insert(id, fields.clone());
        r.created.insert(id, fields);
        r.updated.remove(&id);
        id
    }

    /// The resource as it was created.
    pub fn as_created(&self, id: u64) -> Option<Fields> {
        lock(&self.resources).created.get(&id).cloned()
    }

    pub fn get(&self, id: u64) -> Option<Fields> {
        lock(&self.resources).items.get(&id).cloned()
    }

    pub fn put(&self, id: u64, fields: Fields) {
        let mut r = lock(&self.resources);
        r.items.insert(id, fields);
        r.updated.insert(id);
    }

    pub fn delete(&self, id: u64) {
        let mut r = lock(&self.resources);
        r.items.remove(&id);
        r.created.remove(&id);
    }

    /// Every resource: as stored, or (defects) as created, each updated one twice, or the
    /// first `cap` only.
    pub fn list(&self, as_created: bool, repeat_updated: bool, cap: Option<usize>) -> Value {
        let r = lock(&self.resources);
        let source = if as_created { &r.created } else { &r.items };
        let mut out = Vec::new();
        for (id, f) in source {
            out.push(shown(*id, f));
            if repeat_updated && r.updated.contains(id) {
                out.push(shown(*id, f));
            }
        }
        out.truncate(cap.unwrap_or(usize::MAX));
        Value::Array(out)
    }
}
