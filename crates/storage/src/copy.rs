//! Moving a whole SQLite installation into an empty PostgreSQL database (`aftersales
//! copy-to`, issue 18): the path for a team that outgrows one machine.
//!
//! The target is migrated to the same schema first, so both sides have the same tables and
//! columns. Then, in one PostgreSQL transaction: the foreign keys are set aside (their
//! definitions read from `pg_constraint`), every table is copied in pages of its rows by
//! `rowid`, each value converted to its PostgreSQL column's type, the foreign keys are put
//! back (PostgreSQL checks every row as it does), every id sequence is moved past the
//! largest id, and every table's row count is compared with the source. Anything wrong
//! rolls the whole copy back: the target is left as empty as it was.

use std::collections::BTreeMap;

use sea_orm::sea_query::{Alias, Query, SimpleExpr, Value};
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};

use crate::conv::get;
use crate::maintenance::{quoted, table_counts};
use crate::{Backend, Result, StorageError, Store};

/// Rows read and written per statement (PostgreSQL takes at most 65,535 parameters).
const PAGE: usize = 500;

/// A PostgreSQL column's type, as the copy converts to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Bool,
    Text,
    Float,
    Bytes,
}

fn kind_of(data_type: &str) -> Option<Kind> {
    Some(match data_type {
        "bigint" | "integer" | "smallint" => Kind::Int,
        "boolean" => Kind::Bool,
        "text" | "character varying" | "character" => Kind::Text,
        "double precision" | "real" | "numeric" => Kind::Float,
        "bytea" => Kind::Bytes,
        _ => return None,
    })
}

fn problem(text: String) -> StorageError {
    StorageError::Refused(text)
}

/// Tables that hold nothing until people use the service (the migrations seed others, such
/// as the departments): a target with rows in any of them is in use.
const IN_USE: &[&str] = &["users", "customers", "tickets"];

/// Refuses a PostgreSQL database that people already use (checked before the schema is
/// created there, so a wrong URL is not changed at all).
pub async fn check_unused(target: &Store) -> Result<()> {
    let mut busy = Vec::new();
    for table in IN_USE {
        let exists = target
            .read()
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT to_regclass($1)::text AS t",
                [table.to_string().into()],
            ))
            .await?
            .map(|r| get::<Option<String>>(&r, "t"))
            .transpose()?
            .flatten()
            .is_some();
        if !exists {
            continue;
        }
        let n = target
            .read()
            .query_one_raw(Statement::from_string(
                DbBackend::Postgres,
                format!("SELECT COUNT(*) AS n FROM {}", quoted(table)),
            ))
            .await?
            .map(|r| get::<i64>(&r, "n"))
            .transpose()?
            .unwrap_or(0);
        if n > 0 {
            busy.push(format!("{table}: {n} rows"));
        }
    }
    if busy.is_empty() {
        Ok(())
    } else {
        Err(problem(format!(
            "the PostgreSQL database is not empty ({}); copy only into a new database",
            busy.join(", ")
        )))
    }
}

/// What the copy did: rows per table, equal on both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    pub tables: BTreeMap<String, i64>,
}

/// Copies every table of `source` (SQLite) into `target` (PostgreSQL, migrated to the same
/// schema, every table empty). `progress` hears each table as it is done.
pub async fn sqlite_to_postgres(source: &Store, target: &Store, progress: impl Fn(&str, i64)) -> Result<Copied> {
    if source.backend() != Backend::Sqlite || target.backend() != Backend::Postgres {
        return Err(StorageError::Unsupported("the copy goes from an SQLite database to a PostgreSQL one"));
    }
    let expected: BTreeMap<String, i64> = table_counts(source.read()).await?.into_iter().collect();
    let present: BTreeMap<String, i64> = table_counts(target.read()).await?.into_iter().collect();
    let busy: Vec<String> = present
        .iter()
        .filter(|(t, n)| **n > 0 && IN_USE.contains(&t.as_str()))
        .map(|(t, n)| format!("{t}: {n} rows"))
        .collect();
    if !busy.is_empty() {
        return Err(problem(format!(
            "the PostgreSQL database is not empty ({}); copy only into a new database",
            busy.join(", ")
        )));
    }
    if let Some(t) = expected.keys().find(|t| !present.contains_key(*t)) {
        return Err(problem(format!("the PostgreSQL database has no table {t}: it is not at the same schema version")));
    }

    let tx = target.read().begin().await?;
    let pg = DbBackend::Postgres;
    let fks = tx
        .query_all_raw(Statement::from_string(
            pg,
            "SELECT conrelid::regclass::text AS tbl, conname::text AS name, pg_get_constraintdef(oid) AS def \
             FROM pg_constraint WHERE contype = 'f' AND connamespace = current_schema()::regnamespace",
        ))
        .await?;
    let fks: Vec<(String, String, String)> = fks
        .iter()
        .map(|r| Ok((get::<String>(r, "tbl")?, get::<String>(r, "name")?, get::<String>(r, "def")?)))
        .collect::<Result<_>>()?;
    for (table, name, _) in &fks {
        tx.execute_unprepared(&format!("ALTER TABLE {table} DROP CONSTRAINT \"{name}\"")).await?;
    }
    // What the migrations seeded is in the source too: it is copied from there.
    let list = expected.keys().map(|t| quoted(t)).collect::<Vec<_>>().join(", ");
    if !list.is_empty() {
        tx.execute_unprepared(&format!("TRUNCATE TABLE {list}")).await?;
    }

    for (table, rows) in &expected {
        let columns = tx
            .query_all_raw(Statement::from_sql_and_values(
                pg,
                "SELECT column_name::text AS name, data_type::text AS ty FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
                [table.clone().into()],
            ))
            .await?;
        let mut cols = Vec::new();
        for c in &columns {
            let (name, ty): (String, String) = (get(c, "name")?, get(c, "ty")?);
            let kind =
                kind_of(&ty).ok_or_else(|| problem(format!("{table}.{name}: the copy does not know type {ty}")))?;
            cols.push((name, kind));
        }
        let source_cols = crate::maintenance::column_names(source.read(), table).await?;
        if let Some((missing, _)) = cols.iter().find(|(c, _)| !source_cols.contains(c)) {
            return Err(problem(format!(
                "{table}.{missing} is not in the SQLite database: not the same schema version"
            )));
        }
        copy_table(source, &tx, table, &cols).await?;
        progress(table, *rows);
        if cols.iter().any(|(c, _)| c == "id") {
            tx.execute_raw(Statement::from_sql_and_values(
                pg,
                "SELECT setval(seq, COALESCE((SELECT MAX(id) FROM {t}), 0) + 1, false) \
                 FROM (SELECT pg_get_serial_sequence($1, 'id') AS seq) s WHERE seq IS NOT NULL"
                    .replace("{t}", &quoted(table))
                    .as_str(),
                [table.clone().into()],
            ))
            .await?;
        }
    }

    for (table, name, def) in &fks {
        tx.execute_unprepared(&format!("ALTER TABLE {table} ADD CONSTRAINT \"{name}\" {def}"))
            .await
            .map_err(|e| problem(format!("the copied rows of {table} break {name} ({def}): {e}")))?;
    }
    let copied: BTreeMap<String, i64> = table_counts(&tx).await?.into_iter().collect();
    for (table, n) in &expected {
        let got = copied.get(table).copied().unwrap_or(0);
        if got != *n {
            return Err(problem(format!("{table}: {n} rows in SQLite, {got} copied")));
        }
    }
    tx.commit().await?;
    Ok(Copied { tables: expected })
}

/// Copies one table's rows in `rowid` order, a page at a time.
async fn copy_table<C: ConnectionTrait>(
    source: &Store,
    target: &C,
    table: &str,
    cols: &[(String, Kind)],
) -> Result<()> {
    let list = cols.iter().map(|(c, k)| read_as(c, *k)).collect::<Vec<_>>().join(", ");
    let mut after = i64::MIN;
    loop {
        let sql = format!(
            "SELECT rowid AS __rowid, {list} FROM {} WHERE rowid > ? ORDER BY rowid LIMIT {PAGE}",
            quoted(table)
        );
        let rows = source
            .read()
            .query_all_raw(Statement::from_sql_and_values(DbBackend::Sqlite, &sql, [after.into()]))
            .await?;
        let Some(last) = rows.last() else { return Ok(()) };
        after = get::<i64>(last, "__rowid")?;
        let mut insert = Query::insert();
        insert.into_table(Alias::new(table)).columns(cols.iter().map(|(c, _)| Alias::new(c.as_str())));
        for r in &rows {
            let mut values: Vec<SimpleExpr> = Vec::with_capacity(cols.len());
            for (c, kind) in cols {
                let v = value(r, table, c, *kind)?;
                values.push(SimpleExpr::Value(v));
            }
            insert.values(values).map_err(|e| problem(format!("{table}: {e}")))?;
        }
        target.execute(&insert).await.map_err(|e| problem(format!("copying {table}: {e}")))?;
        if rows.len() < PAGE {
            return Ok(());
        }
    }
}

/// One SQLite value as its PostgreSQL column wants it (the SELECT cast it to its class).
fn value(r: &sea_orm::QueryResult, table: &str, column: &str, kind: Kind) -> Result<Value> {
    let bad = |e: sea_orm::DbErr| problem(format!("{table}.{column}: {e}"));
    Ok(match kind {
        Kind::Int => Value::BigInt(r.try_get::<Option<i64>>("", column).map_err(bad)?),
        Kind::Bool => Value::Bool(r.try_get::<Option<i64>>("", column).map_err(bad)?.map(|n| n != 0)),
        Kind::Text => Value::String(r.try_get::<Option<String>>("", column).map_err(bad)?),
        Kind::Float => Value::Double(r.try_get::<Option<f64>>("", column).map_err(bad)?),
        Kind::Bytes => Value::Bytes(r.try_get::<Option<Vec<u8>>>("", column).map_err(bad)?),
    })
}

/// The SELECT expression of a column: its value in the storage class its kind reads
/// (SQLite keeps a boolean as an integer, and may hold an integer in a REAL column).
fn read_as(column: &str, kind: Kind) -> String {
    let q = quoted(column);
    match kind {
        Kind::Int | Kind::Bool => format!("CAST({q} AS INTEGER) AS {q}"),
        Kind::Float => format!("CAST({q} AS REAL) AS {q}"),
        Kind::Text => format!("CAST({q} AS TEXT) AS {q}"),
        Kind::Bytes => q,
    }
}
