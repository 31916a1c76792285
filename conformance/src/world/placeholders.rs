//! `${...}` in feature text, and the tokens a scenario holds: resolving placeholders,
//! deriving forged tokens, estimating the server's clock.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use conformance::{
    jwt::{self, DeriveError, Forge},
    profile::Endpoint,
    template::{self, Escape, Unresolved},
};
use serde_json::Value;

use super::{ApiWorld, NO_INACTIVE, NO_RESOURCES, Token, skip};

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

impl ApiWorld {
    /// Expands `${...}` in feature text, skipping or failing as the placeholder demands.
    pub fn expand(&self, text: &str, escape: Escape) -> String {
        match template::expand(text, escape, |name| self.resolve(name)) {
            Ok(s) => s,
            Err(Unresolved::Skip(why)) => skip(why),
            Err(Unresolved::Error(why)) => self.fail(format!("suite error in {text:?}: {why}")),
        }
    }

    fn resolve(&self, name: &str) -> Result<String, Unresolved> {
        let t = &self.t;
        let p = &t.profile;
        let need = |v: Option<&String>, why: &str| {
            v.cloned().ok_or_else(|| Unresolved::Skip(why.to_string()))
        };
        Ok(match name {
            "login_field" => p.login_field.clone(),
            "login" => t.account.login.clone(),
            "password" => t.account.password.clone(),
            "inactive_login" => need(t.inactive.as_ref().map(|a| &a.login), NO_INACTIVE)?,
            "inactive_password" => need(t.inactive.as_ref().map(|a| &a.password), NO_INACTIVE)?,
            "unknown_login" => self.unknown_login(),
            "basic_credentials" => base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", t.account.login, t.account.password)),
            "obtain_path" => self.endpoint_path(Endpoint::Obtain),
            "obtain_path_without_slash" => {
                let path = self.endpoint_path(Endpoint::Obtain);
                path.strip_suffix('/').map(str::to_string).unwrap_or(path)
            }
            "collection" => need(p.endpoints.resources.as_ref(), NO_RESOURCES)?,
            "protected_path" => self.endpoint_path(Endpoint::Protected),
            "login_swapped_case" => case_swapped(&t.account.login)?,
            "password_swapped_case" => case_swapped(&t.account.password)?,
            "login_local_part" => match t.account.login.split_once('@') {
                Some((local, _)) if p.login_field == "email" => local.to_string(),
                _ => return Err(Unresolved::Skip(
                    "the profile's login is not an email, so there is no username to try in its place".into(),
                )),
            },
            token => return self.token_value(token),
        })
    }

    /// A login no account has, shaped like the profile's logins.
    pub fn unknown_login(&self) -> String {
        let tag = &uuid::Uuid::new_v4().simple().to_string()[..12];
        if self.t.profile.login_field == "email" || self.t.account.login.contains('@') {
            format!("nobody-{tag}@example.com")
        } else {
            format!("nobody-{tag}")
        }
    }

    /// `${name}` or `${name:derivation}` for a token the scenario holds.
    fn token_value(&self, spec: &str) -> Result<String, Unresolved> {
        let (name, derivation) = match spec.split_once(':') {
            Some((n, d)) => (n, Some(d)),
            None => (spec, None),
        };
        let token = self.tokens.get(name).ok_or_else(|| {
            Unresolved::Error(format!(
                "${{{name}}} is not a placeholder, nor a token obtained in this scenario"
            ))
        })?;
        let Some(derivation) = derivation else {
            return Ok(token.value.clone());
        };
        let forge = Forge {
            algorithm: self.t.profile.algorithm,
            key: self.t.signing_key.as_deref(),
            private_key: self.t.private_key.as_ref(),
            public_keys: self.t.public_keys.as_ref(),
            server_now: self.server_now(token),
            leeway: i64::try_from(self.t.profile.leeway.as_secs()).unwrap_or(i64::MAX),
            inactive_user_id: self.t.inactive_user_id.as_deref(),
            names: &self.t.profile.wire,
        };
        jwt::derive(&token.value, derivation, &forge).map_err(|e| match e {
            DeriveError::Unknown(_) => Unresolved::Error(e.to_string()),
            other => Unresolved::Skip(other.to_string()),
        })
    }

    /// The server's clock now, estimated from a token's `iat` and when it arrived.
    pub fn server_now(&self, token: &Token) -> i64 {
        let since = SystemTime::now()
            .duration_since(token.received)
            .unwrap_or_default()
            .as_secs_f64();
        match jwt::decode(&token.value)
            .ok()
            .and_then(|d| d.claims.get("iat").and_then(Value::as_i64))
        {
            // Floored like the server's own `iat`.
            Some(iat) => iat + since as i64,
            None => unix_now() as i64,
        }
    }

    /// Looks up a token by its `${...}` reference (derivations allowed).
    pub fn token(&self, reference: &str) -> String {
        self.expand(reference, Escape::Plain)
    }

    /// The held token a `${name}` reference names (no derivation).
    pub fn held(&self, reference: &str) -> Token {
        let name = reference.trim_start_matches("${").trim_end_matches('}');
        self.tokens.get(name).cloned().unwrap_or_else(|| {
            self.fail(format!(
                "suite error: no token {reference} in this scenario"
            ))
        })
    }

    /// Stores a token under a name.
    pub fn keep_token(&mut self, name: &str, value: &str) {
        self.tokens.insert(
            name.to_string(),
            Token {
                value: value.to_string(),
                received: SystemTime::now(),
            },
        );
    }
}

/// The text with upper and lower case swapped: a login or password that differs only in case.
fn swap_case(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_uppercase() {
                c.to_lowercase().collect::<String>()
            } else {
                c.to_uppercase().collect::<String>()
            }
        })
        .collect()
}

fn case_swapped(text: &str) -> Result<String, Unresolved> {
    let swapped = swap_case(text);
    if swapped == text {
        return Err(Unresolved::Skip(
            "the account's login or password has no letters whose case could change".into(),
        ));
    }
    Ok(swapped)
}
