//! Resource storage: the `ResourceStore` trait and the in-memory store behind it.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use serde::Serialize;

/// One `/api/resource/` row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resource {
    pub id: u64,
    pub field1: String,
    pub field2: String,
}

/// Both fields, already validated (POST and PUT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields {
    pub field1: String,
    pub field2: String,
}

/// Some fields, already validated (PATCH).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldsPatch {
    pub field1: Option<String>,
    pub field2: Option<String>,
}

/// A store that cannot do its job (never raised by the in-memory store).
#[derive(Debug, thiserror::Error)]
#[error("resource store failure: {0}")]
pub struct StoreError(pub String);

/// Where resources live. Every method is atomic: a write that returned is visible to every
/// later read. `Ok(None)` / `Ok(false)` mean "no such id".
pub trait ResourceStore: Send + Sync + std::fmt::Debug {
    fn create(&self, fields: Fields) -> Result<Resource, StoreError>;
    fn get(&self, id: u64) -> Result<Option<Resource>, StoreError>;
    /// Ordered by id.
    fn list(&self) -> Result<Vec<Resource>, StoreError>;
    fn update(&self, id: u64, fields: Fields) -> Result<Option<Resource>, StoreError>;
    fn patch(&self, id: u64, patch: FieldsPatch) -> Result<Option<Resource>, StoreError>;
    fn delete(&self, id: u64) -> Result<bool, StoreError>;
}

/// Resources in a `BTreeMap` behind one mutex; ids start at 1 and are never reused.
#[derive(Debug, Default)]
pub struct InMemoryStore {
    inner: Mutex<Rows>,
}

#[derive(Debug, Default)]
struct Rows {
    by_id: BTreeMap<u64, Resource>,
    last_id: u64,
}

impl InMemoryStore {
    fn rows(&self) -> std::sync::MutexGuard<'_, Rows> {
        // No code holding this lock can panic, so poisoning would carry no broken state.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl ResourceStore for InMemoryStore {
    fn create(&self, fields: Fields) -> Result<Resource, StoreError> {
        let mut rows = self.rows();
        rows.last_id += 1;
        let resource = Resource {
            id: rows.last_id,
            field1: fields.field1,
            field2: fields.field2,
        };
        rows.by_id.insert(resource.id, resource.clone());
        Ok(resource)
    }

    fn get(&self, id: u64) -> Result<Option<Resource>, StoreError> {
        Ok(self.rows().by_id.get(&id).cloned())
    }

    fn list(&self) -> Result<Vec<Resource>, StoreError> {
        Ok(self.rows().by_id.values().cloned().collect())
    }

    fn update(&self, id: u64, fields: Fields) -> Result<Option<Resource>, StoreError> {
        let mut rows = self.rows();
        Ok(rows.by_id.get_mut(&id).map(|row| {
            row.field1 = fields.field1;
            row.field2 = fields.field2;
            row.clone()
        }))
    }

    fn patch(&self, id: u64, patch: FieldsPatch) -> Result<Option<Resource>, StoreError> {
        let mut rows = self.rows();
        Ok(rows.by_id.get_mut(&id).map(|row| {
            if let Some(field1) = patch.field1 {
                row.field1 = field1;
            }
            if let Some(field2) = patch.field2 {
                row.field2 = field2;
            }
            row.clone()
        }))
    }

    fn delete(&self, id: u64) -> Result<bool, StoreError> {
        Ok(self.rows().by_id.remove(&id).is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(a: &str, b: &str) -> Fields {
        Fields {
            field1: a.into(),
            field2: b.into(),
        }
    }

    #[test]
    fn crud_round_trip_and_ids_are_not_reused() -> Result<(), StoreError> {
        let store = InMemoryStore::default();
        assert_eq!(store.create(fields("a", "b"))?.id, 1);
        assert_eq!(store.create(fields("c", "d"))?.id, 2);
        let patched = store.patch(
            1,
            FieldsPatch {
                field2: Some("z".into()),
                ..Default::default()
            },
        )?;
        assert_eq!(
            patched,
            Some(Resource {
                id: 1,
                field1: "a".into(),
                field2: "z".into()
            })
        );
        assert_eq!(
            store.update(2, fields("x", "y"))?.map(|r| r.field1),
            Some("x".into())
        );
        assert!(store.delete(2)?);
        assert!(!store.delete(2)?);
        assert_eq!(store.get(2)?, None);
        assert_eq!(store.update(2, fields("x", "y"))?, None);
        assert_eq!(store.create(fields("e", "f"))?.id, 3);
        let ids: Vec<u64> = store.list()?.iter().map(|r| r.id).collect();
        assert_eq!(ids, [1, 3]);
        Ok(())
    }
}
