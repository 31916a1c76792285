//! Concurrent writes: nothing is lost, every acknowledged write is visible to later reads.

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_creates_are_all_listed() {
    let server = TestServer::start().await;
    let token = server.login().await.access;
    let creates = (0..200).map(|n| {
        let body = json!({"field1": format!("item-{n}"), "field2": "x"});
        let request = server
            .request("POST", "/api/resource/")
            .bearer_auth(&token)
            .json(&body);
        server.send(request)
    });
    let replies = futures_util::future::join_all(creates).await;
    let mut ids = BTreeSet::new();
    for reply in &replies {
        assert_eq!(reply.status, 201, "{}", reply.text);
        ids.insert(reply.json()["id"].as_u64().unwrap_or_default());
    }
    assert_eq!(ids, (1..=200).collect::<BTreeSet<u64>>());
    let list = server.authed("GET", "/api/resource/", &token, None).await;
    assert_eq!(list.status, 200);
    let listed = list.json();
    let items = listed.as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 200);
    let names: BTreeSet<String> = items
        .iter()
        .map(|item| item["field1"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        names,
        (0..200)
            .map(|n| format!("item-{n}"))
            .collect::<BTreeSet<_>>()
    );
    let listed_ids: Vec<u64> = items
        .iter()
        .map(|item| item["id"].as_u64().unwrap_or_default())
        .collect();
    assert_eq!(
        listed_ids,
        (1..=200).collect::<Vec<u64>>(),
        "listed in id order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_updates_and_deletes_leave_a_consistent_store() {
    let server = TestServer::start().await;
    let token = server.login().await.access;
    for n in 0..20 {
        let reply = server
            .authed(
                "POST",
                "/api/resource/",
                &token,
                Some(&json!({"field1": n, "field2": "x"})),
            )
            .await;
        assert_eq!(reply.status, 201);
    }
    let writes = (1..=20u64).map(|id| {
        let request = if id % 2 == 0 {
            server
                .request("DELETE", &format!("/api/resource/{id}/"))
                .bearer_auth(&token)
        } else {
            server
                .request("PATCH", &format!("/api/resource/{id}/"))
                .bearer_auth(&token)
                .json(&json!({"field2": "patched"}))
        };
        server.send(request)
    });
    for reply in futures_util::future::join_all(writes).await {
        assert!(
            reply.status == 200 || reply.status == 204,
            "{} {}",
            reply.status,
            reply.text
        );
    }
    let listed = server
        .authed("GET", "/api/resource/", &token, None)
        .await
        .json();
    let items = listed.as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 10);
    assert!(
        items
            .iter()
            .all(|item| item["field2"] == "patched" && item["id"].as_u64().unwrap_or(0) % 2 == 1)
    );
}
