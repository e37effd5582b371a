//! Ticket lists: filtered and sorted pages, what waits for a customer, a device's earlier
//! tickets and each engineer's open load.

use std::collections::HashMap;

use aftersales_domain::repeat::Prior;
use aftersales_domain::ticket::{Status, Ticket, WindowConfirmation};
use aftersales_domain::{Id, Timestamp};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Order, Query, SelectStatement, SimpleExpr, UnionType};

use super::{select, ticket};
use crate::Result;
use crate::conv::{get, get_code, get_ts, ms};
use crate::schema::{Customers, Tickets};

/// A customer's tickets that wait for the customer (DOMAIN §6, §8): resolved ones (confirm
/// closure), those awaiting the window's confirmation (when `window` reads), and those closed
/// since `surveys_since` whose survey is not answered. At most `limit`, most recent first.
pub async fn awaiting_customer<C: ConnectionTrait>(
    conn: &C,
    customer: Id,
    window: bool,
    surveys_since: Timestamp,
    limit: u64,
) -> Result<Vec<Ticket>> {
    let stmt = select()
        .and_where(Expr::col(Tickets::CustomerId).eq(customer))
        .and_where(awaiting(window, surveys_since))
        .order_by(Tickets::UpdatedAt, Order::Desc)
        .limit(limit)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(ticket).collect()
}

/// How many of a customer's tickets [`awaiting_customer`] would list (without a limit).
pub async fn count_awaiting_customer<C: ConnectionTrait>(
    conn: &C,
    customer: Id,
    window: bool,
    surveys_since: Timestamp,
) -> Result<u64> {
    let stmt = Query::select()
        .expr_as(Func::count(Expr::col(Tickets::Id)), Alias::new("n"))
        .from(Tickets::Table)
        .and_where(Expr::col(Tickets::CustomerId).eq(customer))
        .and_where(awaiting(window, surveys_since))
        .to_owned();
    let n: i64 = match conn.query_one(&stmt).await? {
        Some(r) => get(&r, "n")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

/// What waits for a customer (see [`awaiting_customer`]).
fn awaiting(window: bool, surveys_since: Timestamp) -> sea_orm::sea_query::SimpleExpr {
    let open: Vec<&str> = Status::ALL.iter().filter(|s| s.is_open()).map(|s| s.code()).collect();
    let mut waiting = Expr::col(Tickets::Status).eq(Status::Resolved.code()).or(Expr::col(Tickets::Status)
        .eq(Status::Closed.code())
        .and(Expr::col(Tickets::SurveyResult).is_null())
        .and(Expr::col(Tickets::ClosedAt).gte(ms(surveys_since))));
    if window {
        waiting = waiting.or(Expr::col(Tickets::WindowConfirmation)
            .eq(WindowConfirmation::Pending.code())
            .and(Expr::col(Tickets::Status).is_in(open)));
    }
    waiting
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    RegisteredAt,
    UpdatedAt,
    Number,
    Priority,
    Status,
    /// The nearest due instant of a running clock; tickets without one come last.
    Due,
}

impl SortKey {
    fn column(self) -> Tickets {
        match self {
            SortKey::RegisteredAt => Tickets::RegisteredAt,
            SortKey::UpdatedAt => Tickets::UpdatedAt,
            SortKey::Number => Tickets::Number,
            SortKey::Priority => Tickets::PriorityRank,
            SortKey::Status => Tickets::Status,
            SortKey::Due => Tickets::NextDueAt,
        }
    }
}

/// What a ticket list asks for. All conditions are combined with AND.
#[derive(Debug, Clone)]
pub struct TicketFilter {
    pub statuses: Vec<Status>,
    pub priority: Option<String>,
    pub customer_id: Option<Id>,
    /// First- or second-line engineer.
    pub engineer_id: Option<Id>,
    pub group_id: Option<Id>,
    /// The customer's region (地域).
    pub region: Option<String>,
    pub registered_from: Option<Timestamp>,
    pub registered_to: Option<Timestamp>,
    /// A running clock is due at or after this instant…
    pub due_from: Option<Timestamp>,
    /// …and at or before this one (`due_to = now` lists overdue tickets).
    pub due_to: Option<Timestamp>,
    /// Breached as of this instant: a running clock overdue, or a clock stopped late.
    pub breached_at: Option<Timestamp>,
    pub sort: SortKey,
    pub descending: bool,
    pub limit: u64,
    pub offset: u64,
    /// Count at most this many matches (the total is then a lower bound): a page that only
    /// says "1000+" need not count 100,000 open tickets.
    pub count_limit: Option<u64>,
}

impl Default for TicketFilter {
    fn default() -> Self {
        TicketFilter {
            statuses: Vec::new(),
            priority: None,
            customer_id: None,
            engineer_id: None,
            group_id: None,
            region: None,
            registered_from: None,
            registered_to: None,
            due_from: None,
            due_to: None,
            breached_at: None,
            sort: SortKey::RegisteredAt,
            descending: true,
            limit: 50,
            offset: 0,
            count_limit: None,
        }
    }
}

/// Every condition of `f`, the alternatives ([`arms`]) as one `OR`.
fn apply_filter(stmt: &mut SelectStatement, f: &TicketFilter) {
    apply_common(stmt, f);
    if let Some(arm) = either(&arms(f)) {
        stmt.cond_where(arm);
    }
}

/// Every condition of `f` but the two that are a choice (the engineer on either line; a
/// breach either running or missed): those are [`arms`].
fn apply_common(stmt: &mut SelectStatement, f: &TicketFilter) {
    if !f.statuses.is_empty() {
        stmt.and_where(Expr::col(Tickets::Status).is_in(f.statuses.iter().map(|s| s.code())));
    }
    if let Some(p) = &f.priority {
        stmt.and_where(Expr::col(Tickets::Priority).eq(p.as_str()));
    }
    if let Some(c) = f.customer_id {
        stmt.and_where(Expr::col(Tickets::CustomerId).eq(c));
    }
    if let Some(g) = f.group_id {
        stmt.and_where(Expr::col(Tickets::GroupId).eq(g));
    }
    if let Some(r) = &f.region {
        let customers = Query::select()
            .column(Customers::Id)
            .from(Customers::Table)
            .and_where(Expr::col(Customers::Region).eq(r.as_str()))
            .to_owned();
        stmt.and_where(Expr::col(Tickets::CustomerId).in_subquery(customers));
    }
    if let Some(from) = f.registered_from {
        stmt.and_where(Expr::col(Tickets::RegisteredAt).gte(ms(from)));
    }
    if let Some(to) = f.registered_to {
        stmt.and_where(Expr::col(Tickets::RegisteredAt).lt(ms(to)));
    }
    if let Some(from) = f.due_from {
        stmt.and_where(Expr::col(Tickets::NextDueAt).gte(ms(from)));
    }
    if let Some(to) = f.due_to {
        stmt.and_where(Expr::col(Tickets::NextDueAt).lte(ms(to)));
    }
}

/// The alternatives a list's filter allows, each a condition of its own: the engineer on
/// the first or on the second line, a clock overdue or a clock missed (and, both asked, the
/// four pairs). Empty when the filter has no choice. Read one by one, each alternative
/// follows an index in the list's order (m0024), where `a OR b` would make either database
/// collect every match and sort it.
fn arms(f: &TicketFilter) -> Vec<SimpleExpr> {
    let mut arms: Vec<SimpleExpr> = Vec::new();
    let mut choose = |options: [SimpleExpr; 2]| {
        arms = if arms.is_empty() {
            options.to_vec()
        } else {
            arms.iter().flat_map(|a| options.iter().map(move |o| a.clone().and(o.clone()))).collect()
        };
    };
    if let Some(e) = f.engineer_id {
        choose([Expr::col(Tickets::FirstLineId).eq(e), Expr::col(Tickets::SecondLineId).eq(e)]);
    }
    if let Some(at) = f.breached_at {
        // Written out, not bound: the condition of `ix_tickets_missed_registered` (m0024),
        // which a bound `0` would not match.
        choose([
            Expr::col(Tickets::NextDueAt).is_not_null().and(Expr::col(Tickets::NextDueAt).lte(ms(at))),
            Expr::cust(r#""clock_misses" > 0"#),
        ]);
    }
    arms
}

/// The alternatives as one condition (`None` when there are none).
fn either(arms: &[SimpleExpr]) -> Option<SimpleExpr> {
    arms.iter().cloned().reduce(|a, b| a.or(b))
}

/// Orders `stmt` as the list asks, ties broken as its index orders them.
fn order_by(stmt: &mut SelectStatement, sort: SortKey, order: &Order) {
    if sort == SortKey::Number {
        // `YYYYMMDD-NNN` compared as text puts `-999` after `-4221` (the sequence grows past
        // three digits on a busy day): order by the date, then the sequence as a number.
        // The date is fixed-width text; among equal dates a longer sequence is a larger one.
        // Written out, not with bound arguments: the expressions must read exactly as those
        // of `ix_tickets_number_order` (m0023) for either database to use that index.
        stmt.order_by_expr(Expr::cust(r#"SUBSTR("number", 1, 8)"#), order.clone());
        stmt.order_by_expr(Expr::cust(r#"LENGTH("number")"#), order.clone());
    }
    stmt.order_by(sort.column(), order.clone());
    // Among equal priorities or states, by registration: the order of their indexes
    // (`ix_tickets_rank`, `ix_tickets_status`), so a page reads 50 rows, not all of a level.
    if matches!(sort, SortKey::Priority | SortKey::Status) {
        stmt.order_by(Tickets::RegisteredAt, order.clone());
    }
    stmt.order_by(Tickets::Id, order.clone());
}

/// The ids of a page: `extra` added to `f`'s conditions, in `sort` order. With alternatives
/// ([`arms`]) and a plain column to sort by (registration or due instant), each alternative
/// is read on its own in that order, up to the page's end, and the union sorted again: a
/// few hundred rows at most, each from its own index.
fn page_ids(
    f: &TicketFilter,
    sort: SortKey,
    order: &Order,
    extra: Option<SimpleExpr>,
    limit: u64,
    offset: u64,
) -> SelectStatement {
    let arms = arms(f);
    let plain = matches!(sort, SortKey::RegisteredAt | SortKey::Due);
    if arms.len() < 2 || !plain {
        let mut ids = Query::select().column(Tickets::Id).from(Tickets::Table).to_owned();
        apply_filter(&mut ids, f);
        if let Some(x) = extra {
            ids.and_where(x);
        }
        order_by(&mut ids, sort, order);
        return ids.limit(limit).offset(offset).to_owned();
    }
    let key = sort.column();
    let each = arms.into_iter().map(|arm| {
        let mut one = Query::select().columns([Tickets::Id, key]).from(Tickets::Table).to_owned();
        apply_common(&mut one, f);
        one.and_where(arm);
        if let Some(x) = extra.clone() {
            one.and_where(x);
        }
        order_by(&mut one, sort, order);
        one.limit(Ord::min(offset.saturating_add(limit), i64::MAX as u64));
        one
    });
    let mut ids = Query::select()
        .column(Tickets::Id)
        .from_subquery(union(each, &[Tickets::Id, key]), Alias::new("arms"))
        .to_owned();
    order_by(&mut ids, sort, order);
    ids.limit(limit).offset(offset).to_owned()
}

/// `SELECT columns FROM (select) UNION …` over `selects` (each wrapped, so that each keeps
/// its own order and limit), without repeats. `selects` holds two or more.
fn union(selects: impl Iterator<Item = SelectStatement>, columns: &[Tickets]) -> SelectStatement {
    let wrap = |i: usize, one: SelectStatement| {
        Query::select().columns(columns.iter().copied()).from_subquery(one, Alias::new(format!("arm{i}"))).to_owned()
    };
    let mut selects = selects.enumerate();
    let mut out = match selects.next() {
        Some((i, one)) => wrap(i, one),
        None => Query::select()
            .columns(columns.iter().copied())
            .from(Tickets::Table)
            .and_where(Expr::cust("1 = 0"))
            .to_owned(),
    };
    for (i, one) in selects {
        out.union(UnionType::Distinct, wrap(i, one));
    }
    out
}

/// At most `cap` ids of tickets `f` matches, in no order. With alternatives ([`arms`]), the
/// union of at most `cap` of each (each read from its own index; `OR` would make SQLite read
/// the table when one alternative's index is partial): if one alternative alone reaches
/// `cap`, so does the union.
fn capped_ids(f: &TicketFilter, cap: u64) -> SelectStatement {
    let arms = arms(f);
    if arms.len() < 2 {
        let mut ids = Query::select().column(Tickets::Id).from(Tickets::Table).limit(cap).to_owned();
        apply_filter(&mut ids, f);
        return ids;
    }
    let each = arms.into_iter().map(|arm| {
        let mut one = Query::select().column(Tickets::Id).from(Tickets::Table).limit(cap).to_owned();
        apply_common(&mut one, f);
        one.and_where(arm);
        one
    });
    Query::select()
        .column(Tickets::Id)
        .from_subquery(union(each, &[Tickets::Id]), Alias::new("arms"))
        .limit(cap)
        .to_owned()
}

/// The tickets of `ids` (a page's ids) in the page's order.
async fn rows_of<C: ConnectionTrait>(
    conn: &C,
    ids: SelectStatement,
    sort: SortKey,
    order: &Order,
) -> Result<Vec<Ticket>> {
    let mut stmt = select().and_where(Expr::col(Tickets::Id).in_subquery(ids)).to_owned();
    order_by(&mut stmt, sort, order);
    conn.query_all(&stmt).await?.iter().map(ticket).collect()
}

/// A page of tickets and the total number matching.
///
/// The page is found by ids first and its rows read after ("deferred join"): the search,
/// the sort and the offset handle ids from an index, and only the page's 50 rows are read
/// whole (a deep page or a sorted filter would otherwise carry every skipped row's columns).
pub async fn list<C: ConnectionTrait>(conn: &C, f: &TicketFilter) -> Result<(Vec<Ticket>, u64)> {
    let count = match f.count_limit {
        None => {
            let mut count = Query::select()
                .expr_as(Func::count(Expr::col(Tickets::Id)), Alias::new("n"))
                .from(Tickets::Table)
                .to_owned();
            apply_filter(&mut count, f);
            count
        }
        Some(cap) => Query::select()
            .expr_as(Func::count(Expr::col(Alias::new("id"))), Alias::new("n"))
            .from_subquery(capped_ids(f, cap), Alias::new("capped"))
            .to_owned(),
    };
    let total: i64 = match conn.query_one(&count).await? {
        Some(r) => get(&r, "n")?,
        None => 0,
    };
    let total = u64::try_from(total).unwrap_or(0);
    let order = if f.descending { Order::Desc } else { Order::Asc };
    if f.sort == SortKey::Due {
        return Ok((by_due(conn, f, order).await?, total));
    }
    let ids = page_ids(f, f.sort, &order, None, f.limit, f.offset);
    Ok((rows_of(conn, ids, f.sort, &order).await?, total))
}

/// A page sorted by the nearest due instant, tickets with nothing due last (whichever the
/// direction). Two reads instead of one `ORDER BY next_due_at NULLS LAST`, which neither
/// database can answer from an index: first the tickets with a due instant, in the order of
/// the partial due indexes (so the first page of a board of 100,000 open tickets reads 50
/// rows, not all of them); then, if the page is not full, those without.
async fn by_due<C: ConnectionTrait>(conn: &C, f: &TicketFilter, order: Order) -> Result<Vec<Ticket>> {
    let due = page_ids(f, SortKey::Due, &order, Some(Expr::col(Tickets::NextDueAt).is_not_null()), f.limit, f.offset);
    let mut out = rows_of(conn, due, SortKey::Due, &order).await?;
    let missing = f.limit.saturating_sub(out.len() as u64);
    if missing == 0 {
        return Ok(out);
    }
    // How many tickets with a due instant come before the ones without.
    let skipped = if out.is_empty() && f.offset > 0 {
        let mut count = Query::select()
            .expr_as(Func::count(Expr::col(Tickets::Id)), Alias::new("n"))
            .from(Tickets::Table)
            .to_owned();
        apply_filter(&mut count, f);
        count.and_where(Expr::col(Tickets::NextDueAt).is_not_null());
        let n: i64 = match conn.query_one(&count).await? {
            Some(r) => get(&r, "n")?,
            None => 0,
        };
        u64::try_from(n).unwrap_or(0)
    } else {
        f.offset + out.len() as u64
    };
    let mut none = select();
    apply_filter(&mut none, f);
    none.and_where(Expr::col(Tickets::NextDueAt).is_null())
        .order_by(Tickets::Id, order)
        .limit(missing)
        .offset(f.offset.saturating_sub(skipped));
    for r in conn.query_all(&none).await? {
        out.push(ticket(&r)?);
    }
    Ok(out)
}

/// Earlier tickets of a device registered since `since` (for the repeat-report rule).
pub async fn priors_for_device<C: ConnectionTrait>(conn: &C, device: Id, since: Timestamp) -> Result<Vec<Prior>> {
    let stmt = Query::select()
        .columns([Tickets::Id, Tickets::FaultCode, Tickets::CategoryId, Tickets::RegisteredAt, Tickets::Status])
        .from(Tickets::Table)
        .and_where(Expr::col(Tickets::DeviceId).eq(device))
        .and_where(Expr::col(Tickets::RegisteredAt).gte(ms(since)))
        .to_owned();
    conn.query_all(&stmt)
        .await?
        .iter()
        .map(|r| {
            Ok(Prior {
                id: get(r, "id")?,
                fault_code: get(r, "fault_code")?,
                category_id: get(r, "category_id")?,
                registered_at: get_ts(r, "registered_at")?,
                status: get_code(r, "status", Status::from_code)?,
            })
        })
        .collect()
}

/// Open tickets each of `users` holds in `group` (first or second line).
pub async fn open_load<C: ConnectionTrait>(conn: &C, group: Id, users: &[Id]) -> Result<HashMap<Id, i64>> {
    let mut load: HashMap<Id, i64> = users.iter().map(|&u| (u, 0)).collect();
    if users.is_empty() {
        return Ok(load);
    }
    let open: Vec<&str> =
        aftersales_domain::ticket::Status::ALL.iter().filter(|s| s.is_open()).map(|s| s.code()).collect();
    for col in [Tickets::FirstLineId, Tickets::SecondLineId] {
        let stmt = Query::select()
            .expr_as(Expr::col(col), Alias::new("user_id"))
            .expr_as(Func::count(Expr::col(Tickets::Id)), Alias::new("n"))
            .from(Tickets::Table)
            .and_where(Expr::col(Tickets::GroupId).eq(group))
            .and_where(Expr::col(Tickets::Status).is_in(open.clone()))
            .and_where(Expr::col(col).is_in(users.iter().copied()))
            .group_by_col(col)
            .to_owned();
        for r in conn.query_all(&stmt).await? {
            let user: Id = get(&r, "user_id")?;
            let n: i64 = get(&r, "n")?;
            *load.entry(user).or_default() += n;
        }
    }
    Ok(load)
}
