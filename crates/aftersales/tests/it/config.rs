//! Configuration from the environment, as a container sets it: nested keys, secrets in
//! files, and variables that are not settings.

use crate::server::{command, temp_dir};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_database_url_may_come_from_a_secret_file() {
    let dir = temp_dir("url_file");
    let db = dir.join("elsewhere.db");
    // As `echo … > file` writes it: with a final newline, which is not part of the URL.
    std::fs::write(dir.join("url"), format!("sqlite://{}?mode=rwc\n", db.display())).unwrap();
    let out = command(&dir, &["migrate"]).env("AFTERSALES_DATABASE_URL_FILE", dir.join("url")).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(db.exists(), "the database is where the file says");
    assert!(!dir.join("data/aftersales.db").exists(), "not the default one");

    let out = command(&dir, &["migrate"])
        .env("AFTERSALES_DATABASE_URL_FILE", dir.join("url"))
        .env("AFTERSALES_DATABASE_URL", "sqlite::memory:")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("AFTERSALES_DATABASE_URL and AFTERSALES_DATABASE_URL_FILE"), "both named: {err}");

    let out = command(&dir, &["migrate"]).env("AFTERSALES_SMTP__PASSWORD_FILE", dir.join("missing")).output().unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("AFTERSALES_SMTP__PASSWORD_FILE") && err.contains("missing"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unknown_variables_are_named_and_the_commands_own_are_not_settings() {
    let dir = temp_dir("env_names");
    let out = command(&dir, &["migrate"])
        .env("AFTERSALES_SMTP__HSOT", "mail.example.com")
        .env("AFTERSALES_LISTEN", "127.0.0.1:8080")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("variable(s) AFTERSALES_SMTP__HSOT: no such setting"), "only the unknown one: {err}");
    assert!(err.contains("AFTERSALES_SMTP__HOST"), "the settings are listed: {err}");

    // What `aftersales user add --help` suggests.
    let out = command(&dir, &["user", "add", "--username", "li.lei", "--name", "李雷", "--role", "desk_agent"])
        .env("AFTERSALES_NEW_PASSWORD", "correct horse battery")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("user li.lei created"));
    let _ = std::fs::remove_dir_all(&dir);
}
