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
    let out = crate::server::command(&dir, &["migrate"])
        .env("AFTERSALES_TRUSTED_PROXIES", "[10.0.0.2, proxy.internal]")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("trusted_proxies") && err.contains("proxy.internal"), "{err}");
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

/// `aftersales calendar add|between`: what an administrator types to check a policy.
#[test]
fn the_calendar_commands_answer_on_the_default_calendar() {
    let dir = temp_dir("calendar");
    let text = |out: &std::process::Output| String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let out = run(&dir, &["calendar", "add", "--from", "2025-09-30T16:00:00+08:00", "--working", "4h"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(text(&out), "2025-10-09T11:00:00+08:00", "National Day 2025: Oct 1–8 off");
    let out = run(
        &dir,
        &["calendar", "between", "--calendar", "cn", "2025-09-30T16:00:00+08:00", "2025-10-09T11:00:00+08:00"],
    );
    assert_eq!(text(&out), "240");
    let out = run(&dir, &["calendar", "add", "--from", "2026-02-13T17:00:00+08:00", "--working", "1h"]);
    assert_eq!(text(&out), "2026-02-14T09:00:00+08:00", "Saturday Feb 14 2026 is a make-up working day");
    let out = run(&dir, &["calendar", "add", "--from", "2026-12-31T16:00:00+08:00", "--working", "3d"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("no holiday data for 2027"));
    let out = run(&dir, &["calendar", "add", "--from", "tomorrow", "--working", "1h"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("--from"));
    let out =
        run(&dir, &["calendar", "add", "--calendar", "mars", "--from", "2025-09-30T16:00:00+08:00", "--working", "1h"]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("mars"));
    let _ = std::fs::remove_dir_all(&dir);
}
