//! The service report's versions (issue 14). A version is written once as a draft; its
//! photo list may change while it is the newest draft; signing or refusing it is a
//! conditional update (`WHERE status = 'draft'`), so of two signatures at the same
//! moment only one is recorded.

use aftersales_domain::Id;
use aftersales_domain::service_report::{ReportStatus, ServiceReport, SignChannel, SignerRelationship};
use sea_orm::sea_query::{Expr, ExprTrait, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, QueryResult};

use crate::conv::{get, get_code, get_opt_code, get_opt_ts, get_ts, ms, opt_ms};
use crate::schema::ServiceReports as R;
use crate::{Result, StorageError, insert_returning_id};

const COLS: [R; 15] = [
    R::Id,
    R::TicketId,
    R::Version,
    R::Status,
    R::PhotoIds,
    R::CreatedAt,
    R::CreatedBy,
    R::SignerName,
    R::Relationship,
    R::Channel,
    R::SignedAt,
    R::RecordedBy,
    R::RefusalReason,
    R::PdfSha256,
    R::PdfSize,
];

fn select() -> SelectStatement {
    Query::select().columns(COLS).from(R::Table).to_owned()
}

fn report(r: &QueryResult) -> Result<ServiceReport> {
    let photos: String = get(r, "photo_ids")?;
    let photo_ids: Vec<Id> =
        serde_json::from_str(&photos).map_err(|e| StorageError::Corrupt(format!("report photo ids: {e}")))?;
    Ok(ServiceReport {
        id: get(r, "id")?,
        ticket_id: get(r, "ticket_id")?,
        version: get(r, "version")?,
        status: get_code(r, "status", ReportStatus::from_code)?,
        photo_ids,
        created_at: get_ts(r, "created_at")?,
        created_by: get(r, "created_by")?,
        signer_name: get(r, "signer_name")?,
        relationship: get_opt_code(r, "relationship", SignerRelationship::from_code)?,
        channel: get_opt_code(r, "channel", SignChannel::from_code)?,
        signed_at: get_opt_ts(r, "signed_at")?,
        recorded_by: get(r, "recorded_by")?,
        refusal_reason: get(r, "refusal_reason")?,
        pdf_sha256: get(r, "pdf_sha256")?,
        pdf_size: get(r, "pdf_size")?,
    })
}

fn photos_json(ids: &[Id]) -> String {
    serde_json::to_string(ids).unwrap_or_else(|_| "[]".into())
}

/// Stores a new version (a draft); its id.
pub async fn insert<C: ConnectionTrait>(conn: &C, r: &ServiceReport) -> Result<Id> {
    let stmt = Query::insert()
        .into_table(R::Table)
        .columns([R::TicketId, R::Version, R::Status, R::PhotoIds, R::CreatedAt, R::CreatedBy])
        .values_panic([
            r.ticket_id.into(),
            r.version.into(),
            r.status.code().into(),
            photos_json(&r.photo_ids).into(),
            ms(r.created_at).into(),
            r.created_by.into(),
        ])
        .to_owned();
    insert_returning_id(conn, stmt).await
}

/// Changes the photos of a version still awaiting a signature; false when it is not one.
pub async fn set_photos<C: ConnectionTrait>(conn: &C, id: Id, photo_ids: &[Id]) -> Result<bool> {
    let stmt = Query::update()
        .table(R::Table)
        .value(R::PhotoIds, photos_json(photo_ids))
        .and_where(Expr::col(R::Id).eq(id))
        .and_where(Expr::col(R::Status).eq(ReportStatus::Draft.code()))
        .to_owned();
    Ok(conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected() == 1)
}

/// Records the signature or the refusal of a draft (`r` as it now is); false when the
/// version was no longer a draft (someone signed it first).
pub async fn settle<C: ConnectionTrait>(conn: &C, r: &ServiceReport) -> Result<bool> {
    let stmt = Query::update()
        .table(R::Table)
        .value(R::Status, r.status.code())
        .value(R::SignerName, r.signer_name.clone())
        .value(R::Relationship, r.relationship.map(|x| x.code()))
        .value(R::Channel, r.channel.map(|x| x.code()))
        .value(R::SignedAt, opt_ms(r.signed_at))
        .value(R::RecordedBy, r.recorded_by)
        .value(R::RefusalReason, r.refusal_reason.clone())
        .value(R::PdfSha256, r.pdf_sha256.clone())
        .value(R::PdfSize, r.pdf_size)
        .and_where(Expr::col(R::Id).eq(r.id))
        .and_where(Expr::col(R::Status).eq(ReportStatus::Draft.code()))
        .to_owned();
    Ok(conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected() == 1)
}

pub async fn by_id<C: ConnectionTrait>(conn: &C, id: Id) -> Result<Option<ServiceReport>> {
    let stmt = select().and_where(Expr::col(R::Id).eq(id)).to_owned();
    conn.query_one(&stmt).await?.as_ref().map(report).transpose()
}

/// The version whose kept PDF has this SHA-256.
pub async fn by_pdf<C: ConnectionTrait>(conn: &C, sha256: &str) -> Result<Option<ServiceReport>> {
    let stmt = select().and_where(Expr::col(R::PdfSha256).eq(sha256)).order_by(R::Id, Order::Asc).limit(1).to_owned();
    conn.query_one(&stmt).await?.as_ref().map(report).transpose()
}

/// A ticket's versions, oldest first.
pub async fn of_ticket<C: ConnectionTrait>(conn: &C, ticket: Id) -> Result<Vec<ServiceReport>> {
    let stmt = select().and_where(Expr::col(R::TicketId).eq(ticket)).order_by(R::Version, Order::Asc).to_owned();
    conn.query_all(&stmt).await?.iter().map(report).collect()
}
