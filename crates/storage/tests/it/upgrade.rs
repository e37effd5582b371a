//! A database made by the last release opens with today's store: its migrations run, its
//! records read back unchanged, and its schema ends up equal to a fresh database's. The
//! released migrations also rebuild exactly the schema that release made (on SQLite and on
//! PostgreSQL), which catches a frozen identifier that drifted.

use std::io::Read;
use std::path::{Path, PathBuf};

use aftersales_storage::migration::Migrator;
use aftersales_storage::notices::{NoticeFilter, list_notices};
use aftersales_storage::tickets::{self, TicketFilter};
use aftersales_storage::{Backend, Store, sessions, users};
use sea_orm::{ConnectOptions, ConnectionTrait, Statement};
use sea_orm_migration::MigratorTrait;

/// The release that made the fixtures, and how many migrations it had.
const RELEASE: &str = "424d91d";
const RELEASE_MIGRATIONS: u32 = 8;

/// Tables whose row counts must survive the upgrade.
const TABLES: [&str; 14] = [
    "users",
    "customers",
    "contacts",
    "devices",
    "tickets",
    "ticket_events",
    "work_log",
    "priority_change_requests",
    "jobs",
    "notices",
    "notice_recipients",
    "deliveries",
    "sessions",
    "customer_links",
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// A new directory of its own under the system's temporary directory.
fn scratch(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let dir = std::env::temp_dir().join(format!("aftersales_upgrade_{name}_{}_{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A copy of the release's database in `dir`, unmigrated, and its URL.
fn release_copy(dir: &Path) -> String {
    let gz = std::fs::File::open(fixtures().join(format!("release-{RELEASE}.sqlite.gz"))).unwrap();
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(gz).read_to_end(&mut bytes).unwrap();
    let path = dir.join("aftersales.db");
    std::fs::write(&path, bytes).unwrap();
    format!("sqlite://{}?mode=rwc", path.display())
}

async fn lines<C: ConnectionTrait>(conn: &C, sql: &str) -> Vec<String> {
    let stmt = Statement::from_string(conn.get_database_backend(), sql);
    conn.query_all_raw(stmt).await.unwrap().iter().map(|r| r.try_get::<String>("", "line").unwrap()).collect()
}

async fn count<C: ConnectionTrait>(conn: &C, sql: &str) -> i64 {
    let stmt = Statement::from_string(conn.get_database_backend(), sql);
    conn.query_one_raw(stmt).await.unwrap().unwrap().try_get::<i64>("", "n").unwrap()
}

async fn counts<C: ConnectionTrait>(conn: &C) -> Vec<(&'static str, i64)> {
    let mut out = Vec::new();
    for table in TABLES {
        out.push((table, count(conn, &format!("SELECT count(*) AS n FROM {table}")).await));
    }
    out
}

/// The names `seaql_migrations` holds, in order.
async fn recorded<C: ConnectionTrait>(conn: &C) -> Vec<String> {
    lines(conn, "SELECT version AS line FROM seaql_migrations ORDER BY version").await
}

/// Every table, index and trigger with its SQL (SQLite's own statistics tables left out).
async fn sqlite_schema<C: ConnectionTrait>(conn: &C) -> Vec<String> {
    lines(
        conn,
        "SELECT type || '|' || name || '|' || tbl_name || '|' || coalesce(sql, '') AS line FROM sqlite_master \
         WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
    )
    .await
}

/// Columns, indexes and constraints of the current schema, one line each.
async fn postgres_schema<C: ConnectionTrait>(conn: &C) -> Vec<String> {
    lines(
        conn,
        "SELECT line FROM ( \
         SELECT 1 AS part, table_name::text AS k1, lpad(ordinal_position::text, 4, '0') AS k2, \
           concat_ws('|', 'column', table_name, column_name, data_type, is_nullable, is_identity, \
             coalesce(column_default, ''), coalesce(character_maximum_length::text, '')) AS line \
           FROM information_schema.columns WHERE table_schema = current_schema() \
         UNION ALL \
         SELECT 2, tablename::text, indexname::text, \
           concat_ws('|', 'index', tablename, indexname, replace(indexdef, current_schema() || '.', '')) \
           FROM pg_indexes WHERE schemaname = current_schema() \
         UNION ALL \
         SELECT 3, conrelid::regclass::text, conname::text, \
           concat_ws('|', 'constraint', conrelid::regclass::text, conname, pg_get_constraintdef(oid)) \
           FROM pg_constraint WHERE connamespace = current_schema()::regnamespace \
         ) s ORDER BY part, k1, k2",
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_database_upgrades_with_its_records_intact() {
    let dir = scratch("data");
    let store = Store::connect(&release_copy(&dir)).await.unwrap();
    let db = store.read();
    let before = counts(db).await;
    assert_eq!(recorded(db).await.len(), RELEASE_MIGRATIONS as usize);
    // The ticket with the longest history, and one of the sessions.
    let stmt = "SELECT t.number AS line FROM tickets t JOIN ticket_events e ON e.ticket_id = t.id \
                GROUP BY t.id, t.number ORDER BY count(*) DESC, t.id LIMIT 1";
    let number = lines(db, stmt).await.remove(0);
    let session = lines(db, "SELECT token_hash AS line FROM sessions ORDER BY id LIMIT 1").await.remove(0);

    store.migrate().await.unwrap();
    let db = store.read();

    let mut names: Vec<String> = Migrator::migrations().iter().map(|m| m.name().to_owned()).collect();
    names.sort();
    assert_eq!(recorded(db).await, names, "every migration is recorded once, under its released name");
    assert_eq!(counts(db).await, before, "no rows lost or added");
    assert!(before.iter().any(|&(t, n)| t == "tickets" && n > 100), "the fixture holds a real organization");

    let ticket = tickets::by_number(db, &number).await.unwrap().expect("the ticket loads");
    let events = tickets::events(db, ticket.id).await.unwrap();
    let stored = count(db, &format!("SELECT count(*) AS n FROM ticket_events WHERE ticket_id = {}", ticket.id)).await;
    assert_eq!(events.len() as i64, stored);
    assert!(events.len() > 3, "its history reads back ({} events)", events.len());
    assert!(events.windows(2).all(|w| w[0].at <= w[1].at), "in order");
    let logs = tickets::logs(db, ticket.id).await.unwrap();
    let stored = count(db, &format!("SELECT count(*) AS n FROM work_log WHERE ticket_id = {}", ticket.id)).await;
    assert_eq!(logs.len() as i64, stored);

    let (page, total) = tickets::list(db, &TicketFilter { limit: 20, ..TicketFilter::default() }).await.unwrap();
    assert_eq!(page.len(), 20);
    assert_eq!(Some(&("tickets", total as i64)), before.iter().find(|(t, _)| *t == "tickets"));
    let (_, notices) = list_notices(db, &NoticeFilter { limit: 10, ..NoticeFilter::default() }).await.unwrap();
    assert_eq!(Some(&("notices", notices as i64)), before.iter().find(|(t, _)| *t == "notices"));

    let desk = users::user_by_username(db, "desk1").await.unwrap().expect("a demo login is still there");
    assert_eq!(desk.role.code(), "desk_agent");
    let signed_in = sessions::session_by_token_hash(db, &session).await.unwrap().expect("a sign-in survives");
    assert!(["desk1", "supervisor1"].contains(&signed_in.user.username.as_str()));

    // Opening it again finds nothing left to do.
    assert!(Migrator::get_pending_migrations(db).await.unwrap().is_empty());
    store.close().await.unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_migrated_release_database_has_the_schema_of_a_fresh_one() {
    let dir = scratch("schema");
    let old = Store::connect(&release_copy(&dir)).await.unwrap();
    let release = sqlite_schema(old.read()).await;
    old.migrate().await.unwrap();
    let migrated = sqlite_schema(old.read()).await;
    old.close().await.unwrap();

    let fresh = Store::connect(&format!("sqlite://{}?mode=rwc", dir.join("fresh.db").display())).await.unwrap();
    Migrator::up(fresh.read(), Some(RELEASE_MIGRATIONS)).await.unwrap();
    assert_eq!(sqlite_schema(fresh.read()).await, release, "the released migrations rebuild the release's schema");
    fresh.migrate().await.unwrap();
    assert_eq!(sqlite_schema(fresh.read()).await, migrated, "upgraded and fresh databases agree");
    fresh.close().await.unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_released_migrations_rebuild_the_release_schema_on_postgres() {
    let Some((url, admin)) = crate::postgres_admin().await else { return };
    let schema = format!("upgrade_{}", std::process::id());
    admin.execute_unprepared(&format!("CREATE SCHEMA {schema}")).await.unwrap();
    let mut opts = ConnectOptions::new(url.clone());
    opts.set_schema_search_path(schema.clone()).max_connections(2).sqlx_logging(false);
    let store = Store::with_options(opts, Backend::Postgres).await.unwrap();
    Migrator::up(store.read(), Some(RELEASE_MIGRATIONS)).await.unwrap();
    let rebuilt = postgres_schema(store.read()).await;
    store.close().await.unwrap();
    admin.execute_unprepared(&format!("DROP SCHEMA {schema} CASCADE")).await.unwrap();
    admin.close().await.unwrap();

    let released = std::fs::read_to_string(fixtures().join(format!("release-{RELEASE}.postgres-schema.txt"))).unwrap();
    let released: Vec<&str> = released.lines().collect();
    assert!(released.len() > 300);
    assert_eq!(rebuilt, released, "the released migrations rebuild the release's schema");
}
