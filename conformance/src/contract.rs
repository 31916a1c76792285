//! The contract the suite checks: `CONTRACT.md`, compiled into the binary, read into rules with
//! their IDs, levels, dialects and one-line statements, so that every report can cite the rule
//! a failure broke in words the user has (the same file ships with the project).
//!
//! Scenarios name their rules with tags such as `@rule:TOK-7`; the invariant checks that hold
//! for every response name theirs in their message (`HTTP-14: …`).

use std::{collections::BTreeMap, sync::OnceLock};

use serde::Serialize;

/// The text of `CONTRACT.md`, as this build of the suite checks it.
pub const TEXT: &str = include_str!("../CONTRACT.md");

/// The version of `CONTRACT.md` this build checks (a unit test holds it to the file's own).
pub const VERSION: &str = "1.3.0";

/// What `jwt-conformance --version` says: the suite's version and the contract's.
pub const LONG_VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (contract 1.3.0)");

/// The prefix of a scenario tag naming a rule.
pub const TAG_PREFIX: &str = "rule:";

/// How binding a rule is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleLevel {
    /// A failure fails the run.
    Must,
    /// A failure is a warning unless `--strict`.
    Should,
    /// Reported as information, never failed.
    ImplementationDefined,
}

/// One rule of the contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// Its stable ID, e.g. `TOK-7`.
    pub id: String,
    /// MUST, SHOULD or implementation-defined.
    pub level: RuleLevel,
    /// The dialects it applies to, as the contract says (`both dialects`, `classic`, ...).
    pub dialects: String,
    /// Its one-line statement.
    pub statement: String,
}

impl Rule {
    /// Where the rule is written: `CONTRACT.md#tok-7`.
    pub fn link(&self) -> String {
        link(&self.id)
    }
}

/// `CONTRACT.md#tok-7` for `TOK-7`.
pub fn link(id: &str) -> String {
    format!("CONTRACT.md#{}", id.to_ascii_lowercase())
}

/// The contract, parsed.
#[derive(Debug, Clone)]
pub struct Contract {
    /// Its version (`Contract version: X.Y.Z`).
    pub version: String,
    /// Every rule, by ID, in the order they are written.
    pub rules: Vec<Rule>,
    index: BTreeMap<String, usize>,
}

/// Why `CONTRACT.md` could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContractError {
    /// No `Contract version:` line.
    #[error("CONTRACT.md has no 'Contract version: X.Y.Z' line")]
    NoVersion,
    /// A rule heading is not followed by its level line and statement.
    #[error(
        "CONTRACT.md: rule {0} lacks its '**LEVEL** · dialects · source' line or its statement"
    )]
    Incomplete(String),
    /// A rule's level is not MUST, SHOULD or IMPLEMENTATION-DEFINED.
    #[error("CONTRACT.md: rule {0} has an unknown level {1:?}")]
    Level(String, String),
    /// Two rules have the same ID.
    #[error("CONTRACT.md: rule {0} is written twice")]
    Duplicate(String),
}

impl Contract {
    /// Reads a contract: `### ID` headings, each followed by `**LEVEL** · dialects · source: …`
    /// and a paragraph whose first line is the statement.
    pub fn parse(text: &str) -> Result<Self, ContractError> {
        let version = text
            .lines()
            .find_map(|l| l.trim().strip_prefix("Contract version:"))
            .map(|v| v.trim().trim_matches('`').to_string())
            .filter(|v| !v.is_empty())
            .ok_or(ContractError::NoVersion)?;
        let mut rules: Vec<Rule> = Vec::new();
        let mut index = BTreeMap::new();
        let mut lines = text.lines().map(str::trim).peekable();
        while let Some(line) = lines.next() {
            let Some(id) = line.strip_prefix("### ").map(str::trim) else {
                continue;
            };
            let id = id.to_string();
            let mut rest = lines.by_ref().skip_while(|l| l.is_empty());
            let meta = rest
                .next()
                .ok_or_else(|| ContractError::Incomplete(id.clone()))?;
            let statement = rest
                .find(|l| !l.is_empty())
                .filter(|l| !l.starts_with('#'))
                .ok_or_else(|| ContractError::Incomplete(id.clone()))?;
            let mut parts = meta.split('·').map(str::trim);
            let level_word = parts.next().unwrap_or_default().trim_matches('*');
            let level = match level_word {
                "MUST" => RuleLevel::Must,
                "SHOULD" => RuleLevel::Should,
                "IMPLEMENTATION-DEFINED" => RuleLevel::ImplementationDefined,
                other => return Err(ContractError::Level(id, other.to_string())),
            };
            let dialects = parts.next().unwrap_or_default().to_string();
            if index.insert(id.clone(), rules.len()).is_some() {
                return Err(ContractError::Duplicate(id));
            }
            rules.push(Rule {
                id,
                level,
                dialects,
                statement: statement.to_string(),
            });
        }
        Ok(Contract {
            version,
            rules,
            index,
        })
    }

    /// The rule with this ID.
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.index.get(id).map(|&i| &self.rules[i])
    }
}

/// The contract compiled into this build.
pub fn contract() -> &'static Contract {
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(|| {
        // The text is compiled in, and a unit test parses it: a failure here is a build error.
        Contract::parse(TEXT).expect("CONTRACT.md, compiled into the suite, parses")
    })
}

/// The rule IDs a scenario's tags name (`rule:TOK-7` → `TOK-7`).
pub fn rule_ids<'a>(tags: impl IntoIterator<Item = &'a String>) -> Vec<String> {
    tags.into_iter()
        .filter_map(|t| t.strip_prefix(TAG_PREFIX))
        .map(str::to_string)
        .collect()
}

/// A rule cited in a report: its ID, statement and link (unknown IDs are cited by ID alone).
pub fn cite(id: &str) -> String {
    match contract().rule(id) {
        Some(r) => format!("{} — {} ({})", r.id, r.statement, r.link()),
        None => format!("{id} ({})", link(id)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compiled_contract_parses_with_a_version_and_rules() {
        let c = Contract::parse(TEXT).expect("parses");
        assert!(!c.version.is_empty());
        assert!(c.rules.len() > 50, "{} rules", c.rules.len());
        for r in &c.rules {
            assert!(
                r.statement.len() > 10 && !r.statement.starts_with("**"),
                "{}: {:?}",
                r.id,
                r.statement
            );
            let (area, n) = r.id.split_once('-').expect("AREA-N");
            assert!(area.chars().all(|c| c.is_ascii_uppercase()), "{}", r.id);
            assert!(n.parse::<u32>().is_ok(), "{}", r.id);
        }
    }

    #[test]
    fn the_stated_version_is_the_files() {
        let c = Contract::parse(TEXT).expect("parses");
        assert_eq!(c.version, VERSION);
        assert!(LONG_VERSION.ends_with(&format!("(contract {VERSION})")));
    }

    #[test]
    fn a_rule_is_read_from_its_heading_level_line_and_statement() {
        let c = Contract::parse(
            "Contract version: 2.1.0\n\n### TOK-7\n**SHOULD** · classic · source: RFC 7519\n\nThe first line.\nMore.\n",
        )
        .expect("parses");
        assert_eq!(c.version, "2.1.0");
        let r = c.rule("TOK-7").expect("rule");
        assert_eq!(r.level, RuleLevel::Should);
        assert_eq!(r.dialects, "classic");
        assert_eq!(r.statement, "The first line.");
        assert_eq!(r.link(), "CONTRACT.md#tok-7");
        assert!(matches!(
            Contract::parse("### A-1\n**MUST** · x\n\ny\n"),
            Err(ContractError::NoVersion)
        ));
        assert!(matches!(
            Contract::parse("Contract version: 1.0.0\n### A-1\n**MAYBE** · x\n\ny\n"),
            Err(ContractError::Level(..))
        ));
    }
}
