//! Failing a step with a full account of why (or skipping it when a token died in flight),
//! the last response, and the notes of `@info` scenarios.

use std::time::{Duration, SystemTime};

use conformance::{
    http::{Exchange, Response},
    jwt,
};
use serde_json::Value;

use super::{ApiWorld, Token, skip};

impl ApiWorld {
    /// Fails the step: `what` says what was expected and found; the last exchange follows.
    ///
    /// If a token the scenario meant to be valid had already expired when the last request
    /// went out (a slow target, short lifetimes), the scenario could not run as written: it is
    /// skipped with that reason rather than failed.
    pub fn fail(&self, what: impl AsRef<str>) -> ! {
        if let Some(why) = self.expired_in_flight() {
            skip(why);
        }
        let mut msg = self.t.redactor.apply(what.as_ref());
        if let Some(ex) = self.history.last() {
            msg.push_str("\n\n");
            msg.push_str(&ex.render(&self.t.redactor));
        }
        panic!("{msg}")
    }

    fn expired_in_flight(&self) -> Option<String> {
        let ex = self.history.last()?;
        let mut sent_text = String::from_utf8_lossy(&ex.request.body).into_owned();
        for (_, v) in &ex.request.headers {
            sent_text.push(' ');
            sent_text.push_str(v);
        }
        // A token dying no later than one the scenario waited for was meant to be dead.
        let exp = |t: &Token| {
            jwt::decode(&t.value)
                .ok()
                .and_then(|d| d.claims.get("exp")?.as_i64())
        };
        let awaited_exp = self
            .awaited
            .iter()
            .filter_map(|n| self.tokens.get(n))
            .filter_map(exp)
            .max();
        self.tokens.iter().find_map(|(name, token)| {
            if self.awaited.contains(name) || !sent_text.contains(&token.value) {
                return None;
            }
            if awaited_exp.is_some_and(|awaited| exp(token).is_none_or(|e| e <= awaited)) {
                return None;
            }
            let lifetime = jwt::lifetime(&token.value)?;
            expired_by(token.received, lifetime, ex.received).then(|| {
                format!(
                    "${{{name}}} expired while the scenario ran (it lives {} s; the target took {:.1} s to get this far): \
                     give the target longer token lifetimes, or lower --concurrency",
                    lifetime.as_secs(),
                    ex.received.duration_since(token.received).unwrap_or_default().as_secs_f64()
                )
            })
        })
    }

    /// The last response, or a failure if there is none.
    pub fn last(&self) -> &Response {
        match self.history.last().map(Exchange::response) {
            Some(Ok(r)) => r,
            Some(Err(e)) => self.fail(format!("no response to check: {e}")),
            None => self.fail("no request has been sent in this scenario yet"),
        }
    }

    /// The last response's body as JSON, or a failure.
    pub fn last_json(&self) -> Value {
        let r = self.last();
        r.json().unwrap_or_else(|| {
            self.fail(format!(
                "expected a JSON body, got {} bytes that are not JSON",
                r.body.len()
            ))
        })
    }

    /// Records an observation for the report.
    pub fn note(&mut self, text: String) {
        let text = self.t.redactor.apply(&text);
        self.notes.push(text);
    }

    /// A short line describing the last exchange.
    pub fn describe_last(&self) -> String {
        let Some(ex) = self.history.last() else {
            return "no request".into();
        };
        let path = ex
            .request
            .url
            .strip_prefix(&self.t.base_url)
            .unwrap_or(&ex.request.url);
        match &ex.outcome {
            Ok(r) => {
                let mut s = format!("{} {} → {}", ex.request.method, path, r.status);
                for h in ["content-type", "location", "allow"] {
                    if let Some(v) = r.header(h) {
                        s.push_str(&format!(", {h}: {v}"));
                    }
                }
                let body = String::from_utf8_lossy(&r.body);
                let body: String = body.chars().take(160).collect();
                if !body.is_empty() {
                    s.push_str(&format!(", body {}", body.replace('\n', " ")));
                }
                s
            }
            Err(e) => format!("{} {} → {e}", ex.request.method, path),
        }
    }
}

/// Whether a token that arrived at `received` and lives `lifetime` may have expired by the time
/// a response `answered`: the server may check it at any moment until its answer is complete,
/// so the age that counts is at the response's arrival, not at sending. `exp` is floored, so
/// the token may die up to a second before `received + lifetime`.
pub fn expired_by(received: SystemTime, lifetime: Duration, answered: SystemTime) -> bool {
    let age = answered.duration_since(received).unwrap_or_default() + Duration::from_secs(1);
    age >= lifetime
}

#[cfg(test)]
mod tests {
    use std::time::UNIX_EPOCH;

    use super::*;

    #[test]
    fn in_flight_expiry_is_judged_when_the_response_arrived() {
        let got = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let lifetime = Duration::from_secs(5);
        // Sent 3 s after the token arrived (still valid), answered 4.5 s after: the server may
        // have checked it past its floored `exp`.
        let sent = got + Duration::from_secs(3);
        let answered = got + Duration::from_millis(4500);
        assert!(!expired_by(got, lifetime, sent));
        assert!(expired_by(got, lifetime, answered));
        assert!(!expired_by(
            got,
            lifetime,
            got + Duration::from_millis(3900)
        ));
        // A clock that went backwards is not an expiry.
        assert!(!expired_by(got, lifetime, got - Duration::from_secs(10)));
    }
}
