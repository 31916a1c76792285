//! What the end-to-end tests of the CLI share: running `jwt-conformance` and reading what it
//! printed and wrote (`Invocation`, `Output`), a reference server with one known account and
//! key, and the arguments that describe it to the binary.

// Every test binary includes this module and uses a part of it.
#![allow(dead_code)]

use std::{
    path::PathBuf,
    process::Command,
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

use reference_server::{Config, RunningServer, UserSpec};
use serde_json::Value;

/// One run of the `jwt-conformance` binary, as a test describes it.
#[derive(Debug)]
pub struct Invocation {
    command: Command,
    args: Vec<String>,
    json: bool,
    junit: bool,
}

/// What a run printed and wrote.
#[derive(Debug, Clone)]
pub struct Output {
    /// The exit code (-1 when killed by a signal).
    pub code: i32,
    /// What it printed on stdout.
    pub stdout: String,
    /// What it printed on stderr.
    pub stderr: String,
    /// The `--json` report (`Null` when not asked for, or not written).
    pub json: Value,
    /// The `--junit` report (empty when not asked for, or not written).
    pub junit: String,
}

impl Output {
    /// Exit code, stdout and stderr.
    pub fn triple(self) -> (i32, String, String) {
        (self.code, self.stdout, self.stderr)
    }
}

impl Invocation {
    /// The binary with these arguments, in this shell's environment.
    pub fn new<S: AsRef<str>>(args: impl IntoIterator<Item = S>) -> Invocation {
        let args: Vec<String> = args.into_iter().map(|a| a.as_ref().to_string()).collect();
        let mut command = Command::new(env!("CARGO_BIN_EXE_jwt-conformance"));
        command.args(&args);
        Invocation {
            command,
            args,
            json: false,
            junit: false,
        }
    }

    /// More arguments.
    pub fn args<S: AsRef<str>>(mut self, args: impl IntoIterator<Item = S>) -> Invocation {
        for a in args {
            self.command.arg(a.as_ref());
            self.args.push(a.as_ref().to_string());
        }
        self
    }

    /// `--quiet`, after the arguments so far.
    pub fn quiet(self) -> Invocation {
        self.args(["--quiet"])
    }

    /// Nothing from this shell's environment: the arguments say everything.
    pub fn env_clear(mut self) -> Invocation {
        self.command.env_clear();
        self
    }

    /// Without these variables of this shell's environment.
    pub fn env_remove(mut self, vars: &[&str]) -> Invocation {
        for var in vars {
            self.command.env_remove(var);
        }
        self
    }

    /// Without any variable of this shell's environment whose name starts with `prefix`.
    pub fn env_remove_prefixed(mut self, prefix: &str) -> Invocation {
        for (var, _) in std::env::vars().filter(|(k, _)| k.starts_with(prefix)) {
            self.command.env_remove(var);
        }
        self
    }

    /// With this variable set.
    pub fn env(mut self, var: &str, value: &str) -> Invocation {
        self.command.env(var, value);
        self
    }

    /// Writes the `--json` report, read into [`Output::json`].
    pub fn json(mut self) -> Invocation {
        self.json = true;
        self
    }

    /// Writes the `--junit` report, read into [`Output::junit`].
    pub fn junit(mut self) -> Invocation {
        self.junit = true;
        self
    }

    /// The command line, as a shell would show it.
    pub fn shown(&self) -> String {
        format!("$ jwt-conformance {}", self.args.join(" "))
    }

    /// Runs it; `Err` when the binary cannot be started.
    pub fn try_output(mut self) -> Result<Output, String> {
        static RUNS: AtomicUsize = AtomicUsize::new(0);
        let dir: PathBuf = std::env::temp_dir().join(format!(
            "jwt-conformance-test-{}-{}",
            std::process::id(),
            RUNS.fetch_add(1, Ordering::Relaxed)
        ));
        let (json, junit) = (dir.join("report.json"), dir.join("report.xml"));
        if self.json || self.junit {
            std::fs::create_dir_all(&dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
        if self.json {
            self.command.arg("--json").arg(&json);
        }
        if self.junit {
            self.command.arg("--junit").arg(&junit);
        }
        let out = self
            .command
            .output()
            .map_err(|e| format!("cannot run the binary: {e}"))?;
        let output = Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            json: std::fs::read_to_string(&json)
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or(Value::Null),
            junit: std::fs::read_to_string(&junit).unwrap_or_default(),
        };
        let _ = std::fs::remove_dir_all(&dir);
        Ok(output)
    }

    /// Runs it.
    pub fn output(self) -> Output {
        self.try_output().expect("the binary runs")
    }

    /// Runs it on a blocking thread, so that servers on this runtime keep answering.
    pub async fn output_async(self) -> Output {
        tokio::task::spawn_blocking(move || self.output())
            .await
            .expect("joined")
    }
}

/// The account every such server has.
pub const LOGIN: &str = "erin";
/// Its password.
pub const PASSWORD: &str = "erin-pw-1";

/// A reference server on 127.0.0.1:0 with the test settings as `configure` leaves them.
pub async fn spawn(configure: impl FnOnce(&mut Config)) -> RunningServer {
    let mut c = Config::for_tests();
    c.bind = ([127, 0, 0, 1], 0).into();
    configure(&mut c);
    reference_server::spawn(c)
        .await
        .expect("the reference server starts")
}

/// An account of a test server: `<username>@example.com` with this password.
pub fn user(username: &str, password: &str, active: bool) -> UserSpec {
    UserSpec {
        username: username.into(),
        email: format!("{username}@example.com"),
        password: password.into(),
        active,
    }
}

/// A reference server on 127.0.0.1:0 signing with `key`, whose refresh tokens live twice as
/// long as its access tokens, with the account `erin` / `erin@example.com`.
pub async fn server(key: &str, access: Duration) -> RunningServer {
    spawn(|c| {
        c.signing_key = Some(key.into());
        c.access_lifetime = access;
        c.refresh_lifetime = access * 2;
        c.users = vec![user(LOGIN, PASSWORD, true)];
    })
    .await
}

/// `--base-url`, the account (logging in as `login`) and the key, then `extra`.
pub fn target_args(base_url: &str, login: &str, key: &str, extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = [
        "--base-url",
        base_url,
        "--login",
        login,
        "--password",
        PASSWORD,
        "--signing-key",
        key,
    ]
    .map(String::from)
    .to_vec();
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

/// A file of the tests' data (`tests/data`): the RS256 test key pair, a TLS certificate, ...
pub fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Describes the RS256 test key pair to the binary instead of the HMAC secret: the
/// `--signing-key` pair of `args` gives way to the two key files.
pub fn with_rs256_key_files(args: &mut Vec<String>) {
    if let Some(at) = args.iter().position(|a| a == "--signing-key") {
        args.drain(at..at + 2);
    }
    args.extend([
        "--signing-key-file".to_owned(),
        data("rs256-private.pem"),
        "--verifying-key-file".to_owned(),
        data("rs256-public.pem"),
    ]);
}
