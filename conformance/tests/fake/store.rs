//! What the fake remembers: the accounts, the resources, blacklisted refresh tokens, and (for
//! one defect) the access token issued with each refresh token.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::{Mutex, MutexGuard, PoisonError},
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
}

/// The fake's memory.
#[derive(Debug)]
pub struct Store {
    users: Vec<Account>,
    pub resources: Mutex<Resources>,
    blacklist: Mutex<HashSet<String>>,
    issued_with: Mutex<HashMap<String, String>>,
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
                items: BTreeMap::new(),
            }),
            blacklist: Mutex::new(HashSet::new()),
            issued_with: Mutex::new(HashMap::new()),
        }
    }

    /// The account with this id.
    pub fn user(&self, id: u64) -> Option<Account> {
        self.users.iter().find(|u| u.id == id).copied()
    }

    /// The account whose `field` ("username" or "email") is `login`.
    pub fn user_by(&self, field: &str, login: &str) -> Option<Account> {
        self.users
            .iter()
            .find(|u| match field {
                "email" => u.email == login,
                _ => u.username == login,
            })
            .copied()
    }

    /// Every account, as `/api/v1/users/` lists them.
    pub fn users(&self) -> Value {
        self.users
            .iter()
            .map(|u| json!({"id": u.id, "username": u.username, "email": u.email}))
            .collect()
    }

    pub fn blacklist(&self, jti: &str) {
        lock(&self.blacklist).insert(jti.to_string());
    }

    pub fn is_blacklisted(&self, jti: &str) -> bool {
        lock(&self.blacklist).contains(jti)
    }

    pub fn remember_access(&self, refresh_jti: &str, access: &str) {
        lock(&self.issued_with).insert(refresh_jti.to_string(), access.to_string());
    }

    pub fn access_issued_with(&self, refresh_jti: &str) -> Option<String> {
        lock(&self.issued_with).get(refresh_jti).cloned()
    }

    /// Stores a new resource under the next id (or `id`, if given); returns the id.
    pub fn create(&self, id: Option<u64>, fields: Fields) -> u64 {
        let mut r = lock(&self.resources);
        let id = id.unwrap_or(r.next_id);
        r.next_id = r.next_id.max(id) + 1;
        r.items.insert(id, fields);
        id
    }

    pub fn get(&self, id: u64) -> Option<Fields> {
        lock(&self.resources).items.get(&id).cloned()
    }

    pub fn put(&self, id: u64, fields: Fields) {
        lock(&self.resources).items.insert(id, fields);
    }

    pub fn delete(&self, id: u64) {
        lock(&self.resources).items.remove(&id);
    }

    pub fn list(&self) -> Value {
        lock(&self.resources)
            .items
            .iter()
            .map(|(id, f)| shown(*id, f))
            .collect()
    }
}
