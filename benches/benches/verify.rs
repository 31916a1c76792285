//! In-process, per token: the reference server's verify (`Tokens::verify`, the function its
//! handlers call), jsonwebtoken's `decode` with the same key and an equivalent validation,
//! and the floor (`benches::floor`), for a valid token and the common invalid kinds: the
//! reject path is a denial-of-service surface.
//!
//! `cargo bench -p benches --bench verify`; the table of ratios is printed at the end and
//! written to `target/criterion/verify-summary.md`.

use std::hint::black_box;
use std::time::Duration;

use benches::{fixture, floor::Floor, or_exit, summary};
use criterion::{Criterion, Throughput};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reference_server::Expect;
use serde::Deserialize;

/// What a jsonwebtoken user would decode the reference server's tokens into.
#[derive(Debug, Deserialize)]
#[allow(dead_code)] // read only by serde: decoding them is the work measured
struct JwtClaims {
    token_type: String,
    exp: i64,
    iat: i64,
    jti: String,
    user_id: serde_json::Value,
}

const VERIFIERS: [&str; 3] = ["reference", "jsonwebtoken", "floor"];

fn main() {
    let started = std::time::SystemTime::now();
    let runtime = or_exit(
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        "cannot start a runtime",
    );
    let fixture = or_exit(
        runtime.block_on(fixture::fixture()),
        "cannot build the fixture",
    );
    let tokens = fixture.state.tokens();
    let key = DecodingKey::from_secret(&fixture.key);
    // Same algorithm and key as the server; exp required and checked with no leeway
    // (jsonwebtoken's default leeway is 60 s).
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    let floor = Floor::new(&fixture.key);

    // A verifier measured on the wrong path would report a number for nothing.
    for case in &fixture.cases {
        let verdicts = [
            tokens.verify(&case.token, Expect::Access).is_ok(),
            jsonwebtoken::decode::<JwtClaims>(&case.token, &key, &validation).is_ok(),
            floor.verify(&case.token, |c| c.exp).is_ok(),
        ];
        for (name, ok) in VERIFIERS.iter().zip(verdicts) {
            if ok != case.valid {
                eprintln!(
                    "benches: {name} {} the {} token",
                    if ok { "accepts" } else { "refuses" },
                    case.kind
                );
                std::process::exit(2);
            }
        }
    }

    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    for case in &fixture.cases {
        let token = case.token.as_str();
        let mut group = c.benchmark_group(format!("verify/{}", case.kind));
        group.throughput(Throughput::Elements(1));
        group.bench_function("reference", |b| {
            b.iter(|| tokens.verify(black_box(token), Expect::Access))
        });
        group.bench_function("jsonwebtoken", |b| {
            b.iter(|| jsonwebtoken::decode::<JwtClaims>(black_box(token), &key, &validation))
        });
        group.bench_function("floor", |b| {
            b.iter(|| floor.verify(black_box(token), |claims| claims.exp))
        });
        group.finish();
    }
    c.final_summary();
    summary::publish_unless_testing(
        "verify-summary.md",
        &table(fixture.cases.iter().map(|c| c.kind), started),
    );
}

/// ns/op of each verifier per kind, and each as a multiple of the floor.
fn table<'a>(kinds: impl Iterator<Item = &'a str>, since: std::time::SystemTime) -> String {
    let mut out = String::from(
        "In-process verify, ns per token (criterion's estimate)\n\n\
         | token | reference | jsonwebtoken | floor | reference / floor | jsonwebtoken / floor |\n\
         |---|---:|---:|---:|---:|---:|\n",
    );
    for kind in kinds {
        let ns = VERIFIERS.map(|v| summary::estimate_ns(&format!("verify/{kind}"), v, since));
        let cell = |v: Option<f64>| v.map_or("–".to_string(), |v| format!("{v:.0}"));
        let ratio = |v: Option<f64>| match (v, ns[2]) {
            (Some(v), Some(floor)) if floor > 0.0 => format!("{:.2}x", v / floor),
            _ => "–".to_string(),
        };
        out += &format!(
            "| {kind} | {} | {} | {} | {} | {} |\n",
            cell(ns[0]),
            cell(ns[1]),
            cell(ns[2]),
            ratio(ns[0]),
            ratio(ns[1]),
        );
    }
    out
}
