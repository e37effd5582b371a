//! Whole-database maintenance: emptying every table (the `aftersales demo` reset).

use sea_orm::sea_query::{Alias, Query};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::conv::get;
use crate::{Result, Store};

/// The application's tables, read from the database itself so tables added by later
/// migrations are emptied too. The migration bookkeeping table is left alone.
async fn table_names<C: ConnectionTrait>(conn: &C) -> Result<Vec<String>> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()",
        _ => "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    };
    let rows = conn.query_all_raw(Statement::from_string(backend, sql)).await?;
    let mut names = Vec::new();
    for row in &rows {
        let name: String = get(row, "name")?;
        if name != "seaql_migrations" {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// A table or column name quoted for SQL (both databases).
pub(crate) fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Deletes every row of every application table in one transaction and restarts the
/// id sequences, leaving the schema (and its migration record) in place.
pub async fn wipe_all(store: &Store) -> Result<()> {
    let tx = store.write().await?;
    let names = table_names(&*tx).await?;
    match tx.get_database_backend() {
        DbBackend::Postgres => {
            if !names.is_empty() {
                let list = names.iter().map(|n| quoted(n)).collect::<Vec<_>>();
                tx.execute_unprepared(&format!("TRUNCATE TABLE {} RESTART IDENTITY CASCADE", list.join(", "))).await?;
            }
        }
        _ => {
            // Foreign keys are checked at commit, when every table is empty.
            tx.execute_unprepared("PRAGMA defer_foreign_keys = ON").await?;
            for name in &names {
                tx.execute(&Query::delete().from_table(Alias::new(name.as_str())).to_owned()).await?;
            }
            let has_sequences = tx
                .query_one_raw(Statement::from_string(
                    DbBackend::Sqlite,
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_sequence'",
                ))
                .await?
                .is_some();
            if has_sequences {
                tx.execute_unprepared("DELETE FROM sqlite_sequence").await?;
            }
            // Every table is empty, so nothing is left to check. Checks are immediate again
            // for whoever shares this transaction next (see `Store::write`).
            tx.execute_unprepared("PRAGMA defer_foreign_keys = OFF").await?;
        }
    }
    tx.commit().await
}

/// The columns of an application table, in their stored order.
pub(crate) async fn column_names<C: ConnectionTrait>(conn: &C, table: &str) -> Result<Vec<String>> {
    let backend = conn.get_database_backend();
    let sql = match backend {
        DbBackend::Postgres => format!(
            "SELECT column_name::text AS name FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = '{table}' ORDER BY ordinal_position"
        ),
        _ => format!("SELECT name FROM pragma_table_info('{table}') ORDER BY cid"),
    };
    let rows = conn.query_all_raw(Statement::from_string(backend, sql)).await?;
    rows.iter().map(|r| get::<String>(r, "name")).collect()
}

/// Benchmark data (`aftersales bench sweep`): inserts `count` copies of the row of `table`
/// whose `id` is `template`, in one statement. Columns named in `set` get an SQL expression
/// in which `n` is the copy's number (1 to `count`) and `t` the template row (e.g.
/// `("id", "1000 + n")`); every other column is copied as it is, so copies stay faithful to
/// a row the application wrote, whatever columns later migrations add. Returns the number
/// of rows inserted. Only for trusted, literal arguments: nothing here is escaped.
pub async fn copy_row<C: ConnectionTrait>(
    conn: &C,
    table: &str,
    template: i64,
    count: u64,
    set: &[(&str, &str)],
) -> Result<u64> {
    let plain = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !plain(table) || set.iter().any(|(c, _)| !plain(c)) {
        return Err(crate::StorageError::Corrupt(format!("copy_row: not a plain table or column name in {table}")));
    }
    let columns = column_names(conn, table).await?;
    if let Some((c, _)) = set.iter().find(|(c, _)| !columns.iter().any(|x| x == c)) {
        return Err(crate::StorageError::Corrupt(format!("copy_row: {table} has no column {c}")));
    }
    let targets = columns.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
    let values = columns
        .iter()
        .map(|c| match set.iter().find(|(name, _)| name == c) {
            Some((_, expr)) => format!("({expr})"),
            None => format!("t.\"{c}\""),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let sql = match conn.get_database_backend() {
        DbBackend::Postgres => format!(
            "INSERT INTO \"{table}\" ({targets}) SELECT {values} \
             FROM \"{table}\" AS t CROSS JOIN generate_series(1::bigint, {count}::bigint) AS s(n) \
             WHERE t.id = {template} ORDER BY s.n"
        ),
        _ => format!(
            "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {count}) \
             INSERT INTO \"{table}\" ({targets}) SELECT {values} \
             FROM \"{table}\" AS t CROSS JOIN s WHERE t.id = {template}"
        ),
    };
    Ok(conn.execute_unprepared(&sql).await?.rows_affected())
}

/// How many rows each application table holds, by table name (a backup's manifest, checked
/// again when it is restored).
pub async fn table_counts<C: ConnectionTrait>(conn: &C) -> Result<Vec<(String, i64)>> {
    let mut counts = Vec::new();
    for name in table_names(conn).await? {
        let q = Query::select()
            .expr_as(sea_orm::sea_query::Expr::cust("COUNT(*)"), Alias::new("n"))
            .from(Alias::new(name.as_str()))
            .to_owned();
        let n = match conn.query_one(&q).await? {
            Some(r) => get::<i64>(&r, "n")?,
            None => 0,
        };
        counts.push((name, n));
    }
    Ok(counts)
}

/// Every blob the database refers to (attachments with their thumbnails and customer
/// copies, signed service reports, subscription files), sorted: what a backup carries.
pub async fn referenced_blobs<C: ConnectionTrait>(conn: &C) -> Result<Vec<String>> {
    let backend = conn.get_database_backend();
    let sql = "SELECT sha256 AS id FROM attachments \
         UNION SELECT thumb_sha256 FROM attachments WHERE thumb_sha256 IS NOT NULL \
         UNION SELECT customer_sha256 FROM attachments WHERE customer_sha256 IS NOT NULL \
         UNION SELECT pdf_sha256 FROM service_reports WHERE pdf_sha256 IS NOT NULL \
         UNION SELECT file_sha256 FROM subscription_runs WHERE file_sha256 IS NOT NULL \
         ORDER BY 1";
    let rows = conn.query_all_raw(Statement::from_string(backend, sql)).await?;
    rows.iter().map(|r| get::<String>(r, "id")).collect()
}

impl Store {
    /// Writes a consistent copy of the whole SQLite database to the new file `path` while
    /// others keep reading and writing: `VACUUM INTO` reads one snapshot (WAL mode lets
    /// writers go on meanwhile), and the copy is compact and holds no write-ahead log. On
    /// PostgreSQL there is nothing to do here: `pg_dump` is the tool (see the README).
    pub async fn snapshot_into(&self, path: &std::path::Path) -> Result<()> {
        if self.backend != crate::Backend::Sqlite {
            return Err(crate::StorageError::Unsupported(
                "a snapshot file is made of an SQLite database only; back PostgreSQL up with pg_dump",
            ));
        }
        let path =
            path.to_str().ok_or_else(|| crate::StorageError::Corrupt(format!("{} is not UTF-8", path.display())))?;
        self.db.execute_raw(Statement::from_sql_and_values(DbBackend::Sqlite, "VACUUM INTO ?", [path.into()])).await?;
        Ok(())
    }

    /// SQLite's own check of every page and index: empty when the database is sound, else
    /// what it found. PostgreSQL checks its pages itself: always empty there.
    pub async fn integrity_problems(&self) -> Result<Vec<String>> {
        if self.backend != crate::Backend::Sqlite {
            return Ok(Vec::new());
        }
        let rows = self.db.query_all_raw(Statement::from_string(DbBackend::Sqlite, "PRAGMA integrity_check")).await?;
        let lines: Vec<String> = rows.iter().map(|r| get::<String>(r, "integrity_check")).collect::<Result<_>>()?;
        Ok(if lines.len() == 1 && lines[0] == "ok" { Vec::new() } else { lines })
    }
}

/// What `/metrics` reports of the database's contents (issue 18).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Gauges {
    /// Tickets per status code.
    pub tickets: Vec<(String, i64)>,
    /// Background jobs waiting whose time has come.
    pub jobs_due: i64,
    /// Of those, the ones waiting longer than `overdue_after` (a worker missing or stuck).
    pub jobs_overdue: i64,
    /// Deliveries per state code, except sent ones (their number only grows: a counter of
    /// the sending process reports those).
    pub deliveries: Vec<(String, i64)>,
}

/// Counts for `/metrics`: every query reads an index (tickets by status; pending jobs by
/// due time; deliveries not sent by state).
pub async fn gauges<C: ConnectionTrait>(
    conn: &C,
    now: aftersales_domain::Timestamp,
    overdue_after: jiff::SignedDuration,
) -> Result<Gauges> {
    use sea_orm::sea_query::{Expr, ExprTrait};

    use crate::schema::Jobs;
    let grouped = async |table: &str, column: &str, exclude: Option<&str>| -> Result<Vec<(String, i64)>> {
        let mut q = Query::select();
        q.expr_as(Expr::col(Alias::new(column)), Alias::new("k"))
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
            .from(Alias::new(table))
            .group_by_col(Alias::new(column));
        if let Some(x) = exclude {
            q.and_where(Expr::col(Alias::new(column)).ne(x));
        }
        let rows = conn.query_all(&q).await?;
        rows.iter().map(|r| Ok((get::<String>(r, "k")?, get::<i64>(r, "n")?))).collect()
    };
    let tickets = grouped("tickets", "status", None).await?;
    let deliveries = grouped("deliveries", "state", Some("sent")).await?;
    let due = async |at: aftersales_domain::Timestamp| -> Result<i64> {
        let q = Query::select()
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
            .from(Jobs::Table)
            .and_where(Expr::col(Jobs::State).eq("pending"))
            .and_where(Expr::col(Jobs::DueAt).lte(crate::conv::ms(at)))
            .to_owned();
        Ok(match conn.query_one(&q).await? {
            Some(r) => get::<i64>(&r, "n")?,
            None => 0,
        })
    };
    Ok(Gauges { tickets, jobs_due: due(now).await?, jobs_overdue: due(now - overdue_after).await?, deliveries })
}
