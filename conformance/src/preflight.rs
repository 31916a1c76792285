//! Before any scenario runs: can the target be reached, does the account log in, does the
//! signing key (if given) verify the server's tokens? A "no" here is a wrong argument, not a
//! non-conformance, and is said in one clear sentence (exit code 2) instead of a wall of
//! failed scenarios.

use serde_json::{Value, json};

use conformance::{
    http::{Request, TransportError},
    jwt,
    target::Target,
};

/// Checks the target is usable; the error says which argument to fix.
pub async fn check(t: &Target) -> Result<(), String> {
    let Some(path) = t.profile.endpoints.obtain.as_deref() else {
        return Err(format!("profile {} has no obtain endpoint", t.profile.name));
    };
    let url = t.url(path);
    let body =
        json!({ t.profile.login_field.clone(): t.account.login, "password": t.account.password });
    let ex = t
        .client
        .send(Request {
            method: "POST".into(),
            url: url.clone(),
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        })
        .await;
    let resp = match ex.outcome {
        Ok(r) => r,
        Err(TransportError::Connect(why)) if why.contains(conformance::tls::NOT_TRUSTED) => {
            return Err(format!("cannot reach {}: {why}", t.base_url));
        }
        Err(e @ (TransportError::Connect(_) | TransportError::Timeout(_))) => {
            return Err(format!(
                "cannot reach {}: {e}. Is the server running, and is --base-url right?",
                t.base_url
            ));
        }
        // A dropped connection on a plain login is the target's defect; the scenarios say so.
        Err(TransportError::Dropped(_)) => return Ok(()),
    };
    let shown = t.redactor.apply(
        &String::from_utf8_lossy(&resp.body)
            .chars()
            .take(300)
            .collect::<String>(),
    );
    match resp.status {
        404 | 405 => Err(format!(
            "POST {url} answered {}: is that the obtain endpoint? Check --profile ({}) and --base-url. Body: {shown}",
            resp.status, t.profile.name
        )),
        400..=499 => Err(format!(
            "logging in as {:?} at {url} failed with {}: {shown}. Check --login/--password (the profile's login field is {:?})",
            t.account.login, resp.status, t.profile.login_field
        )),
        200 => check_key(t, resp.json()),
        // 5xx and other surprises are non-conformance: let the scenarios report them.
        _ => Ok(()),
    }
}

fn check_key(t: &Target, body: Option<Value>) -> Result<(), String> {
    let (Some(key), Some(access)) = (
        t.signing_key.as_deref(),
        body.as_ref()
            .and_then(|b| b.get("access"))
            .and_then(Value::as_str),
    ) else {
        return Ok(());
    };
    let Some((input, sig)) = access.rsplit_once('.') else {
        return Ok(());
    };
    let expected = jwt::b64(&jwt::mac(jwt::Hs::Hs256, key, input.as_bytes()));
    if expected == sig {
        Ok(())
    } else {
        Err("the --signing-key given does not verify the access token the server issued (HS256): it is not the server's key".into())
    }
}
