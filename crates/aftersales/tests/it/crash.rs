//! Acknowledged writes survive `kill -9` of the server.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::server::{Server, free_port, temp_dir};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_registrations_survive_kill_9() {
    let dir = temp_dir("crash");
    let token = crate::server::admin_token(&dir);
    let port = free_port();
    let server = Server::start(&dir, port, false).await;
    let client = reqwest::Client::new();
    let base = server.base.clone();
    let (cid, contact) = crate::server::customer_and_contact(&client, &base, &token).await;

    // Eight clients register as fast as they can; the server is killed while they do.
    let acknowledged = Arc::new(Mutex::new(BTreeSet::new()));
    let mut clients = Vec::new();
    for c in 0..8 {
        let (client, base, token, acked) = (client.clone(), base.clone(), token.clone(), acknowledged.clone());
        // The server runs on the real clock: the problem occurred an hour ago.
        let occurred = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1)).to_string();
        let body = json!({
            "customer_id": cid, "contact_id": contact, "description": format!("客户端 {c} 报修：打印机报警 E02 卡纸"),
            "occurred_at": occurred, "impact_scope": "一台打印机",
        });
        clients.push(tokio::spawn(async move {
            loop {
                match client.post(format!("{base}/api/v1/tickets")).bearer_auth(&token).json(&body).send().await {
                    Ok(r) if r.status().as_u16() == 201 => {
                        let t: Value = match r.json().await {
                            Ok(t) => t,
                            Err(_) => return,
                        };
                        acked.lock().await.insert(t["number"].as_str().unwrap().to_owned());
                    }
                    _ => return,
                }
            }
        }));
    }
    aftersales_testkit::eventually(std::time::Duration::from_secs(120), "300 acknowledged registrations", async || {
        let n = acknowledged.lock().await.len();
        if n >= 300 { Ok(()) } else { Err(format!("{n} so far")) }
    })
    .await;
    server.kill9();
    for c in clients {
        c.await.unwrap();
    }
    let acknowledged = acknowledged.lock().await.clone();

    let server = Server::start(&dir, free_port(), false).await;
    let r: Value = client
        .get(format!("{}/api/v1/tickets?per_page=1", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let total = r["total"].as_u64().unwrap() as usize;
    assert!(total >= acknowledged.len(), "{total} stored < {} acknowledged", acknowledged.len());
    crate::server::assert_found(&server.base, &token, &acknowledged, "lost after kill -9").await;
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
