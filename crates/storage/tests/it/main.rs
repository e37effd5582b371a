//! Storage tests that need no app: databases made by earlier releases upgrade cleanly.
#![allow(clippy::unwrap_used)]

mod migrate_together;
mod upgrade;

/// The test PostgreSQL server's URL and an administrative connection to it, or `None` (after
/// one SKIPPED line) when it is unreachable outside CI.
pub(crate) async fn postgres_admin() -> Option<(String, sea_orm::DatabaseConnection)> {
    let url = std::env::var("AFTERSALES_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    match sea_orm::Database::connect(url.as_str()).await {
        Ok(admin) => Some((url, admin)),
        Err(_) => {
            assert!(!std::env::var("CI").is_ok_and(|v| v == "true"), "PostgreSQL must be reachable in CI: {url}");
            eprintln!("SKIPPED: PostgreSQL unreachable at {url}");
            None
        }
    }
}
