//! The user store: accounts with argon2id password hashes, looked up by username, email or id.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::Serialize;

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

/// All accounts, fixed at start; ids are 1, 2, ... in configuration order.
pub struct UserStore {
    users: Vec<User>,
    /// Verified against when the login names no account, so that costs what a wrong
    /// password costs.
    dummy_hash: String,
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
        })
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
    /// saying why. Always runs one argon2 verification, on a blocking thread.
    pub async fn authenticate(
        &self,
        field: LoginField,
        login: &str,
        password: String,
    ) -> Option<User> {
        let account = self.by_login(field, login).cloned();
        let hash = account.as_ref().map_or_else(
            || self.dummy_hash.clone(),
            |user| user.password_hash.clone(),
        );
        let matches = tokio::task::spawn_blocking(move || verify_password(&hash, &password))
            .await
            .unwrap_or_else(|err| {
                tracing::error!(error = %err, "password verification task failed");
                false
            });
        account.filter(|user| matches && user.active)
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

/// Constant-time comparison is argon2's own.
fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .and_then(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed))
        .is_ok()
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
            .await;
        assert_eq!(ok.map(|u| u.id), Some(1));
        let by_email = store
            .authenticate(
                LoginField::Email,
                "demo@example.com",
                "demo-password".into(),
            )
            .await;
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
                    .is_none(),
                "{login}"
            );
        }
    }
}
