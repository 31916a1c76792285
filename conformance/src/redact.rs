//! Keeps secrets out of every line the suite prints or writes: tokens become
//! `eyJhbGci…<redacted>` (their claims are shown decoded instead), and the signing key and
//! account passwords are replaced by a label.

use std::sync::LazyLock;

use regex::Regex;

static JWT_LIKE: LazyLock<Regex> = LazyLock::new(|| {
    // Anything that starts like a base64url JSON object and continues with dot-separated
    // base64url segments: genuine tokens, and the mangled ones derived from them.
    Regex::new(r"eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_=-]*)+").expect("a valid regex literal")
});

static SIGNATURE_LIKE: LazyLock<Regex> = LazyLock::new(|| {
    // What is left of a token whose shape was broken (a character inserted mid-signature):
    // a long base64url run with both cases. Hex ids such as a `jti` have one case only.
    Regex::new(r"[A-Za-z0-9_-]{40,}").expect("a valid regex literal")
});

/// How many leading characters of a token stay visible.
const VISIBLE: usize = 8;

/// Replaces secrets in text before it is shown.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<(String, &'static str)>,
}

impl Redactor {
    /// A redactor that knows these secrets, each with the label that replaces it.
    pub fn new(secrets: impl IntoIterator<Item = (String, &'static str)>) -> Self {
        let mut secrets: Vec<_> = secrets.into_iter().filter(|(s, _)| s.len() >= 4).collect();
        // Longest first, so a secret containing another is replaced whole.
        secrets.sort_by_key(|(s, _)| std::cmp::Reverse(s.len()));
        Redactor { secrets }
    }

    /// `text` with every token and known secret replaced.
    pub fn apply(&self, text: &str) -> String {
        let out = JWT_LIKE.replace_all(text, |c: &regex::Captures<'_>| redact_token(&c[0]));
        let mut out = SIGNATURE_LIKE
            .replace_all(&out, |c: &regex::Captures<'_>| {
                let run = &c[0];
                let mixed = run.bytes().any(|b| b.is_ascii_uppercase())
                    && run.bytes().any(|b| b.is_ascii_lowercase());
                if mixed {
                    "<redacted>".to_string()
                } else {
                    run.to_string()
                }
            })
            .into_owned();
        for (secret, label) in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), label);
            }
        }
        out
    }
}

/// The visible form of one token.
pub fn redact_token(token: &str) -> String {
    let head: String = token.chars().take(VISIBLE).collect();
    format!("{head}…<redacted>")
}

/// Every token-like substring of `text`, for showing their decoded claims.
pub fn tokens_in(text: &str) -> Vec<String> {
    let mut found: Vec<String> = JWT_LIKE
        .find_iter(text)
        .map(|m| m.as_str().to_string())
        .collect();
    found.dedup();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_secrets_are_replaced() {
        let r = Redactor::new([
            ("s3cret-key".to_string(), "<signing key>"),
            ("pw".to_string(), "<short>"),
        ]);
        let text =
            r#"{"access": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-nature_x"} key=s3cret-key pw"#;
        let out = r.apply(text);
        assert_eq!(
            out,
            r#"{"access": "eyJhbGci…<redacted>"} key=<signing key> pw"#
        );
        assert!(!out.contains("sig-nature"));
    }

    #[test]
    fn mangled_tokens_are_redacted_too() {
        let r = Redactor::default();
        assert_eq!(
            r.apply("Bearer garbage.eyJ0b2tl.c2ln"),
            "Bearer garbage.eyJ0b2tl…<redacted>"
        );
        assert_eq!(
            r.apply("eyJhbGciOiJub25lIn0.eyJ4IjoxfQ."),
            "eyJhbGci…<redacted>"
        );
        assert_eq!(
            r.apply("http://127.0.0.1:8000/gettoken/"),
            "http://127.0.0.1:8000/gettoken/"
        );
    }

    #[test]
    fn the_rest_of_a_broken_token_is_redacted_but_hex_ids_are_not() {
        let r = Redactor::default();
        assert_eq!(
            r.apply("Bearer eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ.abc!UR9RKye-X9UbtqiknMpGc49HyRt3JLI4uVIpVTVWS6A"),
            "Bearer eyJhbGci…<redacted>!<redacted>"
        );
        let jti = "ab69e5b021b14273b0a1bae1bfc9ba9b0123456789";
        assert_eq!(r.apply(jti), jti);
        assert_eq!(r.apply(&"a".repeat(300)), "a".repeat(300));
    }

    #[test]
    fn finds_tokens_for_claim_display() {
        assert_eq!(
            tokens_in("a eyJa.eyJb.c b"),
            vec!["eyJa.eyJb.c".to_string()]
        );
    }
}
