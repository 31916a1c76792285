//! Where the Gherkin comes from: the feature files compiled into the binary (so an installed
//! `jwt-conformance` needs no checkout), or a directory given with `--features-dir`.

use std::{
    path::{Path, PathBuf},
    vec,
};

use anyhow::{anyhow, bail};
use cucumber::{
    cli,
    feature::Ext as _,
    gherkin::{self, GherkinEnv},
    parser,
};
use futures_util::stream;

/// The repository's `features/`, in reading order.
pub const EMBEDDED: &[(&str, &str)] = &[
    (
        "obtaining_tokens.feature",
        include_str!("../features/obtaining_tokens.feature"),
    ),
    (
        "credentials.feature",
        include_str!("../features/credentials.feature"),
    ),
    (
        "refreshing_tokens.feature",
        include_str!("../features/refreshing_tokens.feature"),
    ),
    (
        "issued_tokens.feature",
        include_str!("../features/issued_tokens.feature"),
    ),
    (
        "verifying_tokens.feature",
        include_str!("../features/verifying_tokens.feature"),
    ),
    (
        "token_claims.feature",
        include_str!("../features/token_claims.feature"),
    ),
    (
        "token_expiry.feature",
        include_str!("../features/token_expiry.feature"),
    ),
    (
        "expiry_boundary.feature",
        include_str!("../features/expiry_boundary.feature"),
    ),
    (
        "protected_endpoints.feature",
        include_str!("../features/protected_endpoints.feature"),
    ),
    (
        "token_sources.feature",
        include_str!("../features/token_sources.feature"),
    ),
    (
        "resources.feature",
        include_str!("../features/resources.feature"),
    ),
    (
        "resource_writes.feature",
        include_str!("../features/resource_writes.feature"),
    ),
    (
        "token_forgery.feature",
        include_str!("../features/token_forgery.feature"),
    ),
    (
        "token_headers.feature",
        include_str!("../features/token_headers.feature"),
    ),
    (
        "forged_claims.feature",
        include_str!("../features/forged_claims.feature"),
    ),
    (
        "asymmetric_keys.feature",
        include_str!("../features/asymmetric_keys.feature"),
    ),
    (
        "refresh_rotation.feature",
        include_str!("../features/refresh_rotation.feature"),
    ),
    (
        "blacklist.feature",
        include_str!("../features/blacklist.feature"),
    ),
    (
        "http_hygiene.feature",
        include_str!("../features/http_hygiene.feature"),
    ),
    ("users.feature", include_str!("../features/users.feature")),
];

/// Parses and expands the features: the embedded ones, or every `*.feature` in `dir`.
pub fn load(dir: Option<&Path>) -> anyhow::Result<Vec<gherkin::Feature>> {
    let sources: Vec<(PathBuf, String)> = match dir {
        None => EMBEDDED
            .iter()
            .map(|(name, text)| (Path::new("features").join(name), (*text).to_string()))
            .collect(),
        Some(dir) => {
            let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
                .map_err(|e| anyhow!("cannot read the features directory {}: {e}", dir.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "feature"))
                .collect();
            files.sort();
            if files.is_empty() {
                bail!("no .feature files in {}", dir.display());
            }
            files
                .into_iter()
                .map(|p| {
                    std::fs::read_to_string(&p)
                        .map(|t| (p.clone(), t))
                        .map_err(|e| anyhow!("cannot read {}: {e}", p.display()))
                })
                .collect::<Result<_, _>>()?
        }
    };
    sources
        .into_iter()
        .map(|(path, text)| {
            let mut f = gherkin::Feature::parse(&text, GherkinEnv::default())
                .map_err(|e| anyhow!("{}: cannot parse: {e}", path.display()))?;
            f.path = Some(path.clone());
            f.expand_examples()
                .map_err(|e| anyhow!("{}: {e}", path.display()))
        })
        .collect()
}

/// A cucumber parser that hands over features parsed beforehand.
#[derive(Debug, Clone, Copy, Default)]
pub struct Preparsed;

impl cucumber::Parser<Vec<gherkin::Feature>> for Preparsed {
    type Cli = cli::Empty;
    type Output = stream::Iter<vec::IntoIter<parser::Result<gherkin::Feature>>>;

    fn parse(self, input: Vec<gherkin::Feature>, _: Self::Cli) -> Self::Output {
        stream::iter(input.into_iter().map(Ok).collect::<Vec<_>>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_feature_file_is_embedded_and_parses() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../features");
        let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
            .expect("features dir")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".feature"))
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = EMBEDDED.iter().map(|(n, _)| n.to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded, "add new feature files to EMBEDDED");
        let features = load(None).expect("embedded features parse");
        assert_eq!(features.len(), EMBEDDED.len());
        assert_eq!(
            load(Some(&dir)).expect("directory parses").len(),
            EMBEDDED.len()
        );
    }

    #[test]
    fn every_scenario_has_a_level_and_names_rules_of_the_contract() {
        let contract = conformance::contract::contract();
        for f in load(None).expect("parses") {
            for s in &f.scenarios {
                let tags: Vec<&String> = f.tags.iter().chain(&s.tags).collect();
                let levels = tags
                    .iter()
                    .filter(|t| ["must", "should", "info"].contains(&t.as_str()))
                    .count();
                assert_eq!(
                    levels, 1,
                    "{}: {:?} needs exactly one of @must/@should/@info",
                    f.name, s.name
                );
                let own = conformance::contract::rule_ids(tags.iter().copied());
                // An outline may name its rules per Examples block instead.
                let per_block = !s.examples.is_empty()
                    && s.examples
                        .iter()
                        .all(|e| !conformance::contract::rule_ids(&e.tags).is_empty());
                assert!(
                    !own.is_empty() || per_block,
                    "{}: {:?} names no rule (@rule:ID)",
                    f.name,
                    s.name
                );
                let all = own.into_iter().chain(
                    s.examples
                        .iter()
                        .flat_map(|e| conformance::contract::rule_ids(&e.tags)),
                );
                for id in all {
                    assert!(
                        contract.rule(&id).is_some(),
                        "{}: {:?} names {id}, which CONTRACT.md does not have",
                        f.name,
                        s.name
                    );
                }
            }
        }
    }

    #[test]
    fn every_rule_of_the_contract_is_checked() {
        let mut named: Vec<String> = crate::world::EVERY_RESPONSE
            .iter()
            .map(|r| r.to_string())
            .collect();
        for f in load(None).expect("parses") {
            for s in &f.scenarios {
                named.extend(conformance::contract::rule_ids(&s.tags));
                for e in &s.examples {
                    named.extend(conformance::contract::rule_ids(&e.tags));
                }
            }
        }
        let unchecked: Vec<&str> = conformance::contract::contract()
            .rules
            .iter()
            .filter(|r| !named.contains(&r.id))
            .map(|r| r.id.as_str())
            .collect();
        assert!(
            unchecked.is_empty(),
            "no scenario names these rules, and no check of every response checks them: {unchecked:?}"
        );
    }
}
