//! Departments, work orders and their progress (issue 13, seed 002).

use aftersales_domain::work_order::{Department, WorkOrder, WorkOrderProgress, WorkOrderStatus};
use aftersales_domain::{Id, Timestamp};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Order, Query};
use sea_orm::{ConnectionTrait, QueryResult};

use crate::conv::{get, get_code, get_ts, ms};
use crate::schema::{Departments, WorkOrderProgress as Progress, WorkOrders};
use crate::{Result, StorageError, insert_fields, insert_returning_id};

// ----- departments -----

const DEPARTMENT_COLS: [Departments; 6] = [
    Departments::Id,
    Departments::Code,
    Departments::NameZh,
    Departments::NameEn,
    Departments::Active,
    Departments::Position,
];

fn department(r: &QueryResult) -> Result<Department> {
    Ok(Department {
        id: get(r, "id")?,
        code: get(r, "code")?,
        name_zh: get(r, "name_zh")?,
        name_en: get(r, "name_en")?,
        active: get(r, "active")?,
        position: get(r, "position")?,
    })
}

/// Every department (retired ones too), in the administrator's order.
pub async fn departments<C: ConnectionTrait>(conn: &C) -> Result<Vec<Department>> {
    let stmt = Query::select()
        .columns(DEPARTMENT_COLS)
        .from(Departments::Table)
        .order_by(Departments::Position, Order::Asc)
        .order_by(Departments::Id, Order::Asc)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(department).collect()
}

/// Adds a department at the end of the list.
pub async fn insert_department<C: ConnectionTrait>(conn: &C, d: &Department) -> Result<Id> {
    let next = Query::select()
        .expr_as(Func::max(Expr::col(Departments::Position)), Alias::new("p"))
        .from(Departments::Table)
        .to_owned();
    let position: i32 = match conn.query_one(&next).await? {
        Some(r) => get::<Option<i32>>(&r, "p")?.unwrap_or(0) + 1,
        None => 1,
    };
    let mut fields = department_fields(d);
    fields.extend([(Departments::Code, d.code.clone().into()), (Departments::Position, position.into())]);
    insert_fields(conn, Departments::Table, fields).await
}

/// A department's names and whether it is in use, which an edit replaces (its code never
/// changes: tickets and work orders store it).
fn department_fields(d: &Department) -> Vec<(Departments, Expr)> {
    vec![
        (Departments::NameZh, d.name_zh.clone().into()),
        (Departments::NameEn, d.name_en.clone().into()),
        (Departments::Active, d.active.into()),
    ]
}

/// Renames a department or retires / restores it (its code never changes: tickets and work
/// orders store it). False when there is no such department.
pub async fn update_department<C: ConnectionTrait>(conn: &C, d: &Department) -> Result<bool> {
    let stmt = Query::update()
        .table(Departments::Table)
        .values(department_fields(d))
        .and_where(Expr::col(Departments::Id).eq(d.id))
        .to_owned();
    Ok(conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected() == 1)
}

// ----- work orders -----

const COLS: [WorkOrders; 12] = [
    WorkOrders::Id,
    WorkOrders::TicketId,
    WorkOrders::Department,
    WorkOrders::OwnerId,
    WorkOrders::Needed,
    WorkOrders::Resources,
    WorkOrders::Deadline,
    WorkOrders::Status,
    WorkOrders::CreatedBy,
    WorkOrders::CreatedAt,
    WorkOrders::UpdatedAt,
    WorkOrders::Version,
];

fn work_order(r: &QueryResult) -> Result<WorkOrder> {
    let resources: String = get(r, "resources")?;
    Ok(WorkOrder {
        id: get(r, "id")?,
        ticket_id: get(r, "ticket_id")?,
        department: get(r, "department")?,
        owner_id: get(r, "owner_id")?,
        needed: get(r, "needed")?,
        resources: serde_json::from_str(&resources)
            .map_err(|e| StorageError::Corrupt(format!("work order resources: {e}")))?,
        deadline: get_ts(r, "deadline")?,
        status: get_code(r, "status", WorkOrderStatus::from_code)?,
        created_by: get(r, "created_by")?,
        created_at: get_ts(r, "created_at")?,
        updated_at: get_ts(r, "updated_at")?,
        version: get(r, "version")?,
    })
}

fn resources(w: &WorkOrder) -> Result<String> {
    serde_json::to_string(&w.resources).map_err(|e| StorageError::Corrupt(format!("work order resources: {e}")))
}

fn select() -> sea_orm::sea_query::SelectStatement {
    Query::select().columns(COLS).from(WorkOrders::Table).to_owned()
}

/// Stores a new work order; its id.
pub async fn insert<C: ConnectionTrait>(conn: &C, w: &WorkOrder) -> Result<Id> {
    let mut fields = work_order_state(w)?;
    fields.extend([
        (WorkOrders::TicketId, w.ticket_id.into()),
        (WorkOrders::CreatedBy, w.created_by.into()),
        (WorkOrders::CreatedAt, ms(w.created_at).into()),
    ]);
    insert_fields(conn, WorkOrders::Table, fields).await
}

/// What an edit of a work order changes (insert and update name each column once).
fn work_order_state(w: &WorkOrder) -> Result<Vec<(WorkOrders, Expr)>> {
    Ok(vec![
        (WorkOrders::Department, w.department.clone().into()),
        (WorkOrders::OwnerId, w.owner_id.into()),
        (WorkOrders::Needed, w.needed.clone().into()),
        (WorkOrders::Resources, resources(w)?.into()),
        (WorkOrders::Deadline, ms(w.deadline).into()),
        (WorkOrders::Status, w.status.code().into()),
        (WorkOrders::UpdatedAt, ms(w.updated_at).into()),
        (WorkOrders::Version, w.version.into()),
    ])
}

/// Writes `w` if the stored version is still `based_on`; false when it changed meanwhile.
pub async fn update<C: ConnectionTrait>(conn: &C, w: &WorkOrder, based_on: i64) -> Result<bool> {
    let stmt = Query::update()
        .table(WorkOrders::Table)
        .values(work_order_state(w)?)
        .and_where(Expr::col(WorkOrders::Id).eq(w.id))
        .and_where(Expr::col(WorkOrders::Version).eq(based_on))
        .to_owned();
    Ok(conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected() == 1)
}

pub async fn by_id<C: ConnectionTrait>(conn: &C, id: Id) -> Result<Option<WorkOrder>> {
    let stmt = select().and_where(Expr::col(WorkOrders::Id).eq(id)).to_owned();
    conn.query_one(&stmt).await?.as_ref().map(work_order).transpose()
}

/// A ticket's work orders, oldest first.
pub async fn of_ticket<C: ConnectionTrait>(conn: &C, ticket: Id) -> Result<Vec<WorkOrder>> {
    let stmt =
        select().and_where(Expr::col(WorkOrders::TicketId).eq(ticket)).order_by(WorkOrders::Id, Order::Asc).to_owned();
    conn.query_all(&stmt).await?.iter().map(work_order).collect()
}

fn open_codes() -> Vec<&'static str> {
    WorkOrderStatus::ALL.iter().filter(|s| s.is_open()).map(|s| s.code()).collect()
}

/// The open work orders `owner` answers for, nearest deadline first.
pub async fn open_of_owner<C: ConnectionTrait>(conn: &C, owner: Id, limit: u64) -> Result<Vec<WorkOrder>> {
    let stmt = select()
        .and_where(Expr::col(WorkOrders::OwnerId).eq(owner))
        .and_where(Expr::col(WorkOrders::Status).is_in(open_codes()))
        .order_by(WorkOrders::Deadline, Order::Asc)
        .order_by(WorkOrders::Id, Order::Asc)
        .limit(limit)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(work_order).collect()
}

/// How many open work orders `owner` answers for (the navigation's count).
pub async fn count_open_of_owner<C: ConnectionTrait>(conn: &C, owner: Id) -> Result<u64> {
    let stmt = Query::select()
        .expr_as(Func::count(Expr::col(WorkOrders::Id)), Alias::new("n"))
        .from(WorkOrders::Table)
        .and_where(Expr::col(WorkOrders::OwnerId).eq(owner))
        .and_where(Expr::col(WorkOrders::Status).is_in(open_codes()))
        .to_owned();
    Ok(match conn.query_one(&stmt).await? {
        Some(r) => u64::try_from(get::<i64>(&r, "n")?).unwrap_or(0),
        None => 0,
    })
}

// ----- progress -----

fn progress(r: &QueryResult) -> Result<WorkOrderProgress> {
    Ok(WorkOrderProgress {
        id: get(r, "id")?,
        work_order_id: get(r, "work_order_id")?,
        author_id: get(r, "author_id")?,
        body: get(r, "body")?,
        at: get_ts(r, "at")?,
    })
}

pub async fn insert_progress<C: ConnectionTrait>(conn: &C, p: &WorkOrderProgress) -> Result<Id> {
    let stmt = Query::insert()
        .into_table(Progress::Table)
        .columns([Progress::WorkOrderId, Progress::AuthorId, Progress::Body, Progress::At])
        .values_panic([p.work_order_id.into(), p.author_id.into(), p.body.clone().into(), ms(p.at).into()])
        .to_owned();
    insert_returning_id(conn, stmt).await
}

/// The progress of the given work orders, oldest first.
pub async fn progress_of<C: ConnectionTrait>(conn: &C, work_orders: &[Id]) -> Result<Vec<WorkOrderProgress>> {
    if work_orders.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .columns([Progress::Id, Progress::WorkOrderId, Progress::AuthorId, Progress::Body, Progress::At])
        .from(Progress::Table)
        .and_where(Expr::col(Progress::WorkOrderId).is_in(work_orders.iter().copied()))
        .order_by(Progress::At, Order::Asc)
        .order_by(Progress::Id, Order::Asc)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(progress).collect()
}

/// The nearest running ticket deadline (`next_due_at`) among the open tickets each of
/// `users` holds, first or second line (dispatch weighs the slack it leaves).
pub async fn nearest_due<C: ConnectionTrait>(
    conn: &C,
    users: &[Id],
) -> Result<std::collections::HashMap<Id, Timestamp>> {
    use crate::schema::Tickets;
    let mut out: std::collections::HashMap<Id, Timestamp> = std::collections::HashMap::new();
    if users.is_empty() {
        return Ok(out);
    }
    for col in [Tickets::FirstLineId, Tickets::SecondLineId] {
        let stmt = Query::select()
            .expr_as(Expr::col(col), Alias::new("user_id"))
            .expr_as(Func::min(Expr::col(Tickets::NextDueAt)), Alias::new("due"))
            .from(Tickets::Table)
            .and_where(Expr::col(col).is_in(users.iter().copied()))
            .and_where(Expr::col(Tickets::NextDueAt).is_not_null())
            .group_by_col(col)
            .to_owned();
        for r in conn.query_all(&stmt).await? {
            let user: Id = get(&r, "user_id")?;
            let due = crate::conv::ts(get::<i64>(&r, "due")?)?;
            out.entry(user).and_modify(|d| *d = (*d).min(due)).or_insert(due);
        }
    }
    Ok(out)
}
