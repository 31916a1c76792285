//! The user store: accounts with argon2id password hashes, looked up by username, email or id.

use std::sync::Arc;

use argon2::password_hash::{Output, PasswordHash, PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use serde::Serialize;
use std::sync::{Mutex, mpsc};

use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

use crate::config::UserSpec;

/// One account. The password is only ever held as an argon2id PHC string.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub id: u64,
    pub username: String,
    pub email: String,
    pub active: bool,
    password_hash: String,
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("email", &self.email)
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

/// How `/api/v1/users/` shows a user.
#[derive(Debug, Clone, Serialize)]
pub struct PublicUser<'a> {
    pub id: u64,
    pub username: &'a str,
    pub email: &'a str,
}

/// Which field a login names the account by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginField {
    Username,
    Email,
}

#[derive(Debug, thiserror::Error)]
#[error("could not hash a password: {0}")]
pub struct HashError(String);

/// A login refused before its password was looked at: every check slot and queue place is
/// taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many logins in progress")]
pub struct LoginsBusy;

/// Bounds the memory of password checking: argon2 runs only on `concurrent` threads of its
/// own (so at most that many of its 19 MiB blocks exist, and the allocator keeps at most that
/// many arenas warm), with at most `queue` more logins waiting; past that a login is refused
/// at once.
#[derive(Debug, Clone)]
pub struct LoginGate {
    /// Checks running plus logins waiting.
    admitted: Arc<Semaphore>,
    jobs: mpsc::Sender<Check>,
}

/// One password check, with the place it holds in the gate: released by the thread that ran
/// it, so a client that goes away frees nothing before the check's memory is freed.
struct Check {
    hash: String,
    password: String,
    reply: oneshot::Sender<bool>,
    _admitted: OwnedSemaphorePermit,
}

impl LoginGate {
    /// Starts `concurrent` (at least 1) checking threads; they end when the last clone of
    /// the gate is dropped.
    pub fn new(concurrent: usize, queue: usize) -> LoginGate {
        let concurrent = concurrent.max(1);
        let (jobs, queued) = mpsc::channel::<Check>();
        let queued = Arc::new(Mutex::new(queued));
        for index in 0..concurrent {
            let queued = Arc::clone(&queued);
            let spawned = std::thread::Builder::new()
                .name(format!("password-check-{index}"))
                .spawn(move || {
                    // argon2's working memory, allocated once per thread and reused: left to
                    // the allocator, each check's 19 MiB tends to land somewhere new.
                    let mut memory = Vec::new();
                    loop {
                        let next = match queued.lock() {
                            Ok(receiver) => receiver.recv(),
                            Err(_) => return,
                        };
                        let Ok(check) = next else { return };
                        let matches = verify_password_in(&mut memory, &check.hash, &check.password);
                        let _ = check.reply.send(matches);
                    }
                });
            if let Err(err) = spawned {
                tracing::error!(%err, "cannot start a password checking thread");
            }
        }
        LoginGate {
            admitted: Arc::new(Semaphore::new(concurrent.saturating_add(queue))),
            jobs,
        }
    }

    /// Whether `password` matches the PHC string `hash`, checked on one of the gate's
    /// threads after waiting in its queue; `LoginsBusy` when the queue is full.
    pub async fn check(&self, hash: String, password: String) -> Result<bool, LoginsBusy> {
        let admitted = Arc::clone(&self.admitted)
            .try_acquire_owned()
            .map_err(|_| LoginsBusy)?;
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Check {
                hash,
                password,
                reply,
                _admitted: admitted,
            })
            .map_err(|_| LoginsBusy)?;
        answer.await.map_err(|_| {
            tracing::error!("a password check ended without an answer");
            LoginsBusy
        })
    }
}

/// All accounts, fixed at start; ids are 1, 2, ... in configuration order.
pub struct UserStore {
    users: Vec<User>,
    /// Verified against when the login names no account, so that costs what a wrong
    /// password costs.
    dummy_hash: String,
    gate: LoginGate,
}

impl std::fmt::Debug for UserStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserStore")
            .field("users", &self.users)
            .finish_non_exhaustive()
    }
}

impl UserStore {
    /// Hashes every password (slow by design: run it off the async threads).
    pub fn build(specs: &[UserSpec]) -> Result<UserStore, HashError> {
        let users = specs
            .iter()
            .zip(1..)
            .map(|(spec, id)| {
                Ok(User {
                    id,
                    username: spec.username.clone(),
                    email: spec.email.clone(),
                    active: spec.active,
                    password_hash: hash_password(&spec.password)?,
                })
            })
            .collect::<Result<Vec<_>, HashError>>()?;
        let dummy = uuid::Uuid::new_v4().simple().to_string();
        Ok(UserStore {
            users,
            dummy_hash: hash_password(&dummy)?,
            gate: LoginGate::new(crate::config::default_login_limit(), 32),
        })
    }

    /// The same store with password checks bounded by `gate`.
    pub fn with_gate(self, gate: LoginGate) -> UserStore {
        UserStore { gate, ..self }
    }

    pub fn all(&self) -> &[User] {
        &self.users
    }

    pub fn by_id(&self, id: u64) -> Option<&User> {
        self.users.iter().find(|user| user.id == id)
    }

    /// Exact, case-sensitive match (Django's default username and email lookups).
    pub fn by_login(&self, field: LoginField, value: &str) -> Option<&User> {
        self.users.iter().find(|user| match field {
            LoginField::Username => user.username == value,
            LoginField::Email => user.email == value,
        })
    }

    /// The active account named by `login` whose password is `password`, or `None` without
    /// saying why. Always runs one argon2 verification (against a dummy hash when no account
    /// matches, so timing tells nothing), on one of the login gate's threads;
    /// `LoginsBusy` when the gate's queue is full.
    pub async fn authenticate(
        &self,
        field: LoginField,
        login: &str,
        password: String,
    ) -> Result<Option<User>, LoginsBusy> {
        let account = self.by_login(field, login).cloned();
        let hash = account.as_ref().map_or_else(
            || self.dummy_hash.clone(),
            |user| user.password_hash.clone(),
        );
        let matches = self.gate.check(hash, password).await?;
        Ok(account.filter(|user| matches && user.active))
    }
}

impl User {
    pub fn public(&self) -> PublicUser<'_> {
        PublicUser {
            id: self.id,
            username: &self.username,
            email: &self.email,
        }
    }
}

fn hash_password(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|err| HashError(err.to_string()))
}

/// What `PasswordVerifier::verify_password` does, with argon2's working memory in `memory`
/// (grown to the hash's size on first use). The comparison is `Output`'s, in constant time.
fn verify_password_in(memory: &mut Vec<Block>, hash: &str, password: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
    ) else {
        return false;
    };
    let version = match parsed.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(version)) => version,
        Some(Err(_)) => return false,
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::new());
    }
    let mut computed = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt,
            &mut computed,
            &mut memory[..blocks],
        )
        .is_ok()
        && Output::new(&computed).is_ok_and(|computed| computed == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> UserStore {
        let specs = [
            UserSpec::demo(),
            UserSpec {
                username: "off".into(),
                email: "off@example.com".into(),
                password: "off-pw".into(),
                active: false,
            },
        ];
        UserStore::build(&specs).unwrap_or_else(|err| panic!("{err}"))
    }

    #[test]
    fn ids_follow_configuration_order_and_hashes_are_argon2id() {
        let store = store();
        assert_eq!(store.by_id(1).map(|u| u.username.as_str()), Some("demo"));
        assert_eq!(
            store.by_id(2).map(|u| u.email.as_str()),
            Some("off@example.com")
        );
        assert!(store.by_id(3).is_none());
        assert!(
            store
                .all()
                .iter()
                .all(|u| u.password_hash.starts_with("$argon2id$"))
        );
        assert!(!format!("{:?}", store.all()).contains("argon2"));
    }

    #[tokio::test]
    async fn only_active_accounts_with_the_right_password_log_in() {
        let store = store();
        let ok = store
            .authenticate(LoginField::Username, "demo", "demo-password".into())
            .await
            .ok()
            .flatten();
        assert_eq!(ok.map(|u| u.id), Some(1));
        let by_email = store
            .authenticate(
                LoginField::Email,
                "demo@example.com",
                "demo-password".into(),
            )
            .await
            .ok()
            .flatten();
        assert_eq!(by_email.map(|u| u.id), Some(1));
        for (field, login, password) in [
            (LoginField::Username, "demo", "wrong"),
            (LoginField::Username, "DEMO", "demo-password"),
            (LoginField::Username, "nobody", "demo-password"),
            (LoginField::Username, "off", "off-pw"),
            (LoginField::Email, "demo", "demo-password"),
        ] {
            assert!(
                store
                    .authenticate(field, login, password.into())
                    .await
                    .is_ok_and(|user| user.is_none()),
                "{login}"
            );
        }
    }

    #[test]
    fn reused_memory_verifies_like_argon2_itself() {
        let hash = hash_password("pw").unwrap_or_default();
        let mut memory = Vec::new();
        for _ in 0..2 {
            assert!(verify_password_in(&mut memory, &hash, "pw"));
            assert!(!verify_password_in(&mut memory, &hash, "pw "));
            assert!(!verify_password_in(&mut memory, "$argon2id$garbage", "pw"));
        }
        let parsed = PasswordHash::new(&hash);
        assert!(parsed.is_ok_and(|parsed| {
            use argon2::password_hash::PasswordVerifier as _;
            Argon2::default().verify_password(b"pw", &parsed).is_ok()
        }));
    }

    #[tokio::test]
    async fn the_gate_refuses_past_its_queue() {
        let store = store().with_gate(LoginGate::new(1, 2));
        let hash = store.dummy_hash.clone();
        let checks = (0..12).map(|_| store.gate.check(hash.clone(), "x".into()));
        let answers = futures_util::future::join_all(checks).await;
        // Three are admitted before any can finish; the rest are refused at once.
        assert_eq!(answers.iter().filter(|a| **a == Ok(false)).count(), 3);
        assert_eq!(answers.iter().filter(|a| **a == Err(LoginsBusy)).count(), 9);
        assert_eq!(store.gate.check(hash, "x".into()).await, Ok(false));
    }
}
