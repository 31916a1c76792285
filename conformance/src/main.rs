//! `jwt-conformance`: checks a JWT login API against its contract (CONTRACT.md).
//!
//! Exit codes: 0 the target conforms; 1 at least one MUST failed (or a SHOULD under
//! --strict); 2 the run could not happen (bad arguments, unreachable target, failed login).

mod cli;
mod collector;
mod features;
mod plan;
mod preflight;
mod runner;
mod steps;
mod world;

use std::process::ExitCode;

use anyhow::anyhow;
use clap::Parser as _;
use conformance::{
    known::KnownFailures,
    report::{self, Report},
    tls::Transport,
};

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("jwt-conformance: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let outcome = match cli.command {
        None => runtime.block_on(run(cli.run)),
        Some(cli::Command::Properties(args)) => runtime.block_on(properties(args)),
        Some(cli::Command::Load(args)) => runtime.block_on(load(args)),
        Some(cli::Command::Completions { shell }) => {
            let mut command = <cli::Cli as clap::CommandFactory>::command();
            clap_complete::generate(
                shell,
                &mut command,
                "jwt-conformance",
                &mut std::io::stdout(),
            );
            Ok(true)
        }
        Some(cli::Command::Man) => {
            let page = clap_mangen::Man::new(<cli::Cli as clap::CommandFactory>::command());
            page.render(&mut std::io::stdout())
                .map(|()| true)
                .map_err(|e| anyhow!("cannot write the manual page: {e}"))
        }
    };
    // Any error is a run that could not happen (exit code 2), said in one sentence.
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(why) => {
            eprintln!("jwt-conformance: {why}");
            ExitCode::from(2)
        }
    }
}

async fn run(args: cli::RunArgs) -> anyhow::Result<bool> {
    let features = features::load(args.features_dir.as_deref())?;
    let known = match &args.known_failures {
        Some(p) => KnownFailures::load(&p.to_string_lossy())?,
        None => KnownFailures::default(),
    };
    let selection = runner::Selection {
        tags: args
            .tags
            .as_deref()
            .map(|t| {
                t.parse()
                    .map_err(|e| anyhow!("--tags {t:?} is not a tag expression: {e}"))
            })
            .transpose()?,
        name: args
            .name
            .as_deref()
            .map(|n| regex::Regex::new(n).map_err(|e| anyhow!("--name {n:?} is not a regex: {e}")))
            .transpose()?,
        concurrency: usize::from(args.concurrency),
        progress: !args.target.quiet,
    };
    let plans = plan::plans(&args.target).await?;

    let mut reports: Vec<Report> = Vec::new();
    for plan in plans {
        let t = &plan.target;
        if let Some(warning) = preflight::lifetime_warning(&plan.preflight, selection.concurrency) {
            eprintln!("jwt-conformance: {warning}");
        }
        if !args.target.quiet {
            eprintln!(
                "checking {} with profile {} ({} dialect){}",
                t.base_url,
                t.profile.name,
                t.profile.dialect,
                if t.client.transport().insecure() {
                    ", --insecure: TLS certificates not verified"
                } else {
                    ""
                }
            );
        }
        let report = runner::run(
            plan.target.clone(),
            features.clone(),
            &selection,
            &known,
            args.strict,
        )
        .await?;
        print!("{}", report.console(args.verbose));
        if args.verbose {
            for (s, v) in report.scenarios.iter().zip(&report.verdicts) {
                println!("  {v:?}: {} › {}", s.feature, s.scenario);
            }
        }
        reports.push(report);
    }
    if let Some(path) = &args.junit {
        std::fs::write(path, report::junit(&reports))
            .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
    }
    if let Some(path) = &args.json {
        std::fs::write(path, report::json(&reports))
            .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
    }
    if let Some(path) = &args.html {
        std::fs::write(path, report::html::html(&reports))
            .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
    }
    if reports.len() > 1 {
        let ok = reports.iter().filter(|r| r.conforms()).count();
        println!("\n{ok} of {} runs conform.", reports.len());
    }
    Ok(reports.iter().all(Report::conforms))
}

/// `jwt-conformance properties`: the property tests against each target.
async fn properties(args: cli::PropertiesArgs) -> anyhow::Result<bool> {
    let mut all_hold = true;
    for plan in plan::plans(&args.target).await? {
        let t = plan.target.clone();
        if !args.target.quiet {
            eprintln!(
                "property tests against {} with profile {} ({} dialect)",
                t.base_url, t.profile.name, t.profile.dialect
            );
        }
        let opts = conformance::properties::Options {
            cases: args.cases,
            budget: args.budget,
            only: args.only.clone(),
            seed: args.seed,
            progress: !args.target.quiet,
        };
        let insecure = t.client.transport().insecure();
        let base_url = t.base_url.clone();
        let outcome = conformance::properties::run(t, opts).await?;
        if insecure {
            println!("--insecure: TLS certificates of {base_url} not verified");
        }
        print!("{}", outcome.console());
        all_hold &= outcome.all_hold();
    }
    Ok(all_hold)
}

/// `jwt-conformance load`: one bounded load run; false when a threshold was missed.
async fn load(args: cli::LoadArgs) -> anyhow::Result<bool> {
    let options = conformance::load::Options {
        base_url: args.target.base_url.clone(),
        profile: args.target.profile.clone(),
        login: args.target.login.clone(),
        password: args.target.password.clone(),
        endpoint: args.endpoint,
        connections: usize::from(args.connections),
        duration: args.duration,
        rate: args.rate,
        max_requests: args.max_requests,
        tokens: usize::from(args.tokens),
        request_timeout: args.target.request_timeout,
        max_p99: args.max_p99,
        min_rps: args.min_rps,
        progress: !args.target.quiet,
        transport: Some(Transport::new(&args.target.transport())?),
    };
    let report = conformance::load::run(options).await?;
    print!("{}", report.console());
    if let Some(path) = &args.json {
        std::fs::write(path, report.json())
            .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
    }
    if let Some(path) = &args.html {
        std::fs::write(path, conformance::load::page::html(&report))
            .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
    }
    Ok(report.passed)
}
