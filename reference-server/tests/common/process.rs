//! The real `reference-server` binary as a child process on 127.0.0.1:0: its address read from
//! its log, its log kept for checks, its memory and descriptors read from /proc.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running binary; killed when dropped.
pub struct ChildServer {
    pub child: Child,
    pub addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
    lines: Receiver<String>,
}

/// The fixed key of the child servers (32 bytes or more, as the binary requires).
pub const CHILD_KEY: &str = "child-server-key-0123456789abcdef0123456789";

impl ChildServer {
    /// Starts the binary with `args` (plus a bind on port 0, a key and one account,
    /// alice / alice-pass-1) and waits for its "listening" line, 20 s at most.
    pub fn start(args: &[&str]) -> ChildServer {
        let mut command = Command::new(env!("CARGO_BIN_EXE_reference-server"));
        command
            .args([
                "--bind",
                "127.0.0.1:0",
                "--signing-key",
                CHILD_KEY,
                "--user",
                "alice:alice@example.com:alice-pass-1",
            ])
            .args(args)
            .env("RUST_LOG", "debug")
            .env_remove("SIGNING_KEY")
            .env_remove("USERS")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = match command.spawn() {
            Ok(child) => child,
            Err(err) => panic!("cannot start the binary: {err}"),
        };
        let Some(stderr) = child.stderr.take() else {
            panic!("no stderr pipe");
        };
        let log = Arc::new(Mutex::new(Vec::new()));
        let (sender, lines) = channel();
        let kept = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(mut log) = kept.lock() {
                    log.push(line.clone());
                }
                let _ = sender.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        let addr = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(addr) = line
                        .split("listening on http://")
                        .nth(1)
                        // Text or JSON log lines: the address ends at a space or a quote.
                        .and_then(|rest| rest.split([' ', '"']).next())
                        .and_then(|addr| addr.parse().ok())
                    {
                        break addr;
                    }
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                    let _ = child.kill();
                    panic!("the binary did not start listening: {:?}", log.lock().ok());
                }
            }
        };
        ChildServer {
            child,
            addr,
            log,
            lines,
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A field of /proc/<pid>/status in kB (`VmHWM`, `VmRSS`).
    pub fn status_kb(&self, field: &str) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap_or_default();
        status
            .lines()
            .find_map(|line| {
                let rest = line.strip_prefix(field)?.strip_prefix(':')?;
                rest.split_whitespace().next()?.parse().ok()
            })
            .unwrap_or_else(|| panic!("no {field} in /proc/{}/status", self.pid()))
    }

    /// Open file descriptors of the process.
    pub fn descriptors(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .map(Iterator::count)
            .unwrap_or_else(|err| panic!("/proc/{}/fd: {err}", self.pid()))
    }

    /// Every log line so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().map(|log| log.clone()).unwrap_or_default()
    }

    /// Waits up to `within` for a log line containing `needle`.
    pub fn wait_for_line(&self, needle: &str, within: Duration) -> Option<String> {
        let deadline = Instant::now() + within;
        if let Some(line) = self.log().into_iter().find(|line| line.contains(needle)) {
            return Some(line);
        }
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return Some(line),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    }

    /// Sends SIGTERM (through `kill`, to this child's pid only).
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status();
        assert!(status.is_ok_and(|s| s.success()), "kill -TERM failed");
    }

    /// Waits up to `within` for the process to exit; its exit code, or `None` if it still runs.
    pub fn wait_exit(&mut self, within: Duration) -> Option<Option<i32>> {
        let deadline = Instant::now() + within;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status.code());
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Lines logged at ERROR level.
    pub fn error_lines(&self) -> Vec<String> {
        self.log()
            .into_iter()
            .filter(|line| line.contains(" ERROR "))
            .collect()
    }
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
