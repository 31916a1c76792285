//! The target of a run: where it is, how it is laid out, which account to use, and what the
//! user told the suite about it (signing key, inactive account, limits).

use std::time::Duration;

use base64::Engine as _;

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
        // `${basic_credentials}` puts the password in a header, base64-encoded.
        let basic = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", account.login, account.password));
        let mut secrets = vec![
            (account.password.clone(), "<password>"),
            (basic, "<basic credentials>"),
        ];
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_redactor_hides_passwords_basic_credentials_and_header_values() {
        let account = Account {
            login: "erin".into(),
            password: "erin-pw-1".into(),
        };
        let transport = Transport::new(&crate::tls::TransportOptions {
            headers: vec!["X-Api-Key: gw-secret-4711".into()],
            ..Default::default()
        })
        .expect("valid");
        let r = Target::redactor_for(&account, None, Some(b"the-key-0123"), &transport);
        let shown =
            r.apply("erin-pw-1 Basic ZXJpbjplcmluLXB3LTE= the-key-0123 x-api-key: gw-secret-4711");
        assert_eq!(
            shown,
            "<password> Basic <basic credentials> <signing key> x-api-key: <--header value>"
        );
    }
}
