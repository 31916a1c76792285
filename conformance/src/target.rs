//! The target of a run: where it is, how it is laid out, which account to use, and what the
//! user told the suite about it (signing key, inactive account, limits).

use std::time::Duration;

use crate::{http::Client, profile::Profile, redact::Redactor, tls::Transport};

/// Credentials of an account on the target.
#[derive(Debug, Clone)]
pub struct Account {
    /// The value of the profile's login field (a username or an email).
    pub login: String,
    /// Its password.
    pub password: String,
}

/// Everything a scenario needs to know about the target; shared by all scenarios of a run.
#[derive(Debug, Clone)]
pub struct Target {
    /// Base URL without a trailing slash.
    pub base_url: String,
    /// Layout and dialect.
    pub profile: Profile,
    /// An existing active account.
    pub account: Account,
    /// An existing inactive account, for the inactive-user rows.
    pub inactive: Option<Account>,
    /// The inactive account's `user_id` claim, for forging its tokens.
    pub inactive_user_id: Option<String>,
    /// The server's HS256 key, for forging tokens.
    pub signing_key: Option<Vec<u8>>,
    /// Longest a scenario may wait for a token to expire.
    pub max_wait: Duration,
    /// The HTTP client every scenario shares.
    pub client: Client,
    /// Hides the key and passwords in all output.
    pub redactor: Redactor,
}

impl Target {
    /// The redactor for these secrets.
    pub fn redactor_for(
        account: &Account,
        inactive: Option<&Account>,
        key: Option<&[u8]>,
        transport: &Transport,
    ) -> Redactor {
        let mut secrets = vec![(account.password.clone(), "<password>")];
        if let Some(i) = inactive {
            secrets.push((i.password.clone(), "<inactive password>"));
        }
        if let Some(k) = key {
            secrets.push((String::from_utf8_lossy(k).into_owned(), "<signing key>"));
        }
        secrets.extend(transport.secrets());
        Redactor::new(secrets)
    }

    /// An absolute URL for a path of the profile.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }
}
