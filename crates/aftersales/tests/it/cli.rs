//! The operator's command line and configuration.

use serde_json::Value;

use crate::server::{Server, free_port, run, temp_dir};

#[test]
fn unknown_configuration_keys_are_rejected_with_their_name() {
    let dir = temp_dir("config");
    std::fs::write(dir.join("aftersales.toml"), "listen = \"127.0.0.1:9999\"\nlisten_port = 9999\n").unwrap();
    let out = run(&dir, &["migrate"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("listen_port"), "{err}");
    std::fs::remove_file(dir.join("aftersales.toml")).unwrap();
    let out = crate::server::command(&dir, &["migrate"]).env("AFTERSALES_REPEAT_WINDOW", "7").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("repeat_window"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = crate::server::command(&dir, &["migrate"]).env("AFTERSALES_LISTEN", "localhost").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("listen"));
    let out = run(&dir, &["migrate"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(&dir, &["user", "add", "--username", "x", "--name", "X", "--role", "boss"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown role"));
    let out = run(&dir, &["demo"]);
    assert!(!out.status.success(), "demo without --yes must not wipe the database");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The README's first command on an empty data directory: a living demo organization and
/// printed tokens that work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newcomer_gets_a_demo_organization_and_working_tokens() {
    let dir = temp_dir("newcomer");
    let server = Server::start(&dir, free_port(), true).await;
    let creds: Value = serde_json::from_slice(&std::fs::read(dir.join("data/demo-credentials.json")).unwrap()).unwrap();
    let desk = creds["logins"].as_array().unwrap().iter().find(|l| l["role"] == "desk_agent").unwrap();
    let client = reqwest::Client::new();
    let r: Value = client
        .get(format!("{}/api/v1/tickets?status=open&per_page=5", server.base))
        .bearer_auth(desk["token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(r["total"].as_u64().unwrap() > 10, "{r}");
    let log = std::fs::read_to_string(
        dir.join(
            std::fs::read_dir(&dir)
                .unwrap()
                .filter_map(Result::ok)
                .find(|e| e.file_name().to_string_lossy().starts_with("server-"))
                .unwrap()
                .path(),
        ),
    )
    .unwrap();
    assert!(log.contains("as_") && log.contains("serving on http://127.0.0.1:"), "{log}");
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
}
