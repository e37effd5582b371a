//! Persistence for the service desk on SQLite (the embedded default) and PostgreSQL (for
//! scale), through one sea-orm/sea-query code path and one migration set.
//!
//! Repositories are free functions over any [`ConnectionTrait`], so the app runs them
//! inside the transaction of its use case: a change, its history event and everything it
//! causes commit together or not at all (DESIGN "every write is one transaction").

pub mod catalog;
pub mod directory;
pub mod idempotency;
pub mod maintenance;
pub mod migration;
pub mod schema;
pub mod tickets;
pub mod users;

use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbErr, SqlErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use tokio::sync::{Mutex, OwnedMutexGuard};

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
    /// SQLite has one writer at a time. Taking this lock before `BEGIN IMMEDIATE` queues
    /// writers of this process in order, instead of letting them spin in SQLite's busy
    /// handler (which sleeps in steps of up to 100 ms and wrecks tail latency).
    write_lock: Option<Arc<Mutex<()>>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).finish()
    }
}

/// A write transaction; dropped without [`WriteTx::commit`] it rolls back.
pub struct WriteTx {
    tx: DatabaseTransaction,
    _guard: Option<OwnedMutexGuard<()>>,
}

impl std::ops::Deref for WriteTx {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &DatabaseTransaction {
        &self.tx
    }
}

impl WriteTx {
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await.map_err(StorageError::from_db)
    }
}

impl Store {
    /// Connects to `url` (`sqlite://path?mode=rwc` or `postgres://…`).
    ///
    /// SQLite runs in WAL mode with `synchronous=FULL`: a write acknowledged to a client has
    /// reached the disk, so it survives `kill -9` and power loss alike; measured fsync cost
    /// on the target machine is well under a millisecond. Foreign keys are enforced.
    pub async fn connect(url: &str) -> Result<Store> {
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
                opts.max_connections(8).min_connections(1).map_sqlx_sqlite_opts(|o| {
                    o.journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Full)
                        .foreign_keys(true)
                        .busy_timeout(Duration::from_secs(10))
                        .create_if_missing(true)
                });
            }
            Backend::Postgres => {
                opts.max_connections(16).min_connections(1);
            }
        }
        Store::with_options(opts, backend).await
    }

    /// Connects with explicit options (tests use this for a PostgreSQL schema per test).
    pub async fn with_options(opts: ConnectOptions, backend: Backend) -> Result<Store> {
        let db = Database::connect(opts).await?;
        let write_lock = (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(())));
        Ok(Store { db, backend, write_lock })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> Result<()> {
        migration::Migrator::up(&self.db, None).await?;
        Ok(())
    }

    /// The connection pool, for reads outside a transaction.
    pub fn read(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Starts a write transaction.
    pub async fn write(&self) -> Result<WriteTx> {
        let guard = match &self.write_lock {
            Some(lock) => Some(lock.clone().lock_owned().await),
            None => None,
        };
        let opts = TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        };
        let tx = self.db.begin_with_options(opts).await?;
        Ok(WriteTx { tx, _guard: guard })
    }

    /// Checks the database answers (for `/healthz`).
    pub async fn ping(&self) -> Result<()> {
        self.db.execute_unprepared("SELECT 1").await?;
        Ok(())
    }

    pub async fn close(self) -> Result<()> {
        self.db.close().await?;
        Ok(())
    }
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
