//! Engineers' qualifications and training records (issue 13, seed 003).

use aftersales_domain::qualification::{Qualification, TrainingRecord, TrainingResult};
use aftersales_domain::{Id, Timestamp};
use jiff::civil::Date;
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query};
use sea_orm::{ConnectionTrait, QueryResult};

use crate::conv::{get, get_code, get_opt_date, get_ts, ms};
use crate::schema::{Qualifications, TrainingRecords};
use crate::{Result, StorageError, insert_returning_id};

const COLS: [Qualifications; 7] = [
    Qualifications::Id,
    Qualifications::UserId,
    Qualifications::Scope,
    Qualifications::Certificate,
    Qualifications::CertificateNo,
    Qualifications::ExpiresOn,
    Qualifications::CreatedAt,
];

fn qualification(r: &QueryResult) -> Result<Qualification> {
    Ok(Qualification {
        id: get(r, "id")?,
        user_id: get(r, "user_id")?,
        scope: get(r, "scope")?,
        certificate: get(r, "certificate")?,
        certificate_no: get(r, "certificate_no")?,
        expires_on: get_opt_date(r, "expires_on")?,
        created_at: get_ts(r, "created_at")?,
    })
}

pub async fn insert<C: ConnectionTrait>(conn: &C, q: &Qualification) -> Result<Id> {
    let stmt = Query::insert()
        .into_table(Qualifications::Table)
        .columns(COLS[1..].iter().copied())
        .values_panic([
            q.user_id.into(),
            q.scope.clone().into(),
            q.certificate.clone().into(),
            q.certificate_no.clone().into(),
            q.expires_on.map(|d| d.to_string()).into(),
            ms(q.created_at).into(),
        ])
        .to_owned();
    insert_returning_id(conn, stmt).await
}

pub async fn by_id<C: ConnectionTrait>(conn: &C, id: Id) -> Result<Option<Qualification>> {
    let stmt = Query::select()
        .columns(COLS)
        .from(Qualifications::Table)
        .and_where(Expr::col(Qualifications::Id).eq(id))
        .to_owned();
    conn.query_one(&stmt).await?.as_ref().map(qualification).transpose()
}

/// Deletes a qualification (withdrawn, or entered by mistake); false when there was none.
pub async fn delete<C: ConnectionTrait>(conn: &C, id: Id) -> Result<bool> {
    let stmt =
        Query::delete().from_table(Qualifications::Table).and_where(Expr::col(Qualifications::Id).eq(id)).to_owned();
    Ok(conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected() == 1)
}

/// The qualifications of `users` (all users when empty is not meant: empty gives none).
pub async fn of_users<C: ConnectionTrait>(conn: &C, users: &[Id]) -> Result<Vec<Qualification>> {
    if users.is_empty() {
        return Ok(Vec::new());
    }
    let stmt = Query::select()
        .columns(COLS)
        .from(Qualifications::Table)
        .and_where(Expr::col(Qualifications::UserId).is_in(users.iter().copied()))
        .order_by(Qualifications::UserId, Order::Asc)
        .order_by(Qualifications::Id, Order::Asc)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(qualification).collect()
}

/// Every qualification (the administrators' list, and whether a model is restricted).
pub async fn all<C: ConnectionTrait>(conn: &C) -> Result<Vec<Qualification>> {
    let stmt = Query::select()
        .columns(COLS)
        .from(Qualifications::Table)
        .order_by(Qualifications::UserId, Order::Asc)
        .order_by(Qualifications::Id, Order::Asc)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(qualification).collect()
}

/// The distinct scopes any qualification names (a device model covered by one of them
/// needs a qualified engineer).
pub async fn scopes<C: ConnectionTrait>(conn: &C) -> Result<Vec<String>> {
    let stmt = Query::select().distinct().column(Qualifications::Scope).from(Qualifications::Table).to_owned();
    conn.query_all(&stmt).await?.iter().map(|r| get::<String>(r, "scope")).collect()
}

// ----- training -----

const TRAINING_COLS: [TrainingRecords; 6] = [
    TrainingRecords::Id,
    TrainingRecords::UserId,
    TrainingRecords::Course,
    TrainingRecords::TakenOn,
    TrainingRecords::Outcome,
    TrainingRecords::CreatedAt,
];

fn training(r: &QueryResult) -> Result<TrainingRecord> {
    let taken: String = get(r, "taken_on")?;
    Ok(TrainingRecord {
        id: get(r, "id")?,
        user_id: get(r, "user_id")?,
        course: get(r, "course")?,
        taken_on: taken.parse::<Date>().map_err(|e| StorageError::Corrupt(format!("taken_on {taken}: {e}")))?,
        outcome: get_code(r, "outcome", TrainingResult::from_code)?,
        created_at: get_ts(r, "created_at")?,
    })
}

pub async fn insert_training<C: ConnectionTrait>(
    conn: &C,
    user: Id,
    course: &str,
    taken_on: Date,
    outcome: TrainingResult,
    now: Timestamp,
) -> Result<Id> {
    let stmt = Query::insert()
        .into_table(TrainingRecords::Table)
        .columns(TRAINING_COLS[1..].iter().copied())
        .values_panic([user.into(), course.into(), taken_on.to_string().into(), outcome.code().into(), ms(now).into()])
        .to_owned();
    insert_returning_id(conn, stmt).await
}

/// A user's training records, most recent first.
pub async fn training_of<C: ConnectionTrait>(conn: &C, user: Id) -> Result<Vec<TrainingRecord>> {
    let stmt = Query::select()
        .columns(TRAINING_COLS)
        .from(TrainingRecords::Table)
        .and_where(Expr::col(TrainingRecords::UserId).eq(user))
        .order_by(TrainingRecords::TakenOn, Order::Desc)
        .order_by(TrainingRecords::Id, Order::Desc)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(training).collect()
}
