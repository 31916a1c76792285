//! Before any scenario runs: can the target be reached, does the account log in, does the
//! signing key (if given) verify the server's tokens? A "no" here is a wrong argument, not a
//! non-conformance, and is said in one clear sentence (exit code 2) instead of a wall of
//! failed scenarios.
//!
//! Preflight also probes the endpoints a profile only may have (`v1`'s verify), and times one
//! login, so that a run whose tokens would die in flight is warned about before it starts.

use std::time::Duration;

use anyhow::{anyhow, bail};
use serde_json::{Value, json};

use conformance::{
    http::Request,
    jwt,
    keys::KeySet,
    target::{self, Target},
};

/// What preflight found out about the target.
#[derive(Debug, Clone, Default)]
pub struct Findings {
    /// How long one login took (`None`: it did not answer 200).
    pub login_time: Option<Duration>,
    /// The access lifetime: as the profile declares it, or else `exp - iat` of the token
    /// the login gave.
    pub access_lifetime: Option<Duration>,
}

/// A scenario makes a few requests in a row, and with `concurrency` scenarios in flight each
/// request may wait behind the others' logins: a token should outlive that many logins, twice.
/// The estimate is the worst case (a target that serves one request at a time), hence "may".
pub fn lifetime_warning(f: &Findings, concurrency: usize) -> Option<String> {
    let (login, lifetime) = (f.login_time?, f.access_lifetime?);
    let in_flight = login.mul_f64(2.0 * concurrency as f64);
    if in_flight < lifetime {
        return None;
    }
    let fits = (lifetime.as_secs_f64() / (2.0 * login.as_secs_f64().max(1e-3))).floor() as usize;
    Some(format!(
        "warning: one login took {:.2} s, so with --concurrency {concurrency} a scenario may wait about {:.0} s for its requests, \
         longer than the {} s access tokens live: tokens may expire in flight, and those scenarios are then skipped; \
         lower --concurrency (to {} or less) or give the target longer token lifetimes",
        login.as_secs_f64(),
        in_flight.as_secs_f64(),
        lifetime.as_secs(),
        fits.max(1)
    ))
}

/// Checks the target is usable, and probes the endpoints the profile only may have; the
/// error says which argument to fix.
pub async fn check(t: &mut Target) -> anyhow::Result<Findings> {
    fetch_jwks(t).await?;
    let findings = login(t).await?;
    probe_optional(t).await;
    Ok(findings)
}

/// The public keys a profile's `jwks_url` publishes, fetched once before the run (with the
/// target's TLS settings and headers).
async fn fetch_jwks(t: &mut Target) -> anyhow::Result<()> {
    let Some(url) = t.profile.jwks_url.clone() else {
        return Ok(());
    };
    if t.public_keys.is_some() {
        return Ok(());
    }
    let request = Request::get(url.clone()).header("Accept", "application/json");
    let ex = t.client.send(request).await;
    let resp = ex
        .outcome
        .map_err(|e| anyhow!("cannot fetch the profile's jwks_url {url}: {e}"))?;
    if resp.status != 200 {
        bail!(
            "the profile's jwks_url {url} answered {}, not 200 with a JWKS",
            resp.status
        );
    }
    let document = resp
        .json()
        .ok_or_else(|| anyhow!("the profile's jwks_url {url} did not answer JSON"))?;
    let keys = KeySet::from_jwks(&document, format!("jwks_url {url}"))?;
    if let Some(other) = keys
        .keys
        .iter()
        .find(|k| Some(k.key_type) != t.profile.algorithm.key_type())
    {
        bail!(
            "the profile's jwks_url {url} publishes an {} key, but the profile declares {}",
            other.key_type.name(),
            t.profile.algorithm
        );
    }
    t.public_keys = Some(keys);
    Ok(())
}

/// An optional endpoint is absent exactly when a POST of `{}` to it answers 404: DRF answers
/// anything else to a route it has (400 for the missing field, 405, 415, 401), and a 404 is
/// how a missing route looks whatever serves it. Anything but a 404 keeps it, so a broken
/// endpoint is checked, not skipped.
async fn probe_optional(t: &mut Target) {
    for endpoint in t.profile.optional.clone() {
        let Some(path) = t.profile.endpoint(endpoint).map(str::to_string) else {
            continue;
        };
        let probe = Request::post(t.url(&path)).json(&json!({}));
        let ex = t.client.send(probe).await;
        if matches!(&ex.outcome, Ok(r) if r.status == 404) {
            t.profile.drop_endpoint(
                endpoint,
                format!(
                    "the target has no {endpoint} endpoint (probed POST {path} before the run: 404)"
                ),
            );
        }
    }
}

async fn login(t: &Target) -> anyhow::Result<Findings> {
    let logged_in = target::log_in(&t.client, &t.base_url, &t.profile, &t.account, &t.redactor);
    let resp = match logged_in.await {
        Ok(resp) => resp,
        // A dropped connection, a 5xx or another surprise is non-conformance: the scenarios
        // report it.
        Err(e) if e.is_defect() => return Ok(Findings::default()),
        Err(e) => return Err(e.into()),
    };
    if resp.status != 200 {
        return Ok(Findings::default());
    }
    let body = resp.json();
    check_key(t, body.as_ref())?;
    let observed = target::access_token(&resp)
        .as_deref()
        .and_then(jwt::lifetime);
    Ok(Findings {
        login_time: Some(resp.elapsed),
        access_lifetime: t.profile.access_lifetime.or(observed),
    })
}

/// Whether the signing key given verifies the token the login gave: a wrong key would make
/// every forged token a different defect. A token of another algorithm than the declared one
/// is left to the scenarios (TOK-1).
fn check_key(t: &Target, body: Option<&Value>) -> anyhow::Result<()> {
    let Some(access) = body.and_then(|b| b.get("access")).and_then(Value::as_str) else {
        return Ok(());
    };
    let (Some((input, sig)), Ok(decoded)) = (access.rsplit_once('.'), jwt::decode(access)) else {
        return Ok(());
    };
    let alg = t.profile.algorithm;
    if decoded.header.get("alg").and_then(Value::as_str) != Some(alg.name()) {
        return Ok(());
    }
    let genuine = match (jwt::Hs::of(alg), &t.signing_key, &t.private_key) {
        (Some(hs), Some(key), _) => jwt::b64(&jwt::mac(hs, key, input.as_bytes())) == sig,
        (None, _, Some(private)) => private.public().verifies(alg.name(), input.as_bytes(), sig),
        _ => return Ok(()),
    };
    if genuine {
        Ok(())
    } else if alg.is_hmac() {
        Err(anyhow!(
            "the --signing-key given does not verify the access token the server issued ({alg}): it is not the server's key"
        ))
    } else {
        Err(anyhow!(
            "the --signing-key-file given does not verify the access token the server issued ({alg}): it is not the server's private key"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slow_login_with_short_lifetimes_is_warned_about() {
        let f = |login_ms: u64, lifetime_s: u64| Findings {
            login_time: Some(Duration::from_millis(login_ms)),
            access_lifetime: Some(Duration::from_secs(lifetime_s)),
        };
        assert_eq!(lifetime_warning(&f(20, 5), 16), None);
        let w = lifetime_warning(&f(300, 5), 16).expect("a warning");
        assert!(w.contains("one login took 0.30 s"), "{w}");
        assert!(w.contains("--concurrency 16"), "{w}");
        assert!(w.contains("about 10 s"), "{w}");
        assert!(w.contains("the 5 s access tokens"), "{w}");
        assert!(w.contains("(to 8 or less)"), "{w}");
        assert_eq!(lifetime_warning(&Findings::default(), 16), None);
    }
}
