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
