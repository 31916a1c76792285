//! `--known-failures FILE`: scenarios a target is known to fail, each with its reason.
//!
//! ```toml
//! [[failure]]
//! scenario = "A refresh token naming a user that does not exist is refused"
//! profile = "v1"                 # optional: only for this profile
//! feature = "Claim rules, ..."   # optional: only in this feature
//! reason = "simplejwt 5.5.1 answers 500 (interop/simplejwt/NOTES.md)"
//! ```
//! A listed scenario that fails is reported as known; one that passes is reported so the list
//! can shrink; an entry that matches nothing is reported too (a renamed scenario, a typo).

use serde::Deserialize;

/// The parsed file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownFailures {
    #[serde(default, rename = "failure")]
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    scenario: String,
    reason: String,
    profile: Option<String>,
    feature: Option<String>,
}

impl Entry {
    fn matches(&self, profile: &str, feature: &str, scenario: &str) -> bool {
        self.scenario == scenario
            && self.profile.as_deref().is_none_or(|p| p == profile)
            && self.feature.as_deref().is_none_or(|f| f == feature)
    }

    fn describe(&self) -> String {
        let mut s = format!("{:?}", self.scenario);
        if let Some(p) = &self.profile {
            s.push_str(&format!(" (profile {p})"));
        }
        s
    }
}

/// Why a known-failures file cannot be used (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum KnownError {
    /// It cannot be read.
    #[error("cannot read known failures {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// It is not a valid list.
    #[error("invalid known failures {path}: {why}")]
    Invalid {
        /// The file.
        path: String,
        /// Why.
        why: InvalidList,
    },
}

/// What is wrong with a known-failures list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidList {
    /// Not TOML of the expected shape.
    #[error("{0}")]
    Toml(String),
    /// An entry without a reason.
    #[error("the entry for {0:?} needs a reason")]
    NoReason(String),
}

impl KnownFailures {
    /// Reads and parses a file.
    pub fn load(path: &str) -> Result<Self, KnownError> {
        let text = std::fs::read_to_string(path).map_err(|source| KnownError::Read {
            path: path.to_string(),
            source,
        })?;
        Self::parse(&text).map_err(|why| KnownError::Invalid {
            path: path.to_string(),
            why,
        })
    }

    /// Parses the TOML text.
    pub fn parse(text: &str) -> Result<Self, InvalidList> {
        let k: KnownFailures =
            toml::from_str(text).map_err(|e| InvalidList::Toml(e.message().to_string()))?;
        if let Some(e) = k.entries.iter().find(|e| e.reason.trim().is_empty()) {
            return Err(InvalidList::NoReason(e.scenario.clone()));
        }
        Ok(k)
    }

    /// The reason a scenario is listed, if it is.
    pub fn reason_for(&self, profile: &str, feature: &str, scenario: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|e| e.matches(profile, feature, scenario))
            .map(|e| e.reason.as_str())
    }

    /// Entries for this profile that matched none of the scenarios that ran.
    pub fn unused<'a>(
        &self,
        profile: &str,
        ran: impl Iterator<Item = (&'a str, &'a str)> + Clone,
    ) -> Vec<String> {
        self.entries
            .iter()
            .filter(|e| e.profile.as_deref().is_none_or(|p| p == profile))
            .filter(|e| !ran.clone().any(|(f, s)| e.matches(profile, f, s)))
            .map(Entry::describe)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_match_by_name_and_optional_profile() {
        let k = KnownFailures::parse(
            "[[failure]]\nscenario = \"s\"\nprofile = \"v1\"\nreason = \"r\"\n[[failure]]\nscenario = \"gone\"\nreason = \"r2\"\n",
        )
        .expect("valid");
        assert_eq!(k.reason_for("v1", "f", "s"), Some("r"));
        assert_eq!(k.reason_for("classic", "f", "s"), None);
        assert_eq!(
            k.unused("v1", [("f", "s")].into_iter()),
            vec!["\"gone\"".to_string()]
        );
    }

    #[test]
    fn reasons_are_required() {
        assert!(KnownFailures::parse("[[failure]]\nscenario = \"s\"\nreason = \" \"\n").is_err());
        assert!(KnownFailures::parse("[[failure]]\nscenario = \"s\"\n").is_err());
        assert!(KnownFailures::parse("[[oops]]\n").is_err());
    }
}
