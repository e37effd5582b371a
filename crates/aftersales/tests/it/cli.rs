//! The operator's command line and configuration.

use serde_json::Value;

use crate::server::{Server, command, free_port, run, temp_dir};

/// Logs written to a file or a pipe (a service manager's journal) are plain text: no
/// terminal colour codes around the levels and fields.
#[test]
fn logs_not_on_a_terminal_carry_no_colour_codes() {
    let dir = temp_dir("plain_logs");
    let out = command(&dir, &["migrate"]).env("RUST_LOG", "info").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("INFO"), "an info line was logged: {text}");
    assert!(!text.contains('\u{1b}'), "terminal colour codes: {text:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// With `log_format = "json"` every request is one JSON line with its method, route
/// template, status, time and the caller's user id, and never the token it carried
/// (issue 18).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_logged_as_json_with_route_status_time_and_user() {
    let dir = temp_dir("json_logs");
    let token = crate::server::admin_token(&dir);
    let port = free_port();
    let mut serve = command(&dir, &["serve"]);
    serve
        .env("AFTERSALES_LISTEN", format!("127.0.0.1:{port}"))
        .env("AFTERSALES_DEMO", "false")
        .env("AFTERSALES_LOG_FORMAT", "json")
        .env("RUST_LOG", "info");
    let server = Server::start_with(&dir, port, serve).await;
    let client = reqwest::Client::new();
    let r = client.get(format!("{}/api/v1/tickets/424242", server.base)).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let log =
        aftersales_testkit::eventually(std::time::Duration::from_secs(10), "the request's log line", async || {
            let log = server.log(&dir);
            if log.contains("/api/v1/tickets/{id}") { Ok(log) } else { Err(log) }
        })
        .await;
    server.stop();
    let line: Value = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["fields"]["route"] == "/api/v1/tickets/{id}")
        .unwrap_or_else(|| panic!("no JSON request line: {log}"));
    let fields = &line["fields"];
    assert_eq!(fields["method"], "GET", "{line}");
    assert_eq!(fields["status"], 404, "{line}");
    assert!(fields["ms"].as_f64().is_some(), "{line}");
    assert!(fields["user"].as_i64().is_some(), "the caller's user id: {line}");
    assert!(!log.contains(&token) && !log.contains("424242"), "a token or a path's id in the log: {log}");
    let _ = std::fs::remove_dir_all(&dir);
}

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
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("AFTERSALES_REPEAT_WINDOW:"), "the variable is named: {err}");
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

/// The README's first command on an empty data directory (nothing configured): a living
/// demo organization and printed tokens that work, printed once, kept where only this
/// account reads them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newcomer_gets_a_demo_organization_and_working_tokens() {
    let dir = temp_dir("newcomer");
    let port = free_port();
    let mut serve = command(&dir, &["serve"]);
    serve.env("AFTERSALES_LISTEN", format!("127.0.0.1:{port}"));
    let server = Server::start_with(&dir, port, serve).await;
    let path = dir.join("data/demo-credentials.json");
    let creds: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600, "readable by the owner only");
    }
    let desk = creds["logins"].as_array().unwrap().iter().find(|l| l["role"] == "desk_agent").unwrap();
    let desk_token = desk["token"].as_str().unwrap();
    let client = reqwest::Client::new();
    let r: Value = client
        .get(format!("{}/api/v1/tickets?status=open&per_page=5", server.base))
        .bearer_auth(desk_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(r["total"].as_u64().unwrap() > 10, "{r}");
    let log = server.log(&dir);
    assert!(log.contains(desk_token) && log.contains("serving on http://127.0.0.1:"), "{log}");
    server.stop();

    // The next start says where the tokens are, and prints none of them.
    let port = free_port();
    let mut serve = command(&dir, &["serve"]);
    serve.env("AFTERSALES_LISTEN", format!("127.0.0.1:{port}"));
    let server = Server::start_with(&dir, port, serve).await;
    let log = server.log(&dir);
    assert!(log.contains("demo-credentials.json"), "{log}");
    let tokens = creds["logins"].as_array().unwrap().iter().map(|l| l["token"].as_str().unwrap());
    assert!(!tokens.clone().any(|t| log.contains(t)), "no token at a later start: {log}");
    assert!(!log.contains("demo1234"), "{log}");
    assert!(!log.contains("creating the demo"), "{log}");
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
}

/// Signs in through the form; whether the password was taken.
async fn signs_in(base: &str, username: &str, password: &str) -> bool {
    crate::server::sign_in(base, username, password).await.is_some()
}

/// The password the first start printed for the administrator.
fn printed_password(log: &str) -> String {
    let line = log.lines().find(|l| l.trim_start().starts_with("password: ")).unwrap_or_else(|| panic!("{log}"));
    line.trim().trim_start_matches("password: ").to_owned()
}

/// A server others can reach is a deployment: no demo with a known password unless asked
/// for, but an administrator whose generated password is printed once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_reachable_by_others_starts_with_an_administrator_not_the_demo() {
    let dir = temp_dir("deployment");
    let port = free_port();
    let mut serve = command(&dir, &["serve"]);
    serve.env("AFTERSALES_LISTEN", format!("0.0.0.0:{port}")).env("AFTERSALES_WORKER", "false");
    let server = Server::start_with(&dir, port, serve).await;
    let log = server.log(&dir);
    assert!(!log.contains("creating the demo") && !dir.join("data/demo-credentials.json").exists(), "{log}");
    let password = printed_password(&log);
    assert_eq!(password.len(), 16, "{log}");
    assert!(log.contains("username: admin") && log.contains("shown only now"), "{log}");
    assert!(!signs_in(&server.base, "admin", "demo1234").await);
    assert!(!signs_in(&server.base, "c01.wang", "demo1234").await, "no demo users");
    assert!(signs_in(&server.base, "admin", &password).await, "the printed password works");
    server.stop();

    // Printed once: a later start neither prints it nor makes another administrator.
    let port = free_port();
    let mut serve = command(&dir, &["serve"]);
    serve.env("AFTERSALES_LISTEN", format!("0.0.0.0:{port}")).env("AFTERSALES_WORKER", "false");
    let server = Server::start_with(&dir, port, serve).await;
    let log = server.log(&dir);
    assert!(!log.contains(&password) && !log.contains("created the administrator"), "{log}");
    assert!(signs_in(&server.base, "admin", &password).await);
    server.stop();

    // Asked for explicitly, the demo is made even there.
    let dir2 = temp_dir("deployment_demo");
    let port = free_port();
    let mut serve = command(&dir2, &["serve"]);
    serve
        .env("AFTERSALES_LISTEN", format!("0.0.0.0:{port}"))
        .env("AFTERSALES_DEMO", "true")
        .env("AFTERSALES_WORKER", "false");
    let server = Server::start_with(&dir2, port, serve).await;
    assert!(dir2.join("data/demo-credentials.json").exists(), "{}", server.log(&dir2));
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&dir2);
}

/// An empty PostgreSQL database is a deployment too: the administrator, never the demo.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_postgresql_database_gets_an_administrator_not_the_demo() {
    let Some(pg) = crate::server::postgres_schema("first_start").await else { return };
    let url = pg.url.clone();
    let dir = temp_dir("first_start_pg");
    let port = free_port();
    let mut serve = command(&dir, &["serve"]);
    serve
        .env("AFTERSALES_LISTEN", format!("127.0.0.1:{port}"))
        .env("AFTERSALES_DATABASE_URL", &url)
        .env("AFTERSALES_WORKER", "false");
    let server = Server::start_with(&dir, port, serve).await;
    let log = server.log(&dir);
    assert!(!log.contains("creating the demo") && !dir.join("data/demo-credentials.json").exists(), "{log}");
    let password = printed_password(&log);
    assert!(signs_in(&server.base, "admin", &password).await, "{log}");
    assert!(!signs_in(&server.base, "c01.wang", "demo1234").await);
    server.stop();
    pg.drop_schema().await;
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
