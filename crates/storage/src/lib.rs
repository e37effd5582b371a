//! Persistence for the service desk on SQLite (the embedded default) and PostgreSQL (for
//! scale), through one sea-orm/sea-query code path and one migration set.
//!
//! Repositories are free functions over any [`ConnectionTrait`], so the app runs them
//! inside the transaction of its use case: a change, its history event and everything it
//! causes commit together or not at all (DESIGN "every write is one transaction").

pub mod attachments;
pub mod bulk;
pub mod callbacks;
pub mod catalog;
pub mod copy;
pub mod directory;
pub mod fees;
pub mod idempotency;
pub mod jobs;
pub mod links;
pub mod maintenance;
pub mod migration;
pub mod notices;
pub mod parts;
pub mod policy;
pub mod qualifications;
pub mod reporting;
pub mod reports;
pub mod schema;
pub mod sessions;
pub mod subscriptions;
pub mod tickets;
pub mod users;
pub mod visits;
pub mod work_orders;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, SqlErr,
    SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use tokio::sync::{Mutex, OwnedMutexGuard, watch};

pub use sea_orm::ConnectionTrait as Conn;

/// Which database the store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    /// A unique constraint refused the write (e.g. a serial number already registered).
    #[error("duplicate value: {0}")]
    Duplicate(String),
    /// A stored value could not be read back as the domain type it should be.
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    #[error("unsupported database URL (expected sqlite:… or postgres://…): {0}")]
    UnsupportedUrl(String),
    /// The operation does not exist on this database (e.g. a snapshot file of PostgreSQL).
    #[error("{0}")]
    Unsupported(&'static str),
    /// A whole-database operation refused, saying why (e.g. a copy into a database in use).
    #[error("{0}")]
    Refused(String),
}

impl StorageError {
    /// Maps a unique-constraint violation to [`StorageError::Duplicate`].
    pub fn from_db(e: DbErr) -> StorageError {
        match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(m)) => StorageError::Duplicate(m),
            _ => StorageError::Db(e),
        }
    }
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;

/// The database: a pool for reads and serialized write transactions.
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    backend: Backend,
    /// SQLite: how writers take turns (see [`Writes`]).
    writes: Option<Arc<Writes>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).finish()
    }
}

/// Most writers one SQLite transaction is shared by (see [`Writes`]), so the first of them
/// does not wait long for its commit under a steady stream of writes.
const MAX_GROUP: usize = 16;

/// SQLite has one writer at a time. Writers of this process queue on a lock in order,
/// instead of spinning in SQLite's busy handler (which sleeps in steps of up to 100 ms and
/// wrecks tail latency), and run on one connection, whose page cache then stays valid from
/// one write to the next (SQLite drops a connection's cache whenever another has written).
///
/// Group commit: writers that queue up while one is working join its transaction, each in
/// a savepoint of its own, and the last of them commits it, so a group shares one `COMMIT`
/// and one fsync. Each writer's changes still commit or roll back as a whole: a writer that
/// fails or is dropped rolls back to its savepoint, and [`WriteTx::commit`] returns only
/// once the group's `COMMIT` has reached the disk. Should that `COMMIT` fail, it fails for
/// every writer of the group.
///
/// Statements that open or close a transaction or savepoint run in tasks of their own, so
/// they are not cut short when a request is cancelled (a client hung up): sqlx counts the
/// nesting depth when a statement runs, and a `RELEASE` whose transaction object was then
/// dropped would roll back the whole group instead of one savepoint.
struct Writes {
    /// Where write transactions run: a connection of their own for a database file in WAL
    /// mode, else the pool.
    conn: DatabaseConnection,
    dedicated: bool,
    /// The write lock, and with it the group's open transaction.
    turn: Arc<Mutex<Group>>,
    /// Writers waiting for the lock. A writer that finishes when none waits commits the group.
    waiting: AtomicUsize,
}

/// How a group's transaction ended: `None` while it is open, else the commit's result.
type Outcome = Option<Result<(), Arc<str>>>;

/// The transaction writers share, and how it ended.
struct Group {
    tx: Option<DatabaseTransaction>,
    /// Writers that have joined `tx`.
    members: usize,
    /// Set when `tx` is committed or fails; the group's writers wait for it.
    outcome: Arc<watch::Sender<Outcome>>,
}

impl Writes {
    fn new(conn: DatabaseConnection, dedicated: bool) -> Writes {
        Writes {
            conn,
            dedicated,
            turn: Arc::new(Mutex::new(Group { tx: None, members: 0, outcome: Arc::new(watch::channel(None).0) })),
            waiting: AtomicUsize::new(0),
        }
    }

    /// Takes the write lock and joins the open group, or opens one (`BEGIN IMMEDIATE`).
    /// Run in a task of its own (see above).
    async fn begin(self: Arc<Self>) -> Result<WriteTx> {
        self.waiting.fetch_add(1, Ordering::AcqRel);
        let mut waiting = Waiting { writes: self.clone(), done: false };
        let group = self.turn.clone().lock_owned().await;
        waiting.done = true;
        drop(waiting);
        // From here on, ending early (an error) ends the turn, which commits the group for
        // the writers before this one unless one waiting continues it.
        let mut turn = Turn { writes: self.clone(), group: Some(group) };
        let Some(group) = turn.group.as_mut() else { return Err(ended()) };
        if group.tx.is_none() {
            let opts = TransactionOptions {
                sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                ..TransactionOptions::default()
            };
            group.tx = Some(self.conn.begin_with_options(opts).await?);
            group.members = 0;
            group.outcome = Arc::new(watch::channel(None).0);
        }
        let Some(shared) = group.tx.as_ref() else { return Err(ended()) };
        let tx = shared.begin().await?;
        group.members += 1;
        Ok(WriteTx { tx, turn: Some(turn) })
    }

    /// Ends a writer's turn after its savepoint was released: leaves the group open for
    /// the next writer waiting, or commits it; returns once the group is committed.
    async fn end_turn(&self, mut group: OwnedMutexGuard<Group>) -> Result<()> {
        if self.waiting.load(Ordering::Acquire) == 0 || group.members >= MAX_GROUP {
            return self.finish(&mut group).await;
        }
        let mut outcome = group.outcome.subscribe();
        drop(group);
        match outcome.wait_for(Option::is_some).await {
            Ok(done) => match &*done {
                Some(Ok(())) => Ok(()),
                Some(Err(e)) => Err(StorageError::Db(DbErr::Custom(format!("committing the write group: {e}")))),
                None => Err(StorageError::Db(DbErr::Custom("write group ended without an outcome".into()))),
            },
            Err(_) => Err(StorageError::Db(DbErr::Custom("write group ended without an outcome".into()))),
        }
    }

    /// Commits the group's transaction, if open, and tells its writers.
    async fn finish(&self, group: &mut Group) -> Result<()> {
        let Some(tx) = group.tx.take() else { return Ok(()) };
        let result = tx.commit().await.map_err(StorageError::from_db);
        group.outcome.send_replace(Some(result.as_ref().map(|_| ()).map_err(|e| Arc::from(e.to_string()))));
        result
    }

    /// Commits the group unless a writer waiting for the lock will continue it.
    async fn finish_unless_continued(&self, mut group: OwnedMutexGuard<Group>) {
        if self.waiting.load(Ordering::Acquire) == 0 {
            let _ = self.finish(&mut group).await;
        }
    }

    /// Runs `finish_unless_continued` in the background (from `Drop`, which cannot wait).
    fn finish_later(self: &Arc<Self>, group: Option<OwnedMutexGuard<Group>>) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else { return };
        let writes = self.clone();
        runtime.spawn(async move {
            let group = match group {
                Some(g) => g,
                None => writes.turn.clone().lock_owned().await,
            };
            writes.finish_unless_continued(group).await;
        });
    }
}

/// Counts a writer waiting for the lock. Should it give up waiting (its request was
/// cancelled), the writer before it may have left the group open for it: someone must
/// commit the group then.
struct Waiting {
    writes: Arc<Writes>,
    done: bool,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.writes.waiting.fetch_sub(1, Ordering::AcqRel);
        if !self.done {
            self.writes.finish_later(None);
        }
    }
}

/// A writer's turn: holds the write lock until it commits or is dropped.
struct Turn {
    writes: Arc<Writes>,
    group: Option<OwnedMutexGuard<Group>>,
}

impl Drop for Turn {
    fn drop(&mut self) {
        // Dropped without committing: the savepoint has rolled back (queued on the
        // connection before anything else), but the writers before this one in the
        // group still need their commit.
        if let Some(group) = self.group.take() {
            self.writes.finish_later(Some(group));
        }
    }
}

fn ended() -> StorageError {
    StorageError::Db(DbErr::Custom("write turn already ended".into()))
}

fn join_error(e: tokio::task::JoinError) -> StorageError {
    StorageError::Db(DbErr::Custom(format!("write task failed: {e}")))
}

/// A write transaction; dropped without [`WriteTx::commit`] it rolls back.
pub struct WriteTx {
    /// The transaction (SQLite: a savepoint in the group's transaction). Declared before
    /// `turn`, so that it rolls back before the turn ends.
    tx: DatabaseTransaction,
    turn: Option<Turn>,
}

impl std::ops::Deref for WriteTx {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.tx
    }
}

impl WriteTx {
    /// Commits; returns once the changes are durable.
    pub async fn commit(self) -> Result<()> {
        if self.turn.is_none() {
            return self.tx.commit().await.map_err(StorageError::from_db);
        }
        // In a task of its own: see `Writes`.
        tokio::spawn(self.commit_in_turn()).await.map_err(join_error)?
    }

    async fn commit_in_turn(self) -> Result<()> {
        let WriteTx { tx, mut turn } = self;
        // On error the savepoint rolls back when dropped, and dropping the turn ends it.
        tx.commit().await.map_err(StorageError::from_db)?;
        match turn.as_mut().and_then(|t| t.group.take().map(|g| (t.writes.clone(), g))) {
            Some((writes, group)) => writes.end_turn(group).await,
            None => Err(ended()),
        }
    }
}

impl Store {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://…`).
    ///
    /// SQLite runs in WAL mode with `synchronous=FULL`: a write acknowledged to a client has
    /// reached the disk, so it survives `kill -9` and power loss alike; concurrent writers
    /// share commits and fsyncs (see [`Store::write`]). Foreign keys are enforced.
    pub async fn connect(url: &str) -> Result<Store> {
        Store::connect_pooled(url, None).await
    }

    /// [`Store::connect`] with at most `max_connections` pooled connections for reads (and,
    /// on PostgreSQL, writes); `None`: one more than the cores on SQLite, 16 on PostgreSQL.
    /// Several instances on one PostgreSQL server share its `max_connections` (100 by
    /// default): size each instance's pool so that all of them fit.
    pub async fn connect_pooled(url: &str, max_connections: Option<u32>) -> Result<Store> {
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StorageError::UnsupportedUrl(url.to_owned()));
        };
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.sqlx_logging(false).acquire_timeout(Duration::from_secs(10));
        match backend {
            Backend::Sqlite => {
                // A connection to a local file does not go stale: no test query on checkout.
                opts.max_connections(max_connections.unwrap_or_else(sqlite_readers))
                    .min_connections(1)
                    .test_before_acquire(false)
                    .map_sqlx_sqlite_opts(|o| {
                        o.journal_mode(SqliteJournalMode::Wal)
                            .synchronous(SqliteSynchronous::Full)
                            .foreign_keys(true)
                            .busy_timeout(Duration::from_secs(10))
                            .create_if_missing(true)
                    });
            }
            Backend::Postgres => {
                opts.max_connections(max_connections.unwrap_or(16)).min_connections(1);
            }
        }
        let mut store = Store::with_options(opts.clone(), backend).await?;
        if backend == Backend::Sqlite {
            // A database file in WAL mode gets a connection of its own for writes (an
            // in-memory database cannot: a second connection would open another one).
            let mode = store.db.query_one_raw(Statement::from_string(DbBackend::Sqlite, "PRAGMA journal_mode")).await?;
            let mode = mode.map(|r| conv::get::<String>(&r, "journal_mode")).transpose()?.unwrap_or_default();
            if mode.eq_ignore_ascii_case("wal") {
                opts.max_connections(1).min_connections(1);
                store.writes = Some(Arc::new(Writes::new(Database::connect(opts).await?, true)));
            }
        }
        Ok(store)
    }

    /// Opens an SQLite database file for reading only, as it is (no journal mode changed,
    /// nothing migrated): a backup's snapshot, checked before it is kept or restored.
    pub async fn open_read_only(path: &std::path::Path) -> Result<Store> {
        // A file URL (not `sqlite::memory:`, whose options stay in memory whatever file is
        // named after), whose file is then replaced by `path` as it is: no URL escaping.
        let mut opts = ConnectOptions::new("sqlite://snapshot.db?mode=ro".to_owned());
        let path = path.to_owned();
        opts.sqlx_logging(false)
            .max_connections(1)
            .min_connections(1)
            .map_sqlx_sqlite_opts(move |o| o.filename(&path).read_only(true).create_if_missing(false));
        let db = Database::connect(opts).await?;
        Ok(Store { db, backend: Backend::Sqlite, writes: None })
    }

    /// Connects with explicit options (tests use this for a PostgreSQL schema per test).
    pub async fn with_options(opts: ConnectOptions, backend: Backend) -> Result<Store> {
        let db = Database::connect(opts).await?;
        let writes = (backend == Backend::Sqlite).then(|| Arc::new(Writes::new(db.clone(), false)));
        Ok(Store { db, backend, writes })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies every pending migration.
    ///
    /// On PostgreSQL the migrations run in one transaction that first takes an advisory
    /// lock of the schema, so any number of instances may start together on one database:
    /// the first migrates, the others wait for its commit and then find nothing to do
    /// (without it two of them created the same tables at once and one failed with
    /// "duplicate key value violates unique constraint pg_type_typname_nsp_index"). The
    /// lock is the schema's, so instances on other schemas of the server do not wait.
    /// SQLite serializes writers itself, and its migrations write under its lock.
    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Postgres => {
                let tx = self.db.begin().await?;
                tx.execute_unprepared(
                    "SELECT pg_advisory_xact_lock(hashtext('aftersales migrations ' || current_schema()))",
                )
                .await?;
                migration::Migrator::up(&tx, None).await?;
                tx.commit().await?;
            }
            Backend::Sqlite => migration::Migrator::up(&self.db, None).await?,
        }
        self.optimize().await
    }

    /// Keeps the query planner's statistics current. SQLite has none until `ANALYZE` runs,
    /// and without them it answers "open tickets by nearest deadline" through the status
    /// index and a sort of every open ticket instead of walking the due-time index (150 ms
    /// instead of 5 on 100,000 open tickets). `PRAGMA optimize` analyzes only the tables
    /// whose statistics are missing or stale, so it is cheap to run at start and from time to
    /// time (the worker does, hourly). PostgreSQL's autovacuum keeps its own statistics.
    pub async fn optimize(&self) -> Result<()> {
        if self.backend == Backend::Sqlite {
            // A database never analyzed (new, or from before this) gets a full ANALYZE once;
            // afterwards `optimize` re-analyzes what changed enough.
            let stmt = sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Sqlite,
                "SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'",
            );
            let analyzed = self.db.query_one_raw(stmt).await?.is_some();
            let sql = if analyzed { "PRAGMA optimize=0x10002" } else { "ANALYZE" };
            self.db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    /// The connection pool, for reads outside a transaction.
    pub fn read(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Starts a write transaction. On SQLite, writers take turns, and those that queue up
    /// while one is working share its commit (each in a savepoint of its own).
    pub async fn write(&self) -> Result<WriteTx> {
        let asked = std::time::Instant::now();
        let waited = || metrics::histogram!("aftersales_db_write_wait_seconds").record(asked.elapsed().as_secs_f64());
        if let Some(writes) = &self.writes {
            // In a task of its own: see `Writes`.
            let tx = tokio::spawn(writes.clone().begin()).await.map_err(join_error)?;
            waited();
            return tx;
        }
        let opts = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        };
        let tx = self.db.begin_with_options(opts).await?;
        waited();
        Ok(WriteTx { tx, turn: None })
    }

    /// How busy the connection pool is (`/metrics`).
    pub fn pool_use(&self) -> PoolUse {
        let (size, idle) = match self.backend {
            Backend::Sqlite => {
                let p = self.db.get_sqlite_connection_pool();
                (p.size(), p.num_idle())
            }
            Backend::Postgres => {
                let p = self.db.get_postgres_connection_pool();
                (p.size(), p.num_idle())
            }
        };
        let writers_waiting = self.writes.as_ref().map(|w| w.waiting.load(Ordering::Acquire)).unwrap_or(0);
        PoolUse { size, idle, writers_waiting }
    }

    /// Checks the database answers (for `/healthz`).
    pub async fn ping(&self) -> Result<()> {
        self.db.execute_unprepared("SELECT 1").await?;
        Ok(())
    }

    pub async fn close(self) -> Result<()> {
        if let Some(writes) = &self.writes
            && writes.dedicated
        {
            writes.conn.clone().close().await?;
        }
        self.db.close().await?;
        Ok(())
    }
}

/// The connection pool's use at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUse {
    /// Connections open.
    pub size: u32,
    /// Of those, not in use.
    pub idle: usize,
    /// SQLite: writers waiting for their turn.
    pub writers_waiting: usize,
}

/// Read connections for SQLite: one more than the cores. Each connection has a worker
/// thread of its own, and more of them than cores only adds hand-offs (measured on 2 cores:
/// 3 connections gave a steadier intake throughput than 8).
fn sqlite_readers() -> u32 {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    u32::try_from(cores + 1).unwrap_or(8).clamp(2, 8)
}

/// Conversions between stored columns and domain values.
pub(crate) mod conv {
    use super::{Result, StorageError};
    use aftersales_domain::Timestamp;
    use jiff::civil::Date;
    use sea_orm::QueryResult;

    pub fn ms(t: Timestamp) -> i64 {
        t.as_millisecond()
    }

    pub fn opt_ms(t: Option<Timestamp>) -> Option<i64> {
        t.map(ms)
    }

    pub fn ts(v: i64) -> Result<Timestamp> {
        Timestamp::from_millisecond(v).map_err(|e| StorageError::Corrupt(format!("timestamp {v}: {e}")))
    }

    pub fn get<T: sea_orm::TryGetable>(row: &QueryResult, col: &str) -> Result<T> {
        row.try_get::<T>("", col).map_err(StorageError::Db)
    }

    pub fn get_ts(row: &QueryResult, col: &str) -> Result<Timestamp> {
        ts(get::<i64>(row, col)?)
    }

    pub fn get_opt_ts(row: &QueryResult, col: &str) -> Result<Option<Timestamp>> {
        get::<Option<i64>>(row, col)?.map(ts).transpose()
    }

    pub fn get_opt_date(row: &QueryResult, col: &str) -> Result<Option<Date>> {
        get::<Option<String>>(row, col)?
            .map(|s| s.parse::<Date>().map_err(|e| StorageError::Corrupt(format!("{col} {s}: {e}"))))
            .transpose()
    }

    /// Reads a coded enum column.
    pub fn get_code<T>(row: &QueryResult, col: &str, parse: fn(&str) -> Option<T>) -> Result<T> {
        let s: String = get(row, col)?;
        parse(&s).ok_or_else(|| StorageError::Corrupt(format!("{col}: unknown code {s:?}")))
    }

    pub fn get_opt_code<T>(row: &QueryResult, col: &str, parse: fn(&str) -> Option<T>) -> Result<Option<T>> {
        get::<Option<String>>(row, col)?
            .map(|s| parse(&s).ok_or_else(|| StorageError::Corrupt(format!("{col}: unknown code {s:?}"))))
            .transpose()
    }
}

/// Runs `stmt` and returns the id of the inserted row (`RETURNING id` on both backends).
pub(crate) async fn insert_returning_id<C: ConnectionTrait>(
    conn: &C,
    stmt: sea_orm::sea_query::InsertStatement,
) -> Result<i64> {
    let mut stmt = stmt;
    stmt.returning_col(sea_orm::sea_query::Alias::new("id"));
    let row = conn.query_one(&stmt).await.map_err(StorageError::from_db)?;
    let row = row.ok_or_else(|| StorageError::Corrupt("insert returned no row".into()))?;
    conv::get::<i64>(&row, "id")
}

/// Inserts a row given as `(column, value)` pairs and returns its id. A repository builds
/// the pairs of its record in one function that its update sets too, so an insert and an
/// update name each column once and cannot drift apart.
pub(crate) async fn insert_fields<C, T>(conn: &C, table: T, fields: Vec<(T, sea_orm::sea_query::Expr)>) -> Result<i64>
where
    C: ConnectionTrait,
    T: sea_orm::sea_query::Iden + 'static,
{
    let (columns, values): (Vec<T>, Vec<_>) = fields.into_iter().unzip();
    let stmt = sea_orm::sea_query::Query::insert().into_table(table).columns(columns).values_panic(values).to_owned();
    insert_returning_id(conn, stmt).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_url(name: &str) -> (std::path::PathBuf, String) {
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("aftersales-storage-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.join("t.db").display());
        (dir, url)
    }

    async fn values(store: &Store) -> Vec<i64> {
        let rows = store
            .read()
            .query_all_raw(Statement::from_string(DbBackend::Sqlite, "SELECT v FROM t ORDER BY v"))
            .await
            .expect("select");
        rows.iter().map(|r| conv::get::<i64>(r, "v").expect("v")).collect()
    }

    async fn with_table(url: &str) -> Store {
        let store = Store::connect(url).await.expect("connect");
        let tx = store.write().await.expect("write");
        tx.execute_unprepared("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL UNIQUE)")
            .await
            .expect("create");
        tx.commit().await.expect("commit");
        store
    }

    /// Concurrent writers share commits, yet each commits or rolls back as a whole, and
    /// what `commit` confirmed is there after reopening the database.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn grouped_writers_commit_or_roll_back_alone() {
        let (dir, url) = temp_url("group");
        let store = with_table(&url).await;
        assert!(store.writes.as_ref().is_some_and(|w| w.dedicated), "a file in WAL mode has a write connection");
        let tasks: Vec<_> = (0..60i64)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    let tx = store.write().await.expect("write");
                    tx.execute_unprepared(&format!("INSERT INTO t (v) VALUES ({})", 1000 + i)).await.expect("insert");
                    if i % 10 == 3 {
                        return false; // dropped: rolls back
                    }
                    if i % 10 == 7 {
                        // A failing statement (its own value again: always a conflict, whoever
                        // else has written yet): the writer gives up, its first insert rolls back too.
                        let again = format!("INSERT INTO t (v) VALUES ({})", 1000 + i);
                        assert!(tx.execute_unprepared(&again).await.is_err());
                        return false;
                    }
                    tx.commit().await.expect("commit");
                    let seen = values(&store).await;
                    assert!(seen.contains(&(1000 + i)), "visible once confirmed");
                    true
                })
            })
            .collect();
        let mut confirmed = Vec::new();
        for (i, t) in tasks.into_iter().enumerate() {
            if t.await.expect("task") {
                confirmed.push(1000 + i as i64);
            }
        }
        store.close().await.expect("close");
        let store = Store::connect(&url).await.expect("reopen");
        assert_eq!(values(&store).await, confirmed);
        store.close().await.expect("close");
        let _ = std::fs::remove_dir_all(dir);
    }

    /// A writer that gives up while waiting for its turn does not leave the group hanging,
    /// though the writer before it left the group open for it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cancelled_waiter_does_not_stall_the_group() {
        let (dir, url) = temp_url("cancel");
        let store = with_table(&url).await;
        let writes = store.writes.clone().expect("sqlite");
        let first = store.write().await.expect("write");
        first.execute_unprepared("INSERT INTO t (v) VALUES (1)").await.expect("insert");
        // Another writer is waiting, so `first` leaves the group open for it …
        writes.waiting.fetch_add(1, Ordering::AcqRel);
        let committing = tokio::spawn(async move { first.commit().await });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!committing.is_finished(), "the group waits for the next writer");
        // … which is cancelled before its turn.
        drop(Waiting { writes: writes.clone(), done: false });
        let done = tokio::time::timeout(Duration::from_secs(5), committing).await;
        assert!(matches!(done, Ok(Ok(Ok(())))), "the first writer's commit completes: {done:?}");
        let tx = store.write().await.expect("write after");
        tx.execute_unprepared("INSERT INTO t (v) VALUES (3)").await.expect("insert");
        tokio::time::timeout(Duration::from_secs(5), tx.commit()).await.expect("in time").expect("commit");
        assert_eq!(values(&store).await, vec![1, 3]);
        store.close().await.expect("close");
        let _ = std::fs::remove_dir_all(dir);
    }

    /// A commit whose request is cancelled still completes (it is not cut short between
    /// releasing the savepoint and committing), and the next writer goes on normally.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cancelled_commit_completes() {
        let (dir, url) = temp_url("cancel-commit");
        let store = with_table(&url).await;
        let tx = store.write().await.expect("write");
        tx.execute_unprepared("INSERT INTO t (v) VALUES (1)").await.expect("insert");
        let _ = tokio::time::timeout(Duration::from_nanos(1), tx.commit()).await;
        let tx = store.write().await.expect("write after");
        tx.execute_unprepared("INSERT INTO t (v) VALUES (2)").await.expect("insert");
        tx.commit().await.expect("commit");
        assert_eq!(values(&store).await, vec![1, 2]);
        store.close().await.expect("close");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn an_in_memory_database_writes_through_the_pool() {
        let store = Store::connect("sqlite::memory:").await.expect("connect");
        assert!(store.writes.as_ref().is_some_and(|w| !w.dedicated));
        let tx = store.write().await.expect("write");
        tx.execute_unprepared("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER NOT NULL UNIQUE)")
            .await
            .expect("create");
        tx.execute_unprepared("INSERT INTO t (v) VALUES (5)").await.expect("insert");
        tx.commit().await.expect("commit");
        assert_eq!(values(&store).await, vec![5]);
        store.close().await.expect("close");
    }
}
