//! Fees (seed 003): a ticket's warranty record, quote revisions, settlements, and receipt
//! numbers drawn from a per-year sequence in the writing transaction (so a rolled-back
//! payment leaves no gap, and two payments never share a number: on PostgreSQL the upsert
//! locks the year's row until commit; on SQLite writers are serialized).

use aftersales_domain::customer::Warranty;
use aftersales_domain::fee::{
    ApprovalMethod, FeeFile, FreeReason, PaymentMethod, Quote, QuoteLine, QuoteStatus, Settlement, Totals,
};
use aftersales_domain::{Id, Timestamp};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Order, Query};
use sea_orm::{ConnectionTrait, QueryResult};

use crate::conv::{get, get_code, get_opt_code, get_opt_date, get_opt_ts, get_ts, ms, opt_ms};
use crate::schema::{Quotes, ReceiptSequences, Settlements, TicketFees};
use crate::{Result, StorageError, insert_returning_id};

/// Records the warranty a ticket was registered under.
pub async fn insert_warranty<C: ConnectionTrait>(
    conn: &C,
    ticket: Id,
    warranty: Warranty,
    end: Option<jiff::civil::Date>,
) -> Result<()> {
    let stmt = Query::insert()
        .into_table(TicketFees::Table)
        .columns([TicketFees::TicketId, TicketFees::Warranty, TicketFees::WarrantyEnd])
        .values_panic([ticket.into(), warranty.code().into(), end.map(|d| d.to_string()).into()])
        .to_owned();
    conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(())
}

/// Sets the callback due date of a ticket (a ticket registered before fees existed gets a
/// row with an unknown warranty).
pub async fn set_callback_due<C: ConnectionTrait>(conn: &C, ticket: Id, at: Timestamp) -> Result<()> {
    let stmt = Query::insert()
        .into_table(TicketFees::Table)
        .columns([TicketFees::TicketId, TicketFees::Warranty, TicketFees::CallbackDueAt])
        .values_panic([ticket.into(), Warranty::Unknown.code().into(), ms(at).into()])
        .on_conflict(OnConflict::column(TicketFees::TicketId).update_column(TicketFees::CallbackDueAt).to_owned())
        .to_owned();
    conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(())
}

fn quote(r: &QueryResult) -> Result<Quote> {
    let lines: String = get(r, "lines")?;
    let lines: Vec<QuoteLine> =
        serde_json::from_str(&lines).map_err(|e| StorageError::Corrupt(format!("quote lines: {e}")))?;
    Ok(Quote {
        id: get(r, "id")?,
        ticket_id: get(r, "ticket_id")?,
        revision: get(r, "revision")?,
        status: get_code(r, "status", QuoteStatus::from_code)?,
        lines,
        totals: Totals {
            subtotal: get(r, "subtotal")?,
            tax_rate_bp: get(r, "tax_rate_bp")?,
            tax: get(r, "tax")?,
            total: get(r, "total")?,
        },
        internal_note: get(r, "internal_note")?,
        created_at: get_ts(r, "created_at")?,
        created_by: get(r, "created_by")?,
        decided_at: get_opt_ts(r, "decided_at")?,
        decided_by: get(r, "decided_by")?,
        approval: get_opt_code(r, "approval", ApprovalMethod::from_code)?,
        signed_by: get(r, "signed_by")?,
        refusal_reason: get(r, "refusal_reason")?,
    })
}

fn settlement(r: &QueryResult) -> Result<Settlement> {
    Ok(Settlement {
        id: get(r, "id")?,
        ticket_id: get(r, "ticket_id")?,
        quote_id: get(r, "quote_id")?,
        receipt_no: get(r, "receipt_no")?,
        amount: get(r, "amount")?,
        method: get_opt_code(r, "method", PaymentMethod::from_code)?,
        reference: get(r, "reference")?,
        free_reason: get_opt_code(r, "free_reason", FreeReason::from_code)?,
        note: get(r, "note")?,
        at: get_ts(r, "at")?,
        by: get(r, "by")?,
    })
}

const QUOTE_COLS: [Quotes; 17] = [
    Quotes::Id,
    Quotes::TicketId,
    Quotes::Revision,
    Quotes::Status,
    Quotes::Lines,
    Quotes::Subtotal,
    Quotes::TaxRateBp,
    Quotes::Tax,
    Quotes::Total,
    Quotes::InternalNote,
    Quotes::CreatedAt,
    Quotes::CreatedBy,
    Quotes::DecidedAt,
    Quotes::DecidedBy,
    Quotes::Approval,
    Quotes::SignedBy,
    Quotes::RefusalReason,
];

const SETTLEMENT_COLS: [Settlements; 11] = [
    Settlements::Id,
    Settlements::TicketId,
    Settlements::QuoteId,
    Settlements::ReceiptNo,
    Settlements::Amount,
    Settlements::Method,
    Settlements::Reference,
    Settlements::FreeReason,
    Settlements::Note,
    Settlements::At,
    Settlements::By,
];

/// Everything about a ticket's fees: its warranty record, revisions oldest first,
/// settlements in order.
pub async fn file<C: ConnectionTrait>(conn: &C, ticket: Id) -> Result<FeeFile> {
    let stmt = Query::select()
        .columns([TicketFees::Warranty, TicketFees::WarrantyEnd, TicketFees::CallbackDueAt])
        .from(TicketFees::Table)
        .and_where(Expr::col(TicketFees::TicketId).eq(ticket))
        .to_owned();
    let (warranty, warranty_end, callback_due_at) = match conn.query_one(&stmt).await? {
        Some(r) => (
            get_code(&r, "warranty", Warranty::from_code)?,
            get_opt_date(&r, "warranty_end")?,
            get_opt_ts(&r, "callback_due_at")?,
        ),
        None => (Warranty::Unknown, None, None),
    };
    let stmt = Query::select()
        .columns(QUOTE_COLS)
        .from(Quotes::Table)
        .and_where(Expr::col(Quotes::TicketId).eq(ticket))
        .order_by(Quotes::Revision, Order::Asc)
        .to_owned();
    let quotes = conn.query_all(&stmt).await?.iter().map(quote).collect::<Result<Vec<_>>>()?;
    let stmt = Query::select()
        .columns(SETTLEMENT_COLS)
        .from(Settlements::Table)
        .and_where(Expr::col(Settlements::TicketId).eq(ticket))
        .order_by(Settlements::Id, Order::Asc)
        .to_owned();
    let settlements = conn.query_all(&stmt).await?.iter().map(settlement).collect::<Result<Vec<_>>>()?;
    Ok(FeeFile { ticket_id: ticket, warranty, warranty_end, callback_due_at, quotes, settlements })
}

/// The warranty judged at registration of each of `tickets` that has one (a board page's
/// rows), in one statement per batch.
pub async fn warranties<C: ConnectionTrait>(conn: &C, tickets: &[Id]) -> Result<Vec<(Id, Warranty)>> {
    let mut out = Vec::with_capacity(tickets.len());
    for chunk in tickets.chunks(500) {
        let stmt = Query::select()
            .columns([TicketFees::TicketId, TicketFees::Warranty])
            .from(TicketFees::Table)
            .and_where(Expr::col(TicketFees::TicketId).is_in(chunk.iter().copied()))
            .to_owned();
        for r in conn.query_all(&stmt).await? {
            out.push((get(&r, "ticket_id")?, get_code(&r, "warranty", Warranty::from_code)?));
        }
    }
    Ok(out)
}

/// Writes a new revision (pending); the unique (ticket, revision) index refuses a second
/// writer of the same revision.
pub async fn insert_quote<C: ConnectionTrait>(conn: &C, q: &Quote) -> Result<Id> {
    let lines = serde_json::to_string(&q.lines).map_err(|e| StorageError::Corrupt(format!("quote lines: {e}")))?;
    let stmt = Query::insert()
        .into_table(Quotes::Table)
        .columns([
            Quotes::TicketId,
            Quotes::Revision,
            Quotes::Status,
            Quotes::Lines,
            Quotes::Subtotal,
            Quotes::TaxRateBp,
            Quotes::Tax,
            Quotes::Total,
            Quotes::InternalNote,
            Quotes::CreatedAt,
            Quotes::CreatedBy,
        ])
        .values_panic([
            q.ticket_id.into(),
            q.revision.into(),
            q.status.code().into(),
            lines.into(),
            q.totals.subtotal.into(),
            q.totals.tax_rate_bp.into(),
            q.totals.tax.into(),
            q.totals.total.into(),
            q.internal_note.clone().into(),
            ms(q.created_at).into(),
            q.created_by.into(),
        ])
        .to_owned();
    insert_returning_id(conn, stmt).await
}

/// Records a decision on a revision that is still `from`; false when it is not any more
/// (another request decided or superseded it meanwhile).
pub async fn decide_quote<C: ConnectionTrait>(conn: &C, q: &Quote, from: QuoteStatus) -> Result<bool> {
    let stmt = Query::update()
        .table(Quotes::Table)
        .value(Quotes::Status, q.status.code())
        .value(Quotes::DecidedAt, opt_ms(q.decided_at))
        .value(Quotes::DecidedBy, q.decided_by)
        .value(Quotes::Approval, q.approval.map(|a| a.code().to_owned()))
        .value(Quotes::SignedBy, q.signed_by.clone())
        .value(Quotes::RefusalReason, q.refusal_reason.clone())
        .and_where(Expr::col(Quotes::Id).eq(q.id))
        .and_where(Expr::col(Quotes::Status).eq(from.code()))
        .to_owned();
    let r = conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(r.rows_affected() == 1)
}

/// The next receipt sequence of `year` (1 for the first), in the caller's transaction.
pub async fn next_receipt<C: ConnectionTrait>(conn: &C, year: i16) -> Result<i64> {
    let stmt = Query::insert()
        .into_table(ReceiptSequences::Table)
        .columns([ReceiptSequences::Year, ReceiptSequences::LastSeq])
        .values_panic([i32::from(year).into(), 1i64.into()])
        .on_conflict(
            OnConflict::column(ReceiptSequences::Year)
                .value(
                    ReceiptSequences::LastSeq,
                    Expr::col((ReceiptSequences::Table, ReceiptSequences::LastSeq)).add(1),
                )
                .to_owned(),
        )
        .returning_col(ReceiptSequences::LastSeq)
        .to_owned();
    let row = conn
        .query_one(&stmt)
        .await?
        .ok_or_else(|| StorageError::Corrupt("receipt sequence upsert returned no row".into()))?;
    get(&row, "last_seq")
}

pub async fn insert_settlement<C: ConnectionTrait>(conn: &C, s: &Settlement) -> Result<Id> {
    let stmt = Query::insert()
        .into_table(Settlements::Table)
        .columns([
            Settlements::TicketId,
            Settlements::QuoteId,
            Settlements::ReceiptNo,
            Settlements::Amount,
            Settlements::Method,
            Settlements::Reference,
            Settlements::FreeReason,
            Settlements::Note,
            Settlements::At,
            Settlements::By,
        ])
        .values_panic([
            s.ticket_id.into(),
            s.quote_id.into(),
            s.receipt_no.clone().into(),
            s.amount.into(),
            s.method.map(|m| m.code().to_owned()).into(),
            s.reference.clone().into(),
            s.free_reason.map(|f| f.code().to_owned()).into(),
            s.note.clone().into(),
            ms(s.at).into(),
            s.by.into(),
        ])
        .to_owned();
    insert_returning_id(conn, stmt).await
}

/// One settlement by its receipt number (the printable receipt).
pub async fn settlement_by_receipt<C: ConnectionTrait>(conn: &C, receipt_no: &str) -> Result<Option<Settlement>> {
    let stmt = Query::select()
        .columns(SETTLEMENT_COLS)
        .from(Settlements::Table)
        .and_where(Expr::col(Settlements::ReceiptNo).eq(receipt_no))
        .to_owned();
    conn.query_one(&stmt).await?.as_ref().map(settlement).transpose()
}

/// Locks the ticket's fee row for the rest of the transaction (made if missing): fee
/// changes of one ticket queue behind each other instead of both reading the same totals.
pub async fn lock<C: ConnectionTrait>(conn: &C, ticket: Id) -> Result<()> {
    let stmt = Query::insert()
        .into_table(TicketFees::Table)
        .columns([TicketFees::TicketId, TicketFees::Warranty])
        .values_panic([ticket.into(), Warranty::Unknown.code().into()])
        .on_conflict(
            OnConflict::column(TicketFees::TicketId)
                .value(TicketFees::Warranty, Expr::col((TicketFees::Table, TicketFees::Warranty)))
                .to_owned(),
        )
        .to_owned();
    conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(())
}
