//! Evidence attachments (issue 14): metadata rows of files kept in the blob store, and
//! the evidence rule of each kind of service.

use aftersales_domain::attachment::{Attachment, EvidenceRule, EvidenceTag, FileKind, Gps, Withdrawal};
use aftersales_domain::audience::Visibility;
use aftersales_domain::ticket::Kind;
use aftersales_domain::{Id, Timestamp};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, QueryResult};

use crate::conv::{get, get_code, get_ts, ms};
use crate::schema::{Attachments as A, EvidenceRules as R};
use crate::{Result, StorageError, insert_fields};

const COLS: [A; 24] = [
    A::Id,
    A::TicketId,
    A::LogId,
    A::Sha256,
    A::Size,
    A::Kind,
    A::ContentType,
    A::FileName,
    A::Visibility,
    A::Tag,
    A::UploadedBy,
    A::UploadedAt,
    A::Width,
    A::Height,
    A::TakenAt,
    A::GpsLat,
    A::GpsLon,
    A::ThumbSha256,
    A::CustomerSha256,
    A::CustomerType,
    A::IdempotencyKey,
    A::WithdrawnAt,
    A::WithdrawnBy,
    A::WithdrawReason,
];

fn select() -> SelectStatement {
    Query::select().columns(COLS).from(A::Table).to_owned()
}

fn opt_u32(r: &QueryResult, col: &str) -> Result<Option<u32>> {
    Ok(get::<Option<i32>>(r, col)?.and_then(|v| u32::try_from(v).ok()))
}

fn row(r: &QueryResult) -> Result<Attachment> {
    let lat: Option<f64> = get(r, "gps_lat")?;
    let lon: Option<f64> = get(r, "gps_lon")?;
    let size: i64 = get(r, "size")?;
    let withdrawn_at: Option<i64> = get(r, "withdrawn_at")?;
    let withdrawal = match withdrawn_at {
        None => None,
        Some(_) => Some(Withdrawal {
            by: get::<Option<Id>>(r, "withdrawn_by")?.unwrap_or_default(),
            at: get_ts(r, "withdrawn_at")?,
            reason: get::<Option<String>>(r, "withdraw_reason")?.unwrap_or_default(),
        }),
    };
    Ok(Attachment {
        id: get(r, "id")?,
        ticket_id: get(r, "ticket_id")?,
        log_id: get(r, "log_id")?,
        sha256: get(r, "sha256")?,
        size: u64::try_from(size).map_err(|_| StorageError::Corrupt(format!("attachment size {size}")))?,
        kind: get_code(r, "kind", FileKind::from_code)?,
        content_type: get(r, "content_type")?,
        file_name: get(r, "file_name")?,
        visibility: get_code(r, "visibility", Visibility::from_code)?,
        tag: get_code(r, "tag", EvidenceTag::from_code)?,
        uploaded_by: get(r, "uploaded_by")?,
        uploaded_at: get_ts(r, "uploaded_at")?,
        width: opt_u32(r, "width")?,
        height: opt_u32(r, "height")?,
        taken_at: get(r, "taken_at")?,
        gps: lat.zip(lon).map(|(lat, lon)| Gps { lat, lon }),
        thumb_sha256: get(r, "thumb_sha256")?,
        customer_sha256: get(r, "customer_sha256")?,
        customer_type: get(r, "customer_type")?,
        idempotency_key: get(r, "idempotency_key")?,
        withdrawal,
    })
}

/// Stores a new attachment row; its id. A second row under the same uploader and
/// idempotency key is refused as a duplicate.
pub async fn insert<C: ConnectionTrait>(conn: &C, a: &Attachment) -> Result<Id> {
    let size = i64::try_from(a.size).map_err(|_| StorageError::Corrupt(format!("attachment size {}", a.size)))?;
    let fields: Vec<(A, Expr)> = vec![
        (A::TicketId, a.ticket_id.into()),
        (A::LogId, a.log_id.into()),
        (A::Sha256, a.sha256.clone().into()),
        (A::Size, size.into()),
        (A::Kind, a.kind.code().into()),
        (A::ContentType, a.content_type.clone().into()),
        (A::FileName, a.file_name.clone().into()),
        (A::Visibility, a.visibility.code().into()),
        (A::Tag, a.tag.code().into()),
        (A::UploadedBy, a.uploaded_by.into()),
        (A::UploadedAt, ms(a.uploaded_at).into()),
        (A::Width, a.width.map(|w| w as i32).into()),
        (A::Height, a.height.map(|h| h as i32).into()),
        (A::TakenAt, a.taken_at.clone().into()),
        (A::GpsLat, a.gps.map(|g| g.lat).into()),
        (A::GpsLon, a.gps.map(|g| g.lon).into()),
        (A::ThumbSha256, a.thumb_sha256.clone().into()),
        (A::CustomerSha256, a.customer_sha256.clone().into()),
        (A::CustomerType, a.customer_type.clone().into()),
        (A::IdempotencyKey, a.idempotency_key.clone().into()),
    ];
    insert_fields(conn, A::Table, fields).await
}

pub async fn by_id<C: ConnectionTrait>(conn: &C, id: Id) -> Result<Option<Attachment>> {
    let stmt = select().and_where(Expr::col(A::Id).eq(id)).to_owned();
    conn.query_one(&stmt).await?.as_ref().map(row).transpose()
}

/// The attachment `uploader` stored under idempotency key `key`, if any.
pub async fn by_key<C: ConnectionTrait>(conn: &C, uploader: Id, key: &str) -> Result<Option<Attachment>> {
    let stmt = select()
        .and_where(Expr::col(A::UploadedBy).eq(uploader))
        .and_where(Expr::col(A::IdempotencyKey).eq(key))
        .to_owned();
    conn.query_one(&stmt).await?.as_ref().map(row).transpose()
}

/// A ticket's attachments that are not withdrawn, oldest first.
pub async fn of_ticket<C: ConnectionTrait>(conn: &C, ticket: Id) -> Result<Vec<Attachment>> {
    let stmt = select()
        .and_where(Expr::col(A::TicketId).eq(ticket))
        .and_where(Expr::col(A::WithdrawnAt).is_null())
        .order_by(A::UploadedAt, Order::Asc)
        .order_by(A::Id, Order::Asc)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(row).collect()
}

/// Whether any attachment refers to blob `sha256` (as its content, thumbnail or customer
/// copy).
pub async fn blob_in_use<C: ConnectionTrait>(conn: &C, sha256: &str) -> Result<bool> {
    let stmt = Query::select()
        .column(A::Id)
        .from(A::Table)
        .cond_where(
            Expr::col(A::Sha256)
                .eq(sha256)
                .or(Expr::col(A::ThumbSha256).eq(sha256))
                .or(Expr::col(A::CustomerSha256).eq(sha256)),
        )
        .limit(1)
        .to_owned();
    Ok(conn.query_one(&stmt).await?.is_some())
}

/// Marks `id` withdrawn as `w` says, if it is not yet: false when it already was (the
/// second of two withdrawals at once).
pub async fn withdraw<C: ConnectionTrait>(conn: &C, id: Id, w: &Withdrawal) -> Result<bool> {
    let stmt = Query::update()
        .table(A::Table)
        .value(A::WithdrawnAt, ms(w.at))
        .value(A::WithdrawnBy, w.by)
        .value(A::WithdrawReason, w.reason.clone())
        .and_where(Expr::col(A::Id).eq(id))
        .and_where(Expr::col(A::WithdrawnAt).is_null())
        .to_owned();
    let done = conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(done.rows_affected() == 1)
}

/// Withdrawn attachments of every ticket, the latest withdrawn first, at most `limit`.
pub async fn withdrawn<C: ConnectionTrait>(conn: &C, limit: u64) -> Result<Vec<Attachment>> {
    let stmt = select()
        .and_where(Expr::col(A::WithdrawnAt).is_not_null())
        .order_by(A::WithdrawnAt, Order::Desc)
        .order_by(A::Id, Order::Desc)
        .limit(limit)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(row).collect()
}

fn rule(r: &QueryResult) -> Result<EvidenceRule> {
    let n = |col: &str| -> Result<u32> {
        let v: i32 = get(r, col)?;
        u32::try_from(v).map_err(|_| StorageError::Corrupt(format!("evidence rule {col} {v}")))
    };
    Ok(EvidenceRule { kind: get_code(r, "kind", Kind::from_code)?, before: n("before")?, after: n("after")? })
}

/// Every kind's evidence rule that asks for something.
pub async fn rules<C: ConnectionTrait>(conn: &C) -> Result<Vec<EvidenceRule>> {
    let stmt =
        Query::select().columns([R::Kind, R::Before, R::After]).from(R::Table).order_by(R::Kind, Order::Asc).to_owned();
    conn.query_all(&stmt).await?.iter().map(rule).collect()
}

/// The evidence rule of `kind`, if one is set.
pub async fn rule_of<C: ConnectionTrait>(conn: &C, kind: Kind) -> Result<Option<EvidenceRule>> {
    let stmt = Query::select()
        .columns([R::Kind, R::Before, R::After])
        .from(R::Table)
        .and_where(Expr::col(R::Kind).eq(kind.code()))
        .to_owned();
    conn.query_one(&stmt).await?.as_ref().map(rule).transpose()
}

/// Sets `r` for its kind (a rule of zeros is removed: no rule).
pub async fn put_rule<C: ConnectionTrait>(conn: &C, r: &EvidenceRule, now: Timestamp) -> Result<()> {
    if r.before == 0 && r.after == 0 {
        let stmt = Query::delete().from_table(R::Table).and_where(Expr::col(R::Kind).eq(r.kind.code())).to_owned();
        conn.execute(&stmt).await.map_err(StorageError::from_db)?;
        return Ok(());
    }
    let stmt = Query::insert()
        .into_table(R::Table)
        .columns([R::Kind, R::Before, R::After, R::UpdatedAt])
        .values_panic([r.kind.code().into(), (r.before as i32).into(), (r.after as i32).into(), ms(now).into()])
        .on_conflict(OnConflict::column(R::Kind).update_columns([R::Before, R::After, R::UpdatedAt]).to_owned())
        .to_owned();
    conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(())
}
