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

/// Deletes every row of every application table in one transaction and restarts the
/// id sequences, leaving the schema (and its migration record) in place.
pub async fn wipe_all(store: &Store) -> Result<()> {
    let tx = store.write().await?;
    let names = table_names(&*tx).await?;
    match tx.get_database_backend() {
        DbBackend::Postgres => {
            if !names.is_empty() {
                let list = names.iter().map(|n| format!("\"{}\"", n.replace('"', "\"\""))).collect::<Vec<_>>();
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
