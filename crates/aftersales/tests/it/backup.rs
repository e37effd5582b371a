//! `aftersales backup` while the server takes registrations, and `aftersales restore` into
//! an empty data directory: every registration acknowledged before the backup began is
//! there, and so is the file attached to a ticket.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::server::{Server, admin_token, command, customer_and_contact, free_port, postgres_schema, run, temp_dir};

async fn post(client: &reqwest::Client, url: String, token: &str, body: Value) -> Value {
    let r = client.post(url).bearer_auth(token).json(&body).send().await.unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    r.json().await.unwrap()
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Attaches a small text file to ticket `id`; its attachment id.
async fn attach(client: &reqwest::Client, base: &str, token: &str, id: i64, content: &str) -> i64 {
    let boundary = "aftersalesbackuptest";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"visibility\"\r\n\r\ninternal\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"现场记录.txt\"\r\n\
         Content-Type: text/plain\r\n\r\n{content}\r\n--{boundary}--\r\n"
    );
    let r = client
        .post(format!("{base}/api/v1/tickets/{id}/attachments"))
        .bearer_auth(token)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{v}");
    v["items"][0]["id"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_under_load_restores_every_acknowledged_ticket_and_file() {
    let dir = temp_dir("backup");
    let token = admin_token(&dir);
    let server = Server::start(&dir, free_port(), false).await;
    let client = reqwest::Client::new();
    let base = server.base.clone();
    let (cid, contact) = customer_and_contact(&client, &base, &token).await;
    let occurred = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1)).to_string();
    let body = json!({
        "customer_id": cid, "contact_id": contact, "description": "数控机床主轴异响，报警 SP9030",
        "occurred_at": occurred, "impact_scope": "一台机床",
    });
    let first = post(&client, format!("{base}/api/v1/tickets"), &token, body.clone()).await;
    let note = "主轴轴承更换前的振动记录：2.8 mm/s";
    let attachment = attach(&client, &base, &token, first["id"].as_i64().unwrap(), note).await;

    // Eight clients register until told to stop; the backup runs while they do.
    let acknowledged = Arc::new(Mutex::new(BTreeSet::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut clients = Vec::new();
    for _ in 0..8 {
        let (client, base, token, acked, stop, body) =
            (client.clone(), base.clone(), token.clone(), acknowledged.clone(), stop.clone(), body.clone());
        clients.push(tokio::spawn(async move {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let r =
                    client.post(format!("{base}/api/v1/tickets")).bearer_auth(&token).json(&body).send().await.unwrap();
                assert_eq!(r.status().as_u16(), 201);
                let t: Value = r.json().await.unwrap();
                acked.lock().await.insert(t["number"].as_str().unwrap().to_owned());
            }
        }));
    }
    aftersales_testkit::eventually(std::time::Duration::from_secs(120), "100 acknowledged registrations", async || {
        let n = acknowledged.lock().await.len();
        if n >= 100 { Ok(()) } else { Err(format!("{n} so far")) }
    })
    .await;
    let before_backup = acknowledged.lock().await.clone();
    let file = dir.join("备份 1.tar");
    let out = tokio::task::spawn_blocking({
        let (dir, file) = (dir.clone(), file.clone());
        move || run(&dir, &["backup", file.to_str().unwrap()])
    })
    .await
    .unwrap();
    let during = acknowledged.lock().await.len();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for c in clients {
        c.await.unwrap();
    }
    assert!(out.status.success(), "backup failed: {}", stderr(&out));
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(printed.contains("1 files"), "{printed}");
    assert!(during > before_backup.len(), "the registrations went on while the backup ran ({during})");

    // A second backup to the same name is refused and leaves the first as it was.
    let size = std::fs::metadata(&file).unwrap().len();
    let out = run(&dir, &["backup", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
    assert_eq!(std::fs::metadata(&file).unwrap().len(), size);
    server.stop();

    // Restored into a new, empty place.
    let fresh = temp_dir("restore");
    std::fs::copy(&file, fresh.join("backup.tar")).unwrap();
    let out = run(&fresh, &["restore", "backup.tar"]);
    assert!(out.status.success(), "restore failed: {}", stderr(&out));
    // Not twice: the data directory now holds a database.
    let out = run(&fresh, &["restore", "backup.tar"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("empty data directory"), "{}", stderr(&out));

    let server = Server::start(&fresh, free_port(), false).await;
    let first_number = first["number"].as_str().unwrap().to_owned();
    let expected = before_backup.iter().chain(std::iter::once(&first_number));
    crate::server::assert_found(&server.base, &token, expected, "is not in the restored backup").await;
    let r = client
        .get(format!("{}/api/v1/attachments/{attachment}/content", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.text().await.unwrap(), note, "the attached file came back whole");
    server.stop();
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&fresh);
}

#[test]
fn a_damaged_backup_is_refused_and_nothing_is_kept() {
    let dir = temp_dir("backup_damaged");
    admin_token(&dir);
    let out = run(&dir, &["backup", "good.tar"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let good = std::fs::read(dir.join("good.tar")).unwrap();

    // Where there is no database, a backup says so and leaves none behind.
    let empty = temp_dir("backup_nothing");
    let out = run(&empty, &["backup", "b.tar"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("no database"), "{}", stderr(&out));
    assert!(!empty.join("data/aftersales.db").exists(), "an empty database was made");
    let _ = std::fs::remove_dir_all(&empty);

    let fresh = temp_dir("restore_damaged");
    // Not a backup at all.
    std::fs::write(fresh.join("notes.tar"), b"=cmd|' /C calc'!A0\n").unwrap();
    let out = run(&fresh, &["restore", "notes.tar"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("not an aftersales backup") || stderr(&out).contains("damaged"), "{}", stderr(&out));
    // Cut short inside the database.
    std::fs::write(fresh.join("short.tar"), &good[..good.len() / 2]).unwrap();
    let out = run(&fresh, &["restore", "short.tar"]);
    assert!(!out.status.success(), "a half backup was restored");
    // The header of one of the database's pages changed: SQLite's check catches it (or the
    // database does not open at all); either way nothing is restored.
    let mut bad = good.clone();
    let at = bad.windows(15).position(|w| w == b"SQLite format 3").unwrap() + 4096 * 3;
    for b in &mut bad[at..at + 64] {
        *b ^= 0x5a;
    }
    std::fs::write(fresh.join("bad.tar"), &bad).unwrap();
    let out = run(&fresh, &["restore", "bad.tar"]);
    assert!(!out.status.success(), "a damaged backup was restored");
    let data = fresh.join("data");
    let leftovers: Vec<_> =
        std::fs::read_dir(&data).map(|d| d.flatten().map(|e| e.file_name()).collect()).unwrap_or_default();
    assert!(leftovers.is_empty(), "a refused restore left {leftovers:?} behind");
    // The good one restores; the same command with its PostgreSQL URL set is refused.
    std::fs::write(fresh.join("good.tar"), &good).unwrap();
    let out = command(&fresh, &["restore", "good.tar"])
        .env("AFTERSALES_DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("pg_restore"), "{}", stderr(&out));
    let out = run(&fresh, &["restore", "good.tar"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&fresh);
}

/// `aftersales copy-to` (issue 18): the demo installation on SQLite, copied into an empty
/// PostgreSQL database, serves the same tickets there and takes new records; a second copy
/// into the now filled database is refused and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sqlite_installation_moves_to_postgresql_whole() {
    let Some(pg) = postgres_schema("copy").await else { return };
    let url = pg.url.clone();

    let dir = temp_dir("copy_to");
    let out = run(&dir, &["demo", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let creds: Value = serde_json::from_slice(&std::fs::read(dir.join("data/demo-credentials.json")).unwrap()).unwrap();
    let token = |role: &str| {
        creds["logins"].as_array().unwrap().iter().find(|l| l["role"] == role).unwrap()["token"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (desk, admin_token) = (token("desk_agent"), token("admin"));
    let client = reqwest::Client::new();
    let total = async |base: &str| -> (u64, Value) {
        let r: Value = client
            .get(format!("{base}/api/v1/tickets?per_page=1"))
            .bearer_auth(&desk)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (r["total"].as_u64().unwrap(), r["items"][0].clone())
    };
    let server = Server::start(&dir, free_port(), false).await;
    let (on_sqlite, newest) = total(&server.base).await;
    server.stop();
    assert!(on_sqlite > 100, "the demo has its tickets: {on_sqlite}");

    // The URL from a file, so that its password is not in the process list.
    std::fs::write(dir.join("target-url"), format!("{url}\n")).unwrap();
    let out = run(&dir, &["copy-to", "--url-file", "target-url"]);
    assert!(out.status.success(), "copy-to failed: {}", stderr(&out));
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(printed.contains("every table's count matches"), "{printed}");
    let password =
        url.split_once("://").and_then(|(_, rest)| rest.split_once('@')).and_then(|(auth, _)| auth.split_once(':'));
    if let Some((_, password)) = password {
        assert!(!printed.contains(&format!(":{password}@")), "the password was printed: {printed}");
    }

    // The service on PostgreSQL: the same tickets, the same newest one, and the sequences
    // moved on (a new customer gets a new id, not a copied one's).
    let port = free_port();
    let mut serve = command(&dir, &["serve"]);
    serve.env("AFTERSALES_LISTEN", format!("127.0.0.1:{port}")).env("AFTERSALES_DATABASE_URL", &url);
    let server = Server::start_with(&dir, port, serve).await;
    let (on_postgres, newest_there) = total(&server.base).await;
    assert_eq!(on_postgres, on_sqlite);
    assert_eq!(newest_there, newest, "the newest ticket reads the same on both");
    let r = client
        .post(format!("{}/api/v1/customers", server.base))
        .bearer_auth(&admin_token)
        .json(&serde_json::json!({"name": "常州某纺织机械公司", "short_name": "常州纺机", "region": "华东", "level": "B"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201, "{}", r.text().await.unwrap());
    server.stop();

    // A second copy finds the database filled and keeps nothing.
    let out = run(&dir, &["copy-to", &url]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("not empty"), "{}", stderr(&out));
    let port = free_port();
    let mut serve = command(&dir, &["serve"]);
    serve.env("AFTERSALES_LISTEN", format!("127.0.0.1:{port}")).env("AFTERSALES_DATABASE_URL", &url);
    let server = Server::start_with(&dir, port, serve).await;
    assert_eq!(total(&server.base).await.0, on_sqlite);
    server.stop();
    pg.drop_schema().await;
    let _ = std::fs::remove_dir_all(&dir);
}
