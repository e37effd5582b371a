//! Bulk data for the benchmarks (`aftersales bench sweep` and `pages`): copies of a ticket
//! the application made, the jobs its schedule gave it for every copy, and clearing what a
//! sweep recorded so it can run again. The binary writes no SQL; it calls these.
//!
//! Table and column names come from [`crate::schema`]; a copy's job keys are the template's
//! keys (as the live scheduler made them) with the template's ticket prefix swapped for the
//! copy's.

use aftersales_domain::notice::JobKind;
use aftersales_domain::{Id, Timestamp};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Expr, ExprTrait, Iden, Query};

use crate::jobs::{NEW_JOB_COLUMNS, Subject};
use crate::maintenance::copy_row;
use crate::notices::{Job, NOTICE_CHECK};
use crate::schema::{
    Customers, Deliveries, DeliveryAttempts, Jobs, NoticeRecipients, Notices, Requisitions, StockBalances,
    StockMovements, TicketEvents, Tickets, Users, WorkLog,
};
use crate::{Backend, Result, StorageError, Store};

/// The prefix of every job key of a ticket (`t{id}`, then the kind and instant).
fn key_prefix(ticket: Id) -> String {
    format!("t{ticket}")
}

/// The part of a template's job key after its ticket prefix.
fn key_suffix(template: Id, job: &Job) -> Result<String> {
    job.key
        .strip_prefix(&key_prefix(template))
        .map(str::to_owned)
        .ok_or_else(|| StorageError::Corrupt(format!("job key {} is not of ticket {template}", job.key)))
}

/// SQL text literal.
fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// Rows `n` = 1 to `count`: a generated series on PostgreSQL, a recursive CTE on SQLite.
/// Returns the `WITH` clause to put first and the row source to select from.
fn series<C: ConnectionTrait>(conn: &C, count: u64) -> (String, String) {
    if conn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        (String::new(), format!("generate_series(1::bigint, {count}::bigint) AS s(n)"))
    } else {
        (format!("WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {count}) "), "s".into())
    }
}

/// Stores visits built by a bench (the visits calendar's data), in batches; how many.
pub async fn insert_visits<C: ConnectionTrait>(
    conn: &C,
    visits: &[aftersales_domain::visit::Visit],
    by: Id,
    now: Timestamp,
) -> Result<u64> {
    crate::visits::insert_many(conn, visits, by, now).await
}

/// Inserts `copies` copies of ticket `template` with ids `after + 1` … `after + copies` and
/// numbers of the template's day (`YYYYMMDD` then 1000001, 1000002, …); returns how many.
/// On PostgreSQL the id sequence is moved past them, so tickets can still be registered.
pub async fn copy_ticket<C: ConnectionTrait>(conn: &C, template: Id, after: Id, copies: u64) -> Result<u64> {
    let (id, number) = (Tickets::Id.unquoted(), Tickets::Number.unquoted());
    let id_expr = format!("{after} + n");
    let number_expr = format!("substr(t.{number}, 1, 9) || (1000000 + n)");
    let set = [(id, id_expr.as_str()), (number, number_expr.as_str())];
    let inserted = copy_row(conn, Tickets::Table.unquoted(), template, copies, &set).await?;
    ticket_ids_past_copies(conn).await?;
    Ok(inserted)
}

/// Marks the pending jobs of `ticket` due by `by` done, as a sweep at `by` would have left
/// them; returns how many.
pub async fn finish_due_jobs<C: ConnectionTrait>(conn: &C, ticket: Id, by: Timestamp) -> Result<u64> {
    let stmt = Query::update()
        .table(Jobs::Table)
        .value(Jobs::State, "done")
        .and_where(Expr::col(Jobs::TicketId).eq(ticket))
        .and_where(Expr::col(Jobs::State).eq("pending"))
        .and_where(Expr::col(Jobs::DueAt).lte(by.as_millisecond()))
        .to_owned();
    Ok(conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected())
}

/// Gives each of the tickets `first` … `first + copies - 1` a pending copy of each of the
/// template's `jobs` (same kind and due instant); returns how many were inserted.
pub async fn copy_jobs<C: ConnectionTrait>(
    conn: &C,
    template: Id,
    jobs: &[&Job],
    first: Id,
    copies: u64,
    now: Timestamp,
) -> Result<u64> {
    if jobs.is_empty() {
        return Ok(0);
    }
    let rows = jobs
        .iter()
        .map(|j| {
            Ok(format!(
                "SELECT {} AS suffix, {} AS kind, {} AS due_at",
                lit(&key_suffix(template, j)?),
                lit(j.kind.code()),
                j.due_at.as_millisecond()
            ))
        })
        .collect::<Result<Vec<_>>>()?
        .join(" UNION ALL ");
    let (with, from) = series(conn, copies);
    let ticket = format!("({first} - 1 + n)");
    let sql = format!(
        "{with}{insert} SELECT {key} || j.suffix, {check}, {ticket}, {subject}, j.kind, j.due_at, 'pending', \
         {now}, {now}, 0 FROM {from} CROSS JOIN ({rows}) AS j ORDER BY n, j.due_at",
        insert = insert_jobs(),
        key = key_expr(&ticket),
        check = lit(NOTICE_CHECK),
        subject = subject_expr(&ticket),
        now = now.as_millisecond(),
    );
    Ok(conn.execute_unprepared(&sql).await?.rows_affected())
}

/// Gives `count` tickets spread over the copies (ids `template + n * stride`) a pending copy
/// of the template's `job`; returns how many were inserted.
pub async fn spread_job<C: ConnectionTrait>(
    conn: &C,
    template: Id,
    job: &Job,
    stride: u64,
    count: u64,
    now: Timestamp,
) -> Result<u64> {
    let (with, from) = series(conn, count);
    let ticket = format!("({template} + n * {stride})");
    let sql = format!(
        "{with}{insert} SELECT {key} || {suffix}, {check}, {ticket}, {subject}, {kind}, {due}, 'pending', \
         {now}, {now}, 0 FROM {from} ORDER BY n",
        insert = insert_jobs(),
        key = key_expr(&ticket),
        check = lit(NOTICE_CHECK),
        subject = subject_expr(&ticket),
        suffix = lit(&key_suffix(template, job)?),
        kind = lit(job.kind.code()),
        due = job.due_at.as_millisecond(),
        now = now.as_millisecond(),
    );
    Ok(conn.execute_unprepared(&sql).await?.rows_affected())
}

/// `INSERT INTO jobs (…)` with the columns the two job copies fill, in their order: a new
/// job's columns as the live code stores them, then `attempts`.
fn insert_jobs() -> String {
    let cols: Vec<&str> = NEW_JOB_COLUMNS.iter().chain([&Jobs::Attempts]).map(Iden::unquoted).collect();
    format!("INSERT INTO {} ({})", Jobs::Table.unquoted(), cols.join(", "))
}

/// The SQL for the job subject of the ticket id `ticket` (an SQL expression), as
/// [`Subject::ticket`] spells it.
fn subject_expr(ticket: &str) -> String {
    let sample = Subject::ticket(0).to_string();
    let what = sample.strip_suffix('0').unwrap_or(&sample);
    format!("{} || {ticket}", lit(what))
}

/// The SQL for [`key_prefix`] of the ticket id `ticket` (an SQL expression).
fn key_expr(ticket: &str) -> String {
    let sample = key_prefix(0);
    let letter = sample.strip_suffix('0').unwrap_or(&sample);
    format!("{} || {ticket}", lit(letter))
}

/// Deletes every notice, recipient, delivery and notice event, and puts the response
/// deadline jobs of every ticket but `template` back to pending: the state before a sweep.
pub async fn clear_sweep<C: ConnectionTrait>(conn: &C, template: Id) -> Result<()> {
    conn.execute(&Query::delete().from_table(DeliveryAttempts::Table).to_owned()).await?;
    conn.execute(&Query::delete().from_table(Deliveries::Table).to_owned()).await?;
    conn.execute(&Query::delete().from_table(NoticeRecipients::Table).to_owned()).await?;
    conn.execute(&Query::delete().from_table(Notices::Table).to_owned()).await?;
    let events = Query::delete()
        .from_table(TicketEvents::Table)
        .and_where(Expr::col(TicketEvents::Action).eq("notice"))
        .to_owned();
    conn.execute(&events).await?;
    let jobs = Query::update()
        .table(Jobs::Table)
        .value(Jobs::State, "pending")
        .value(Jobs::Attempts, 0)
        .value(Jobs::LeaseUntil, Option::<i64>::None)
        .value(Jobs::LockedBy, Option::<String>::None)
        .and_where(Expr::col(Jobs::Kind).eq(NOTICE_CHECK))
        .and_where(Expr::col(Jobs::Data).eq(JobKind::ResponseDue.code()))
        .and_where(Expr::col(Jobs::TicketId).ne(template))
        .to_owned();
    conn.execute(&jobs).await?;
    Ok(())
}

/// The tables [`vacuum`] treats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vacuum {
    /// After the sweep bench built its data (with `ANALYZE`).
    SweepBuilt,
    /// Between sweeps: the notice tables just cleared.
    SweepCleared,
    /// After the pages bench built its data (with `ANALYZE`).
    PagesBuilt,
    /// After the parts bench wrote its ledger (with `ANALYZE`).
    PartsBuilt,
    /// After the reporting bench wrote its tickets and their facts (with `ANALYZE`).
    ReportsBuilt,
}

/// On PostgreSQL, vacuums (and for the built data analyzes) the tables a bench wrote, as
/// autovacuum leaves tables in service; nothing on SQLite.
pub async fn vacuum(store: &Store, what: Vacuum) -> Result<()> {
    if store.backend() != Backend::Postgres {
        return Ok(());
    }
    let (analyze, tables) = match what {
        Vacuum::SweepBuilt => (
            true,
            vec![
                Tickets::Table.unquoted(),
                Jobs::Table.unquoted(),
                Notices::Table.unquoted(),
                NoticeRecipients::Table.unquoted(),
                Deliveries::Table.unquoted(),
                TicketEvents::Table.unquoted(),
                Users::Table.unquoted(),
                Customers::Table.unquoted(),
            ],
        ),
        Vacuum::SweepCleared => (
            false,
            vec![
                Notices::Table.unquoted(),
                NoticeRecipients::Table.unquoted(),
                Deliveries::Table.unquoted(),
                TicketEvents::Table.unquoted(),
            ],
        ),
        Vacuum::PagesBuilt => (
            true,
            vec![
                Tickets::Table.unquoted(),
                TicketEvents::Table.unquoted(),
                WorkLog::Table.unquoted(),
                Notices::Table.unquoted(),
                NoticeRecipients::Table.unquoted(),
            ],
        ),
        Vacuum::PartsBuilt => (
            true,
            vec![StockMovements::Table.unquoted(), StockBalances::Table.unquoted(), Requisitions::Table.unquoted()],
        ),
        Vacuum::ReportsBuilt => (true, vec![crate::schema::TicketFacts::Table.unquoted(), Tickets::Table.unquoted()]),
    };
    let verb = if analyze { "VACUUM ANALYZE" } else { "VACUUM" };
    store.read().execute_unprepared(&format!("{verb} {}", tables.join(", "))).await?;
    Ok(())
}

/// Creates the PostgreSQL schema `name` a bench runs in (a plain lower-case name).
pub async fn create_schema(store: &Store, name: &str) -> Result<()> {
    schema_statement(store, &format!("CREATE SCHEMA {}", plain(name)?)).await
}

/// Drops the PostgreSQL schema `name` and everything in it.
pub async fn drop_schema(store: &Store, name: &str) -> Result<()> {
    schema_statement(store, &format!("DROP SCHEMA {} CASCADE", plain(name)?)).await
}

fn plain(name: &str) -> Result<&str> {
    let ok = !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok { Ok(name) } else { Err(StorageError::Corrupt(format!("not a plain schema name: {name}"))) }
}

async fn schema_statement(store: &Store, sql: &str) -> Result<()> {
    store.read().execute_unprepared(sql).await?;
    Ok(())
}

/// Appends `rows` receipts of one part each to the stock ledger (for `aftersales bench
/// parts`), spread over the parts with ids `parts.0 ..` (`parts.1` of them) and the
/// warehouses `warehouses.0 ..` (`warehouses.1`), one second apart ending at `end`, by
/// `by`; then sets every balance to its ledger sum, as the live writes keep it. Returns how
/// many rows were inserted.
pub async fn parts_ledger<C: ConnectionTrait>(
    conn: &C,
    parts: (Id, i64),
    warehouses: (Id, i64),
    rows: u64,
    by: Id,
    end: Timestamp,
) -> Result<u64> {
    if parts.1 < 1 || warehouses.1 < 1 {
        return Err(StorageError::Corrupt("bench ledger: no parts or warehouses".into()));
    }
    let (with, from) = series(conn, rows);
    let m = StockMovements::Table.unquoted();
    let sql = format!(
        "{with}INSERT INTO {m} (part_id, warehouse_id, kind, quantity, delta, by_id, at) \
         SELECT {p0} + n % {pn}, {w0} + (n / {pn}) % {wn}, 'receive', 1, 1, {by}, {end} - ({rows} - n) * 1000 \
         FROM {from} ORDER BY n",
        p0 = parts.0,
        pn = parts.1,
        w0 = warehouses.0,
        wn = warehouses.1,
        end = end.as_millisecond(),
    );
    let inserted = conn.execute_unprepared(&sql).await?.rows_affected();
    let b = StockBalances::Table.unquoted();
    conn.execute_unprepared(&format!(
        "INSERT INTO {b} (part_id, warehouse_id, qty) SELECT part_id, warehouse_id, CAST(SUM(delta) AS BIGINT) \
         FROM {m} WHERE 1 = 1 GROUP BY part_id, warehouse_id \
         ON CONFLICT (part_id, warehouse_id) DO UPDATE SET qty = excluded.qty"
    ))
    .await?;
    Ok(inserted)
}

/// `aftersales bench reporting`: `copies` copies of ticket `template` and of its report
/// facts (ids `after + 1` …), registered in id order over `days` days from `start` (to the
/// minute, so several tickets may share one), and spread over the
/// given engineers and customers (with their regions), with varied priorities, times,
/// misses, notices, surveys, models and fault codes, so the reports' groups are realistic
/// in number; returns how many facts rows were written.
#[allow(clippy::too_many_arguments)]
pub async fn report_facts<C: ConnectionTrait>(
    conn: &C,
    template: Id,
    after: Id,
    copies: u64,
    start: Timestamp,
    days: i64,
    engineers: &[Id],
    customers: &[(Id, String)],
    levels: &[String],
) -> Result<u64> {
    if engineers.is_empty() || customers.is_empty() || levels.is_empty() {
        return Err(StorageError::Corrupt("report_facts: no engineers, customers or levels".into()));
    }
    copy_ticket(conn, template, after, copies).await?;
    let pick = |n: &str, values: Vec<String>| {
        let k = values.len();
        let arms: String = values.iter().enumerate().map(|(i, v)| format!(" WHEN {i} THEN {v}")).collect();
        format!("CASE ({n}) % {k}{arms} END")
    };
    let minutes = days * 24 * 60;
    // In time order, as intake writes them: the n-th copy is registered n/copies of the way
    // through the days (a real database's rows of one month lie together, in id order).
    let reg = format!("({} + ((s.n * {minutes}) / {copies}) * 60000)", start.as_millisecond());
    let set: Vec<(&str, String)> = vec![
        ("ticket_id", format!("{after} + s.n")),
        ("customer_id", pick("s.n", customers.iter().map(|c| c.0.to_string()).collect())),
        ("region", pick("s.n", customers.iter().map(|c| lit(&c.1)).collect())),
        ("priority", pick("s.n / 3", levels.iter().map(|l| lit(l)).collect())),
        ("first_line_id", pick("s.n / 7", engineers.iter().map(|e| e.to_string()).collect())),
        ("device_model", "'XJ-' || (2000 + (s.n % 30))".into()),
        ("fault_code", "'E' || (s.n % 12)".into()),
        ("registered_at", reg.clone()),
        ("accepted_at", format!("{reg} + 300000")),
        ("dispatched_at", format!("{reg} + 1200000")),
        ("responded_at", format!("{reg} + 1200000 + (s.n % 240) * 60000")),
        ("resolved_at", format!("{reg} + 3600000 + (s.n % 2880) * 60000")),
        ("closed_at", format!("{reg} + 7200000 + (s.n % 2880) * 60000")),
        ("response_work_min", "15 + s.n % 240".into()),
        ("response_cal_min", "15 + s.n % 240".into()),
        ("resolution_work_min", "55 + (s.n % 2880) / 3".into()),
        ("resolution_cal_min", "55 + s.n % 2880".into()),
        ("repair_work_min", "40 + (s.n % 2880) / 3".into()),
        ("clk_response", "CASE WHEN s.n % 10 = 0 THEN 1 ELSE 0 END".into()),
        ("clk_resolution", "CASE WHEN s.n % 7 = 0 THEN 1 ELSE 0 END".into()),
        ("clk_service_report", "CASE WHEN s.n % 25 = 0 THEN 1 ELSE 0 END".into()),
        ("clk_callback", "0".into()),
        ("n_response_timeout", "CASE WHEN s.n % 10 = 0 THEN 1 ELSE 0 END".into()),
        ("n_second_line", "CASE WHEN s.n % 8 = 0 THEN 1 ELSE 0 END".into()),
        ("second_line_called", "CASE WHEN s.n % 8 = 0 THEN 1 ELSE 0 END".into()),
        ("n_same_day", "CASE WHEN s.n % 5 = 0 THEN 1 ELSE 0 END".into()),
        ("n_customer_unclosed", "CASE WHEN s.n % 40 = 0 THEN 1 ELSE 0 END".into()),
        ("n_three_days", "CASE WHEN s.n % 20 = 0 THEN 1 ELSE 0 END".into()),
        ("n_repeat", "CASE WHEN s.n % 50 = 0 THEN 1 ELSE 0 END".into()),
        (
            "survey",
            "CASE s.n % 10 WHEN 0 THEN 'dissatisfied' WHEN 1 THEN 'basic' WHEN 2 THEN 'basic' ELSE 'satisfied' END"
                .into(),
        ),
        ("desk_late_registration", "CASE WHEN s.n % 30 = 0 THEN 1 ELSE 0 END".into()),
        ("desk_late_dispatch", "CASE WHEN s.n % 45 = 0 THEN 1 ELSE 0 END".into()),
    ];
    let table = crate::schema::TicketFacts::Table.unquoted();
    let columns = crate::maintenance::column_names(conn, table).await?;
    let targets = columns.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
    let values = columns
        .iter()
        .map(|c| match set.iter().find(|(name, _)| name == c) {
            Some((_, expr)) => format!("({expr})"),
            None => format!("t.\"{c}\""),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let (with, source) = series(conn, copies);
    let sql = format!(
        "{with}INSERT INTO \"{table}\" ({targets}) SELECT {values} FROM \"{table}\" AS t CROSS JOIN {source} \
         WHERE t.ticket_id = {template}"
    );
    Ok(conn.execute_unprepared(&sql).await?.rows_affected())
}

/// What [`spread_tickets`] spreads its copies over.
#[derive(Debug, Clone, Default)]
pub struct Spread {
    pub customers: Vec<Id>,
    pub engineers: Vec<Id>,
    pub groups: Vec<Id>,
    /// Priority codes, most urgent first (their rank is their position).
    pub levels: Vec<String>,
    /// Every `open_every`-th copy is open (spread through the whole period, the harder case
    /// for a list than open tickets that are all recent); the rest are closed.
    pub open_every: u64,
}

/// `aftersales bench lists`: `copies` copies of ticket `template` (ids `after + 1` …),
/// registered in id order over `days` days up to `now`, spread over customers, first-line
/// engineers (every 8th with a second line too), groups and priorities. Open copies take
/// the open states in turn and have a due instant from two days ago to twelve days ahead of
/// `now` (about one in seven overdue), every 9th with a clock missed; the rest are closed.
/// Each has its report facts: the template's, with the copy's customer, region, level,
/// engineers and instants.
pub async fn spread_tickets<C: ConnectionTrait>(
    conn: &C,
    template: Id,
    after: Id,
    copies: u64,
    now: Timestamp,
    days: i64,
    spread: &Spread,
) -> Result<u64> {
    if spread.customers.is_empty() || spread.engineers.is_empty() || spread.groups.is_empty() {
        return Err(StorageError::Corrupt("spread_tickets: no customers, engineers or groups".into()));
    }
    if spread.levels.is_empty() || spread.open_every == 0 {
        return Err(StorageError::Corrupt("spread_tickets: no levels, or open_every is 0".into()));
    }
    let pick = |n: &str, values: Vec<String>| {
        let arms: String = values.iter().enumerate().map(|(i, v)| format!(" WHEN {i} THEN {v}")).collect();
        format!("CASE ({n}) % {}{arms} END", values.len())
    };
    let ids = |v: &[Id]| v.iter().map(Id::to_string).collect::<Vec<_>>();
    let open_states: Vec<String> =
        aftersales_domain::ticket::Status::ALL.iter().filter(|s| s.is_open()).map(|s| lit(s.code())).collect();
    // Each column draws from its own multiplicative hash of the copy's number (a Lehmer
    // generator's step, modulus 2^31 - 1, with multipliers large enough to wrap at once), so
    // that no two are tied: with plain `n % 24` for the customer and `n % 10` for open, only
    // even customers had open tickets. The products stay below 2^63 up to 20 million copies.
    let mix = |a: u64| format!("((n * {a}) % 2147483647)");
    let every = spread.open_every;
    let is_open = format!("(n % {every} = 0)");
    let now_ms = now.as_millisecond();
    let span = days * 24 * 3_600_000;
    let reg = format!("({} + (n * {span}) / {copies})", now_ms - span);
    let due = format!("({now_ms} - 172800000 + ((n * 7919) % 1209600) * 1000)");
    let (id, number) = (Tickets::Id.unquoted(), Tickets::Number.unquoted());
    let set = [
        (id, format!("{after} + n")),
        (number, format!("substr(t.{number}, 1, 9) || (1000000 + n)")),
        ("customer_id", pick(&mix(742_938_285), ids(&spread.customers))),
        ("first_line_id", pick(&mix(950_706_376), ids(&spread.engineers))),
        (
            "second_line_id",
            format!("CASE WHEN n % 8 = 0 THEN {} END", pick(&mix(1_226_874_159), ids(&spread.engineers))),
        ),
        ("group_id", pick(&mix(62_089_911), ids(&spread.groups))),
        ("priority", pick(&mix(1_343_714_438), spread.levels.iter().map(|l| lit(l)).collect())),
        ("priority_rank", format!("{} % {}", mix(1_343_714_438), spread.levels.len())),
        (
            "status",
            format!("CASE WHEN {is_open} THEN {} ELSE 'closed' END", pick(&format!("n / {every}"), open_states)),
        ),
        ("registered_at", reg.clone()),
        ("updated_at", format!("{reg} + (n % 4320) * 60000")),
        ("closed_at", format!("CASE WHEN {is_open} THEN NULL ELSE {reg} + 7200000 END")),
        ("next_due_at", format!("CASE WHEN {is_open} THEN {due} END")),
        ("clock_misses", format!("CASE WHEN {is_open} AND n % 9 = 0 THEN 1 ELSE 0 END")),
    ];
    let set: Vec<(&str, &str)> = set.iter().map(|(c, e)| (*c, e.as_str())).collect();
    let inserted = copy_row(conn, Tickets::Table.unquoted(), template, copies, &set).await?;
    ticket_ids_past_copies(conn).await?;
    // Their report facts, as registration writes them (a database in service has a row for
    // every ticket; without them the server's start-up would compute a million).
    let facts = crate::schema::TicketFacts::Table.unquoted();
    let columns = crate::maintenance::column_names(conn, facts).await?;
    let from_ticket = ["customer_id", "priority", "first_line_id", "second_line_id", "registered_at", "closed_at"];
    let targets = columns.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(", ");
    let values = columns
        .iter()
        .map(|c| match c.as_str() {
            "ticket_id" => "c.id".to_owned(),
            "region" => "(SELECT region FROM customers WHERE customers.id = c.customer_id)".to_owned(),
            c if from_ticket.contains(&c) => format!("c.\"{c}\""),
            c => format!("f.\"{c}\""),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let table = Tickets::Table.unquoted();
    conn.execute_unprepared(&format!(
        "INSERT INTO \"{facts}\" ({targets}) SELECT {values} FROM \"{table}\" AS c \
         JOIN \"{facts}\" AS f ON f.ticket_id = {template} WHERE c.id > {after} AND c.id <= {after} + {copies}"
    ))
    .await?;
    Ok(inserted)
}

/// On PostgreSQL, moves the ticket id sequence past copies inserted with explicit ids, so
/// tickets can still be registered.
async fn ticket_ids_past_copies<C: ConnectionTrait>(conn: &C) -> Result<()> {
    if conn.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        let (table, id) = (Tickets::Table.unquoted(), Tickets::Id.unquoted());
        conn.execute_unprepared(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', '{id}'), (SELECT max({id}) FROM {table}))"
        ))
        .await?;
    }
    Ok(())
}
