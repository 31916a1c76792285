//! Operating limits, checked on the real binary as a child process: bounded login memory,
//! timeouts, shutdown with a deadline, bounded descriptors.

mod common;

use std::time::Duration;

use common::process::ChildServer;

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    match reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
    {
        Ok(client) => client,
        Err(err) => panic!("client: {err}"),
    }
}

/// 256 wrong-password logins at once: at most two argon2 checks run at a time, the queue
/// holds 16 more, the rest get 503 with Retry-After; peak memory stays far below what 256
/// concurrent checks (about 19 MiB each) would take.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_bad_logins_have_bounded_memory() {
    let server = ChildServer::start(&["--max-concurrent-logins", "2", "--login-queue", "16"]);
    let client = client();
    let url = format!("{}/gettoken/", server.base_url());
    let attempts = (0..256).map(|n| {
        let request = client
            .post(&url)
            .json(&serde_json::json!({"username": "alice", "password": format!("wrong-{n}")}));
        async move {
            let response = request
                .send()
                .await
                .unwrap_or_else(|err| panic!("login {n}: {err}"));
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let text = response.text().await.unwrap_or_default();
            (status, retry_after, text)
        }
    });
    let replies = futures_util::future::join_all(attempts).await;
    let refused = replies.iter().filter(|(status, ..)| *status == 400).count();
    let busy: Vec<_> = replies
        .iter()
        .filter(|(status, ..)| *status == 503)
        .collect();
    assert_eq!(refused + busy.len(), 256, "{replies:?}");
    assert!(refused >= 18, "the queue was used: {refused} checked");
    assert!(!busy.is_empty(), "past the queue, logins are turned away");
    for (_, retry_after, text) in &busy {
        assert_eq!(retry_after.as_deref(), Some("1"));
        assert_eq!(
            text,
            r#"{"detail":"Too many logins in progress, try again shortly."}"#
        );
    }
    let peak_kb = server.status_kb("VmHWM");
    eprintln!("peak RSS (VmHWM) after 256 concurrent bad logins: {peak_kb} kB");
    assert!(peak_kb < 160 * 1024, "peak RSS {peak_kb} kB");
    // And a good login still works afterwards.
    let ok = client
        .post(&url)
        .json(&serde_json::json!({"username": "alice", "password": "alice-pass-1"}))
        .send()
        .await
        .map(|r| r.status().as_u16());
    assert_eq!(ok.ok(), Some(200));
}
