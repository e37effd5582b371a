//! Test support shared by the crates' integration tests.
//!
//! [`db_test!`] turns one test body into a `sqlite` and a `postgres` test, each on its own
//! fresh database (a temporary SQLite file; a new PostgreSQL schema). When PostgreSQL is
//! unreachable the PostgreSQL half prints one SKIPPED line, or, with `CI=true`, fails.
//! [`app_test!`] does the same with a whole [`TestApp`]: the router, the organization, an API
//! client and a signed-in browser per user, the sent mail and robot posts, and a check at the
//! end that no due job was left unprocessed. [`eventually`] waits for what happens elsewhere.
#![allow(clippy::unwrap_used)]

pub mod client;
pub mod http_sink;
pub mod smtp_sink;
mod test_app;
mod wait;

pub use test_app::{PASSWORD, TestApp, notifier};
pub use wait::{eventually, throughout};

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use aftersales_app::{Actor, App, Settings};
use aftersales_domain::Timestamp;
use aftersales_storage::{Backend, Store};
use sea_orm::{ConnectOptions, ConnectionTrait, Database};

pub mod fixture;

pub use fixture::Org;

/// Where PostgreSQL tests connect: `AFTERSALES_TEST_POSTGRES_URL`, else the local server.
pub fn postgres_url() -> String {
    std::env::var("AFTERSALES_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn unique(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("{prefix}_{}_{}_{nanos}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// A fresh database for one test, with an app whose clock the test moves.
pub struct TestDb {
    pub app: App,
    clock: Arc<AtomicI64>,
    cleanup: Cleanup,
    /// The test's own file store directory (removed with the database).
    files_dir: std::path::PathBuf,
}

enum Cleanup {
    Dir(std::path::PathBuf),
    Schema(String),
}

/// The instant every test starts at: a Friday morning in Shanghai.
pub const START: &str = "2024-03-15T09:00:00+08:00";

impl TestDb {
    fn build(store: Store, cleanup: Cleanup) -> TestDb {
        let start: Timestamp = jiff::Zoned::strptime("%Y-%m-%dT%H:%M:%S%:z", START)
            .map(|z| z.timestamp())
            .unwrap_or_else(|_| START.parse().unwrap());
        let clock = Arc::new(AtomicI64::new(start.as_millisecond()));
        let c = clock.clone();
        let files_dir = std::env::temp_dir().join(unique("aftersales_files"));
        let app = App::new(store, Settings::default())
            .with_files(Arc::new(aftersales_files::DiskStore::new(files_dir.clone())))
            .with_clock(Arc::new(move || Timestamp::from_millisecond(c.load(Ordering::SeqCst)).unwrap()));
        TestDb { app, clock, cleanup, files_dir }
    }

    /// The files of the test's blob store (every file under its directory, temporary ones
    /// included), to check that nothing was left behind.
    pub fn stored_files(&self) -> Vec<std::path::PathBuf> {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            let Ok(entries) = std::fs::read_dir(dir) else { return };
            for e in entries.flatten() {
                let path = e.path();
                if path.is_dir() {
                    walk(&path, out);
                } else {
                    out.push(path);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.files_dir, &mut out);
        out.sort();
        out
    }

    /// A new SQLite database in a temporary directory.
    pub async fn sqlite() -> TestDb {
        let dir = std::env::temp_dir().join(unique("aftersales_test"));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("test.db").display());
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        let db = TestDb::build(store, Cleanup::Dir(dir));
        db.app.ensure_defaults().await.unwrap();
        db
    }

    /// A new schema in the test PostgreSQL server, or `None` (after one SKIPPED line) when
    /// it is unreachable outside CI.
    pub async fn postgres() -> Option<TestDb> {
        let url = postgres_url();
        let admin = match Database::connect(url.as_str()).await {
            Ok(c) => c,
            Err(e) => {
                if std::env::var("CI").is_ok_and(|v| v == "true") {
                    panic!("PostgreSQL tests must run in CI but {url} is unreachable: {e}");
                }
                static SAID: std::sync::Once = std::sync::Once::new();
                SAID.call_once(|| {
                    eprintln!("SKIPPED PostgreSQL tests: {url} unreachable ({e}); set AFTERSALES_TEST_POSTGRES_URL to run them")
                });
                return None;
            }
        };
        let schema = unique("t");
        admin.execute_unprepared(&format!("CREATE SCHEMA {schema}")).await.unwrap();
        admin.close().await.unwrap();
        let mut opts = ConnectOptions::new(url);
        opts.set_schema_search_path(schema.clone()).max_connections(8).sqlx_logging(false);
        let store = Store::with_options(opts, Backend::Postgres).await.unwrap();
        store.migrate().await.unwrap();
        let db = TestDb::build(store, Cleanup::Schema(schema));
        db.app.ensure_defaults().await.unwrap();
        Some(db)
    }

    /// The database as it is (what [`db_test!`] hands its body).
    pub async fn ready(self) -> TestDb {
        self
    }

    /// The test's own file store directory (what the blob store holds, on disk).
    pub fn files_dir(&self) -> &std::path::Path {
        &self.files_dir
    }

    pub fn now(&self) -> Timestamp {
        Timestamp::from_millisecond(self.clock.load(Ordering::SeqCst)).unwrap()
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: jiff::SignedDuration) {
        self.clock.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }

    /// Sets the clock to `at` (which may be earlier than now).
    pub fn set(&self, at: Timestamp) {
        self.clock.store(at.as_millisecond(), Ordering::SeqCst);
    }

    /// Removes the database (a failed test leaves it behind for inspection).
    pub async fn finish(self) {
        let store = self.app.store().clone();
        drop(self.app);
        let _ = store.close().await;
        let _ = std::fs::remove_dir_all(&self.files_dir);
        match self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Schema(schema) => {
                if let Ok(admin) = Database::connect(postgres_url().as_str()).await {
                    let _ = admin.execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE")).await;
                    let _ = admin.close().await;
                }
            }
        }
    }
}

/// An actor for a user, as authentication would produce.
pub fn actor(user: aftersales_domain::user::User) -> Actor {
    Actor { user }
}

/// Runs one async test body on SQLite and on PostgreSQL: `db_test!(name, |db| { … });`
/// generates `name::sqlite` and `name::postgres`, each with its own fresh [`TestDb`].
#[macro_export]
macro_rules! db_test {
    ($name:ident, |$db:ident| $body:block) => {
        $crate::on_both_databases!($name, $db, $crate::TestDb::ready, $body);
    };
}

/// Runs one async test body with a [`TestApp`] on SQLite and on PostgreSQL:
/// `app_test!(name, |t| { … });`; the test fails if it leaves a due job unprocessed.
#[macro_export]
macro_rules! app_test {
    ($name:ident, |$t:ident| $body:block) => {
        $crate::on_both_databases!($name, $t, $crate::TestApp::new, $body);
    };
}

/// The machinery of [`db_test!`] and [`app_test!`]: `$make` turns a fresh [`TestDb`] into
/// what the body gets, which is `finish`ed after it.
#[doc(hidden)]
#[macro_export]
macro_rules! on_both_databases {
    ($name:ident, $var:ident, $make:path, $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $var = $make($crate::TestDb::sqlite().await).await;
                $body
                $var.finish().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(fresh) = $crate::TestDb::postgres().await else { return };
                let $var = $make(fresh).await;
                $body
                $var.finish().await;
            }
        }
    };
}
