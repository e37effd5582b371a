//! A database whose jobs were all notice checks (before m0009) keeps them working: each
//! becomes a `notice_check` job about its ticket, with its check as its data.

use aftersales_domain::Timestamp;
use aftersales_domain::notice::JobKind;
use aftersales_storage::jobs::{self, NewJob, Subject};
use aftersales_storage::migration::Migrator;
use aftersales_storage::notices::{self, NOTICE_CHECK};
use aftersales_storage::{Backend, Store};
use sea_orm::{ConnectOptions, ConnectionTrait, Database};
use sea_orm_migration::MigratorTrait;

fn at(ms: i64) -> Timestamp {
    Timestamp::from_millisecond(ms).unwrap()
}

/// Migrates `store` as far as m0008, stores jobs as that version did, then upgrades.
async fn upgrade_keeps_old_jobs(store: &Store) {
    Migrator::up(store.read(), Some(8)).await.unwrap();
    store
        .read()
        .execute_unprepared(
            "INSERT INTO jobs (key, kind, ticket_id, due_at, state, attempts, created_at, updated_at) VALUES \
             ('t7/response_due/1000', 'response_due', 7, 1000, 'pending', 0, 1, 1), \
             ('t7/three_days/9000', 'three_days', 7, 9000, 'pending', 0, 1, 1), \
             ('t7/pre_breach/1/500', 'pre_breach', 7, 500, 'done', 1, 1, 1)",
        )
        .await
        .unwrap();
    store.migrate().await.unwrap();

    let pending = notices::pending_jobs(store.read(), 7).await.unwrap();
    let kinds: Vec<(JobKind, &str)> = pending.iter().map(|j| (j.kind, j.key.as_str())).collect();
    assert_eq!(kinds, vec![(JobKind::ResponseDue, "t7/response_due/1000"), (JobKind::ThreeDays, "t7/three_days/9000")]);
    let done = jobs::list(store.read(), Some(NOTICE_CHECK), "done", 10).await.unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!((done[0].subject.as_str(), done[0].data.as_str()), ("ticket:7", "pre_breach"));

    let tx = store.write().await.unwrap();
    let taken = notices::take_jobs(&*tx, "w", at(2000), 10).await.unwrap();
    assert_eq!(taken.iter().map(|j| j.key.as_str()).collect::<Vec<_>>(), vec!["t7/response_due/1000"]);
    // A job about no ticket can be stored now, and is not a notice check.
    let job = NewJob {
        kind: "report",
        subject: Subject::of("subscription", 3),
        key: "report/subscription:3/2024-03".into(),
        data: "{}".into(),
        ticket: None,
        due_at: at(2000),
    };
    assert!(jobs::enqueue(&*tx, &job, at(2000)).await.unwrap());
    assert!(notices::take_jobs(&*tx, "w", at(2000), 10).await.unwrap().is_empty());
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn old_jobs_become_notice_checks_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("aftersales-upgrade-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Store::connect(&format!("sqlite://{}?mode=rwc", dir.join("old.db").display())).await.unwrap();
    upgrade_keeps_old_jobs(&store).await;
    store.close().await.unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn old_jobs_become_notice_checks_on_postgres() {
    let url = aftersales_testkit::postgres_url();
    let Ok(admin) = Database::connect(url.as_str()).await else {
        assert!(!std::env::var("CI").is_ok_and(|v| v == "true"), "PostgreSQL must be reachable in CI: {url}");
        eprintln!("SKIPPED: PostgreSQL unreachable at {url}");
        return;
    };
    let schema = format!("upgrade_{}", std::process::id());
    admin.execute_unprepared(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}")).await.unwrap();
    let mut opts = ConnectOptions::new(url);
    opts.set_schema_search_path(schema.clone()).max_connections(4).sqlx_logging(false);
    let store = Store::with_options(opts, Backend::Postgres).await.unwrap();
    upgrade_keeps_old_jobs(&store).await;
    store.close().await.unwrap();
    admin.execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE")).await.unwrap();
}
