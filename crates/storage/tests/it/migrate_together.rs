//! Several instances starting at once on one empty PostgreSQL database (issue 18): each runs
//! the migrations at start-up, and all of them must come up. Without a lock, two of them
//! created the same tables at once and one failed ("duplicate key value violates unique
//! constraint pg_type_typname_nsp_index").

use aftersales_storage::migration::Migrator;
use aftersales_storage::{Backend, Store};
use sea_orm::{ConnectOptions, ConnectionTrait};
use sea_orm_migration::MigratorTrait;

#[tokio::test]
async fn instances_starting_together_on_an_empty_postgres_database_all_come_up() {
    let Some((url, admin)) = crate::postgres_admin().await else { return };
    let schema = format!("together_{}", std::process::id());
    admin.execute_unprepared(&format!("CREATE SCHEMA {schema}")).await.unwrap();
    let mut stores = Vec::new();
    for _ in 0..4 {
        let mut opts = ConnectOptions::new(url.clone());
        opts.set_schema_search_path(schema.clone()).max_connections(2).sqlx_logging(false);
        stores.push(Store::with_options(opts, Backend::Postgres).await.unwrap());
    }
    let mut set = tokio::task::JoinSet::new();
    for s in &stores {
        let s = s.clone();
        set.spawn(async move { s.migrate().await.map_err(|e| e.to_string()) });
    }
    let started = set.join_all().await;
    let recorded = admin
        .query_all_raw(sea_orm::Statement::from_string(
            sea_orm::DatabaseBackend::Postgres,
            format!("SELECT version FROM {schema}.seaql_migrations ORDER BY version"),
        ))
        .await;
    for s in stores {
        s.close().await.unwrap();
    }
    admin.execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE")).await.unwrap();
    admin.close().await.unwrap();
    for (i, r) in started.iter().enumerate() {
        assert!(r.is_ok(), "instance {i} did not start: {r:?}");
    }
    // Each migration ran once.
    assert_eq!(recorded.unwrap().len(), Migrator::migrations().len());
}
