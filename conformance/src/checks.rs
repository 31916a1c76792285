//! The rules that hold for every response, each a named check (as schemathesis names its
//! checks): the scenarios' every exchange, the property tests and the raw probes use the same
//! functions. A broken rule is its ID and what it says, as `HTTP-14: …`.

use crate::{
    http::{Request, Response},
    profile::WireNames,
};

/// The rule a response broke: its ID and what it says.
pub type Broken = &'static str;

/// The rules [`every_response`] checks (the trace test counts them as checked).
pub const EVERY_RESPONSE: &[&str] = &["HTTP-8", "HTTP-12", "HTTP-13", "HTTP-14", "AUTH-5", "USR-2"];

/// Whether a status is a server error (5xx).
pub fn is_server_error(status: u16) -> bool {
    status >= 500
}

/// HTTP-14: no input, however malformed, produces a 5xx.
pub fn no_server_error(resp: &Response) -> Result<(), Broken> {
    match is_server_error(resp.status) {
        true => Err("HTTP-14: no input, however malformed, produces a 5xx"),
        false => Ok(()),
    }
}

/// The exact challenge of every 401 (AUTH-5): `Bearer realm="api"`, in the profile's scheme
/// (simplejwt challenges with the first of its `AUTH_HEADER_TYPES`).
pub fn challenge(wire: &WireNames) -> String {
    format!("{} realm=\"api\"", wire.scheme())
}

/// Whether a response is a 401 with exactly the profile's Bearer challenge.
pub fn is_bearer_challenge(resp: &Response, wire: &WireNames) -> bool {
    resp.status == 401
        && resp.header("www-authenticate").map(str::trim) == Some(challenge(wire).as_str())
}

/// AUTH-5: every 401 carries exactly `WWW-Authenticate: Bearer realm="api"`.
pub fn unauthorized_has_bearer_challenge(resp: &Response, wire: &WireNames) -> Result<(), Broken> {
    match resp.status == 401 && !is_bearer_challenge(resp, wire) {
        true => Err("AUTH-5: every 401 carries exactly WWW-Authenticate: Bearer realm=\"api\""),
        false => Ok(()),
    }
}

/// HTTP-8: a 405 carries an Allow header.
pub fn method_not_allowed_has_allow(resp: &Response) -> Result<(), Broken> {
    match resp.status == 405 && resp.header("allow").is_none() {
        true => Err("HTTP-8: a 405 carries an Allow header listing the allowed methods"),
        false => Ok(()),
    }
}

/// HTTP-13: a 204 has no body, and its head declares none.
pub fn no_content_has_no_body(resp: &Response) -> Result<(), Broken> {
    // HTTP clients drop whatever follows a 204's head, so the head is what gives a body away.
    let declares_body = resp
        .header("content-length")
        .is_some_and(|n| n.trim() != "0")
        || resp.header("transfer-encoding").is_some();
    match resp.status == 204 && (!resp.body.is_empty() || declares_body) {
        true => Err(
            "HTTP-13: a 204 response has an empty body (no Content-Length, no Transfer-Encoding)",
        ),
        false => Ok(()),
    }
}

/// HTTP-12: a body (but a HEAD's) is typed `application/json`.
pub fn body_is_json_typed(req: &Request, resp: &Response) -> Result<(), Broken> {
    let json_typed = resp.header("content-type").is_some_and(|v| {
        v.trim()
            .to_ascii_lowercase()
            .starts_with("application/json")
    });
    match req.method != "HEAD" && !resp.body.is_empty() && !json_typed {
        true => Err("HTTP-12: a response with a body is Content-Type: application/json"),
        false => Ok(()),
    }
}

/// Prefixes of the password-hash encodings in common use (Django's, argon2, bcrypt, crypt).
const HASH_MARKERS: &[&str] = &[
    "pbkdf2_sha256$",
    "pbkdf2_sha1$",
    "argon2$",
    "$argon2",
    "bcrypt$",
    "bcrypt_sha256$",
    "scrypt$",
    "$2a$",
    "$2b$",
    "$2y$",
    "$6$",
];

/// USR-2: no response contains the account's password or a password hash.
pub fn no_password_or_hash(resp: &Response, password: &str) -> Result<(), Broken> {
    let body = String::from_utf8_lossy(&resp.body);
    let leaks = (password.len() >= 4 && body.contains(password))
        || HASH_MARKERS.iter().any(|m| body.contains(m));
    match leaks {
        true => Err("USR-2: no response contains a password or a password hash"),
        false => Ok(()),
    }
}

/// Every rule of [`EVERY_RESPONSE`], in order; `profile_endpoint` is false for a path the
/// feature names itself, whose body need not be JSON.
pub fn every_response(
    req: &Request,
    resp: &Response,
    profile_endpoint: bool,
    password: &str,
    wire: &WireNames,
) -> Result<(), Broken> {
    no_server_error(resp)?;
    unauthorized_has_bearer_challenge(resp, wire)?;
    method_not_allowed_has_allow(resp)?;
    no_content_has_no_body(resp)?;
    if profile_endpoint {
        body_is_json_typed(req, resp)?;
    }
    no_password_or_hash(resp, password)
}
