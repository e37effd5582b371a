//! Fees (费用, DOMAIN §2, seed 003): the warranty status fixed at registration, the
//! itemised quote the customer approves before chargeable work starts, settlement with a
//! receipt, and the consumables service's callback date.
//!
//! Money is integer fen. Unit prices are before tax; the tax is computed once on the
//! subtotal, rounded half up to the fen (`tax_of`): one rounding per quote, so a quote of
//! many small lines is not off by a fen per line, and the total is exactly subtotal + tax.

use serde::{Deserialize, Serialize};

use crate::coded_enum;
use crate::customer::Warranty;
use crate::error::{Field, Reason};
use crate::lang::Lang;
use crate::ticket::{Kind, Status, Ticket};
use crate::{DomainError, Id, Timestamp};

/// The warranty term counted from the purchase date when a device has no warranty end
/// (a setting; one year by default).
pub const DEFAULT_WARRANTY_MONTHS: i64 = 12;
/// The tax rate in basis points (a setting; 13 %, China's VAT on goods and repair services).
pub const DEFAULT_TAX_RATE_BP: i64 = 1300;
/// Seed 003: the callback is made within 3 to 5 working days after the service.
pub const CALLBACK_EARLIEST_DAYS: i64 = 3;
pub const CALLBACK_DAYS: i64 = 5;
/// Bounds that keep every total far inside `i64` and catch typing slips.
pub const MAX_LINES: usize = 50;
pub const MAX_QUANTITY: i64 = 100_000;
/// 1 000 000 yuan per unit.
pub const MAX_UNIT_PRICE: i64 = 100_000_000;
/// 10 000 000 yuan for a whole quote.
pub const MAX_TOTAL: i64 = 1_000_000_000;
pub const MAX_TAX_RATE_BP: i64 = 10_000;

coded_enum! {
    /// What a quote line charges for.
    pub enum LineKind {
        Part = ("part", "备件", "Part"),
        Labour = ("labour", "人工", "Labour"),
        Travel = ("travel", "差旅", "Travel"),
        Other = ("other", "其他", "Other"),
    }
}

coded_enum! {
    /// Where a quote revision stands. Only the newest revision can be pending or approved;
    /// a change makes a new revision and supersedes the one before.
    pub enum QuoteStatus {
        Pending = ("pending", "待客户确认", "Awaiting the customer's approval"),
        Approved = ("approved", "已确认", "Approved"),
        Refused = ("refused", "已拒绝", "Refused"),
        Superseded = ("superseded", "已作废", "Superseded"),
    }
}

coded_enum! {
    /// How the customer approved.
    pub enum ApprovalMethod {
        Portal = ("portal", "门户确认", "In the portal"),
        EmailLink = ("email_link", "邮件链接确认", "By the e-mailed link"),
        Paper = ("paper", "纸质签字", "Signed on paper"),
    }
}

coded_enum! {
    pub enum PaymentMethod {
        Cash = ("cash", "现金", "Cash"),
        Transfer = ("transfer", "转账", "Bank transfer"),
        Wechat = ("wechat", "微信", "WeChat Pay"),
        Alipay = ("alipay", "支付宝", "Alipay"),
        Other = ("other", "其他", "Other"),
    }
}

coded_enum! {
    /// Why work is recorded with zero charge.
    pub enum FreeReason {
        Warranty = ("warranty", "保修期内免费", "Free under warranty"),
        Contract = ("contract", "合同内", "Covered by the service contract"),
        Goodwill = ("goodwill", "商誉赠送", "Goodwill"),
    }
}

/// One line of a quote as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    pub kind: LineKind,
    pub description: String,
    /// A part number of the parts catalog (a part line only; it must fit the device). An
    /// empty description takes the part's name.
    #[serde(default)]
    pub part_no: Option<String>,
    pub quantity: i64,
    /// Fen, before tax.
    pub unit_price: i64,
}

/// A quote as typed: its lines, and a note for the staff only.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct QuoteInput {
    pub lines: Vec<LineInput>,
    /// Internal: never shown to the customer.
    #[serde(default)]
    pub internal_note: Option<String>,
}

/// A checked line with its amount (quantity × unit price, fen).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuoteLine {
    pub kind: LineKind,
    pub description: String,
    pub part_no: Option<String>,
    pub quantity: i64,
    pub unit_price: i64,
    pub amount: i64,
}

/// Exact totals of a quote, fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Totals {
    pub subtotal: i64,
    pub tax_rate_bp: i64,
    pub tax: i64,
    pub total: i64,
}

/// One revision of a ticket's quote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Quote {
    pub id: Id,
    pub ticket_id: Id,
    /// 1 for the first quote of the ticket, then one more per change.
    pub revision: i32,
    pub status: QuoteStatus,
    pub lines: Vec<QuoteLine>,
    pub totals: Totals,
    pub internal_note: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    pub created_by: Id,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub decided_at: Option<Timestamp>,
    /// The user who approved or refused (the contact's account, or the staff who recorded
    /// a paper signature).
    pub decided_by: Option<Id>,
    pub approval: Option<ApprovalMethod>,
    /// Who signed a paper quote (name as written).
    pub signed_by: Option<String>,
    pub refusal_reason: Option<String>,
}

/// A line an amount problem is on (1-based), for `Reason::AtLine`.
fn at_line(i: usize, en: &str, zh: &str) -> (Field, Reason) {
    ("lines", Reason::AtLine { line: i + 1, en: en.into(), zh: zh.into() })
}

/// Issue 13: a quote's part lines name parts of the catalog. A line with a part number must
/// be a part line, name an active part of `catalog` (the parts with the numbers the lines
/// give) that fits the device's `model`; an empty description takes the part's name. The
/// price stays what the engineer quotes. Problems are named by line, as [`price`] names them.
/// The input with its descriptions filled, and the problems.
fn link_parts(
    input: &QuoteInput,
    catalog: &[crate::parts::Part],
    model: Option<&str>,
) -> (QuoteInput, Vec<(Field, Reason)>) {
    let mut p = Vec::new();
    let mut out = input.clone();
    for (i, l) in out.lines.iter_mut().enumerate() {
        let Some(number) = l.part_no.as_deref().map(str::trim).filter(|s| !s.is_empty()) else { continue };
        if l.kind != LineKind::Part {
            p.push(at_line(i, "only a part line names a part number", "只有备件项可填写备件编号"));
            continue;
        }
        match catalog.iter().find(|x| x.number == number) {
            None => p.push(at_line(
                i,
                &format!("the part number {number} is not in the parts catalog"),
                &format!("备件编号 {number} 不在备件目录中"),
            )),
            Some(x) if !x.active => p.push(at_line(
                i,
                &format!("the part {number} is no longer supplied"),
                &format!("备件 {number} 已停用"),
            )),
            Some(x) if !x.fits(model) => p.push(at_line(
                i,
                &format!("the part {number} does not fit the device model {}", model.unwrap_or_default()),
                &format!("备件 {number} 不适用于设备型号 {}", model.unwrap_or_default()),
            )),
            Some(x) => {
                l.part_no = Some(x.number.clone());
                if l.description.trim().is_empty() {
                    l.description = x.name.clone();
                }
            }
        }
    }
    (out, p)
}

/// A quote's lines linked to the parts catalog ([`link_parts`]) and priced ([`price`]);
/// every problem of both, in line order.
pub fn price_with_catalog(
    input: &QuoteInput,
    catalog: &[crate::parts::Part],
    model: Option<&str>,
    tax_rate_bp: i64,
) -> Result<(Vec<QuoteLine>, Totals), DomainError> {
    let (linked, mut p) = link_parts(input, catalog, model);
    match price(&linked, tax_rate_bp) {
        Ok(priced) if p.is_empty() => return Ok(priced),
        Ok(_) => {}
        Err(DomainError::Invalid(more)) => p.extend(more),
        Err(e) => return Err(e),
    }
    p.sort_by_key(|(_, r)| match r {
        Reason::AtLine { line, .. } => *line,
        _ => 0,
    });
    Err(DomainError::Invalid(p))
}

/// Half-up rounding of `subtotal × rate` to the fen; `None` on overflow.
pub fn tax_of(subtotal: i64, tax_rate_bp: i64) -> Option<i64> {
    let raw = i128::from(subtotal).checked_mul(i128::from(tax_rate_bp))?;
    i64::try_from((raw + 5_000) / 10_000).ok()
}

/// Checks a quote as typed and computes its lines and exact totals. Every line problem is
/// reported at once, each naming its line.
pub fn price(input: &QuoteInput, tax_rate_bp: i64) -> Result<(Vec<QuoteLine>, Totals), DomainError> {
    let mut p = Vec::new();
    if input.lines.is_empty() {
        p.push(("lines", Reason::Missing));
    }
    if input.lines.len() > MAX_LINES {
        p.push(("lines", Reason::TooLong { max: MAX_LINES }));
    }
    if !(0..=MAX_TAX_RATE_BP).contains(&tax_rate_bp) {
        p.push(("tax_rate_bp", Reason::Malformed { expected_en: "0 to 10000", expected_zh: "0 到 10000 之间" }));
    }
    let mut lines = Vec::with_capacity(input.lines.len());
    let mut subtotal: i64 = 0;
    let mut overflow = false;
    for (i, l) in input.lines.iter().enumerate() {
        let description = l.description.trim();
        if description.is_empty() {
            p.push(at_line(i, "the description is required", "须填写项目说明"));
        } else if description.chars().count() > 200 {
            p.push(at_line(i, "the description is too long (at most 200 characters)", "项目说明过长，最多 200 个字符"));
        }
        let part_no = l.part_no.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        if part_no.as_ref().is_some_and(|s| s.chars().count() > 64) {
            p.push(at_line(i, "the part number is too long (at most 64 characters)", "备件编号过长，最多 64 个字符"));
        }
        if l.quantity <= 0 {
            p.push(at_line(i, "the quantity must be a whole number above 0", "数量须为大于 0 的整数"));
        } else if l.quantity > MAX_QUANTITY {
            p.push(at_line(i, "the quantity is too large (at most 100000)", "数量过大，最多 100000"));
        }
        if l.unit_price < 0 {
            p.push(at_line(i, "the unit price cannot be negative", "单价不能为负数"));
        } else if l.unit_price > MAX_UNIT_PRICE {
            p.push(at_line(i, "the unit price is too large (at most ¥1,000,000.00)", "单价过大，最多 ¥1,000,000.00"));
        }
        let amount = l.quantity.checked_mul(l.unit_price).unwrap_or(i64::MAX);
        match subtotal.checked_add(amount) {
            Some(s) => subtotal = s,
            None => overflow = true,
        }
        lines.push(QuoteLine {
            kind: l.kind,
            description: description.to_owned(),
            part_no,
            quantity: l.quantity,
            unit_price: l.unit_price,
            amount,
        });
    }
    let tax = tax_of(subtotal, tax_rate_bp);
    let total = tax.and_then(|t| subtotal.checked_add(t));
    if p.is_empty() && (overflow || total.is_none_or(|t| t > MAX_TOTAL)) {
        p.push((
            "lines",
            Reason::Mismatch {
                detail_en: "add up to more than ¥10,000,000.00; split the work into several quotes",
                detail_zh: "合计超过 ¥10,000,000.00，请拆分报价",
            },
        ));
    }
    match (p.is_empty(), tax, total) {
        (true, Some(tax), Some(total)) => Ok((lines, Totals { subtotal, tax_rate_bp, tax, total })),
        _ => Err(DomainError::Invalid(p)),
    }
}

/// Why a fee step is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeeConflict {
    /// The revision was already approved, refused or superseded.
    QuoteDecided {
        revision: i32,
        status: QuoteStatus,
    },
    /// The approval names an older revision than the current one (the quote changed).
    QuoteChanged {
        named: i32,
        current: i32,
    },
    /// Chargeable work cannot start before the customer approved the quote.
    StartNeedsApproval {
        warranty: Warranty,
        consumables: bool,
    },
    /// A payment needs an approved quote.
    PaymentNeedsApproval,
    /// More than what remains to pay.
    Overpaid {
        remaining: i64,
    },
    /// Already settled (paid in full or recorded free).
    Settled,
    /// A quote or payment on a ticket that is no longer open (closed or cancelled).
    TicketFinished {
        status: Status,
    },
    NoQuote,
    /// The decision names a revision this ticket never had (another ticket's quote).
    UnknownRevision {
        named: i32,
    },
}

impl FeeConflict {
    pub fn code(&self) -> &'static str {
        match self {
            FeeConflict::QuoteDecided { .. } => "quote_decided",
            FeeConflict::QuoteChanged { .. } => "quote_changed",
            FeeConflict::StartNeedsApproval { .. } => "quote_not_approved",
            FeeConflict::PaymentNeedsApproval => "payment_needs_approval",
            FeeConflict::Overpaid { .. } => "overpaid",
            FeeConflict::Settled => "settled",
            FeeConflict::TicketFinished { .. } => "not_editable",
            FeeConflict::NoQuote => "no_quote",
            FeeConflict::UnknownRevision { .. } => "unknown_revision",
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        let (en, zh) = match self {
            FeeConflict::QuoteDecided { revision, status } => (
                format!(
                    "Quote revision {revision} is already {}; it cannot be decided again",
                    status.label(Lang::En).to_lowercase()
                ),
                format!("第 {revision} 版报价{}，不能再次确认或拒绝", status.label(Lang::Zh)),
            ),
            FeeConflict::QuoteChanged { named, current } => (
                format!(
                    "The quote changed after revision {named} (now revision {current}); review the current quote and decide on it"
                ),
                format!("报价已由第 {named} 版修改为第 {current} 版，请查看最新报价后再确认"),
            ),
            FeeConflict::StartNeedsApproval { warranty, consumables } => {
                let why_en = if *consumables { "consumable replacement" } else { warranty.label(Lang::En) };
                let why_zh = if *consumables { "耗材更换" } else { warranty.label(Lang::Zh) };
                (
                    format!(
                        "This work is chargeable ({}): the customer must approve the quote before it starts (or record it as free with a reason)",
                        why_en.to_lowercase()
                    ),
                    format!("本工单为收费服务（{why_zh}），须客户确认报价后才能开始处理（或登记免费及原因）"),
                )
            }
            FeeConflict::PaymentNeedsApproval => (
                "A payment can be recorded only against a quote the customer approved".into(),
                "报价尚未经客户确认，不能登记收款".into(),
            ),
            FeeConflict::Overpaid { remaining } => (
                format!("The amount is more than the {} that remains to be paid", yuan(*remaining)),
                format!("收款金额超过待收金额 {}", yuan(*remaining)),
            ),
            FeeConflict::Settled => ("The fees of this ticket are already settled".into(), "本工单费用已结清".into()),
            FeeConflict::TicketFinished { status } => (
                format!("The ticket is {}; its fees can no longer be changed", status.label(Lang::En).to_lowercase()),
                format!("工单{}，不能再修改费用", status.label(Lang::Zh)),
            ),
            FeeConflict::NoQuote => ("This ticket has no quote".into(), "本工单没有报价".into()),
            FeeConflict::UnknownRevision { named } => (
                format!("This ticket has no quote revision {named}; check that it is the right ticket"),
                format!("本工单没有第 {named} 版报价，请核对工单"),
            ),
        };
        match lang {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

impl From<FeeConflict> for DomainError {
    fn from(c: FeeConflict) -> Self {
        DomainError::Conflict(crate::error::Conflict::Fee(c))
    }
}

/// Fen as people read it: `¥1,234.50` (negative amounts never reach a person).
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    let whole = (fen / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}¥{grouped}.{:02}", fen % 100)
}

/// Reads an amount typed in yuan (`1234.5`, `1,234.50`, `¥80`) as fen: at most two decimals,
/// never negative. `None` when it is not such an amount.
pub fn parse_yuan(text: &str) -> Option<i64> {
    let t: String = text.trim().trim_start_matches(['¥', '￥']).chars().filter(|c| *c != ',').collect();
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 2 {
        return None;
    }
    if !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let cents = format!("{frac:0<2}").parse::<i64>().ok()?;
    whole.parse::<i64>().ok()?.checked_mul(100)?.checked_add(cents)
}

/// Fen as a form shows it for editing (`1234.50`).
pub fn yuan_plain(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, (fen % 100).abs())
}

/// DOMAIN §2 fees, seed 003: chargeable work needs the customer's approved quote before it
/// starts: out-of-warranty repairs and consumable replacement. Work in warranty, or whose
/// warranty is unknown (no device, no dates: the desk decides and may still quote), does not.
pub fn quote_needed(warranty: Warranty, kind: Kind) -> bool {
    kind == Kind::Consumables || warranty == Warranty::OutOfWarranty
}

/// What a ticket's fees are: its warranty as judged at registration, its quote revisions
/// (newest last), its settlements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeeFile {
    pub ticket_id: Id,
    pub warranty: Warranty,
    /// The warranty end it was judged by (the device's, or purchase date + the default term).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = Date))]
    pub warranty_end: Option<jiff::civil::Date>,
    /// Seed 003: the callback of a consumables service is due within 3–5 working days.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub callback_due_at: Option<Timestamp>,
    pub quotes: Vec<Quote>,
    pub settlements: Vec<Settlement>,
}

impl FeeFile {
    /// The newest revision (the only one that can be pending or approved).
    pub fn current(&self) -> Option<&Quote> {
        self.quotes.last()
    }

    /// The approved quote in force, if the newest revision is approved.
    pub fn approved(&self) -> Option<&Quote> {
        self.current().filter(|q| q.status == QuoteStatus::Approved)
    }

    pub fn paid(&self) -> i64 {
        self.settlements.iter().map(|s| s.amount).sum()
    }

    pub fn recorded_free(&self) -> bool {
        self.settlements.iter().any(|s| s.free_reason.is_some())
    }

    /// What remains to be paid on the approved quote.
    pub fn remaining(&self) -> Option<i64> {
        self.approved().map(|q| q.totals.total - self.paid())
    }

    /// Whether the ticket's work may start (the start step is blocked, not later steps:
    /// seed 003 "服务方案经客户确认后，立即组织资源实施" — the plan with its fees is confirmed,
    /// then work is organised; parts are requested after the start).
    pub fn may_start(&self, kind: Kind) -> Result<(), FeeConflict> {
        if !quote_needed(self.warranty, kind) || self.approved().is_some() || self.recorded_free() {
            return Ok(());
        }
        Err(FeeConflict::StartNeedsApproval { warranty: self.warranty, consumables: kind == Kind::Consumables })
    }

    /// The next revision number.
    pub fn next_revision(&self) -> i32 {
        self.current().map_or(1, |q| q.revision + 1)
    }

    /// Whether a new quote revision may be written (DOMAIN: an approved quote is frozen; a
    /// change makes a new revision that needs a new approval). Refused once settled.
    pub fn may_revise(&self, t: &Ticket) -> Result<(), FeeConflict> {
        finished(t)?;
        if self.recorded_free() || (self.approved().is_some() && self.paid() > 0) {
            return Err(FeeConflict::Settled);
        }
        Ok(())
    }

    /// Checks a decision on revision `named` (what the customer saw): it must be the
    /// current revision and still pending.
    pub fn decidable(&self, t: &Ticket, named: Option<i32>) -> Result<&Quote, FeeConflict> {
        finished(t)?;
        let q = self.current().ok_or(FeeConflict::NoQuote)?;
        if let Some(named) = named
            && named != q.revision
        {
            return match self.quotes.iter().find(|x| x.revision == named) {
                Some(old) if old.status != QuoteStatus::Superseded => {
                    Err(FeeConflict::QuoteDecided { revision: named, status: old.status })
                }
                Some(_) => Err(FeeConflict::QuoteChanged { named, current: q.revision }),
                None => Err(FeeConflict::UnknownRevision { named }),
            };
        }
        if q.status != QuoteStatus::Pending {
            return Err(FeeConflict::QuoteDecided { revision: q.revision, status: q.status });
        }
        Ok(q)
    }

    /// Checks a payment of `amount` fen (> 0): against an approved quote, never more than
    /// what remains.
    pub fn may_pay(&self, t: &Ticket, amount: i64) -> Result<(), FeeConflict> {
        finished(t)?;
        if self.recorded_free() {
            return Err(FeeConflict::Settled);
        }
        let remaining = self.remaining().ok_or(FeeConflict::PaymentNeedsApproval)?;
        if remaining <= 0 {
            return Err(FeeConflict::Settled);
        }
        if amount > remaining {
            return Err(FeeConflict::Overpaid { remaining });
        }
        Ok(())
    }

    /// Checks a zero-charge record: not once anything was paid or already recorded free.
    pub fn may_record_free(&self, t: &Ticket) -> Result<(), FeeConflict> {
        finished(t)?;
        if !self.settlements.is_empty() {
            return Err(FeeConflict::Settled);
        }
        Ok(())
    }
}

fn finished(t: &Ticket) -> Result<(), FeeConflict> {
    if matches!(t.status, Status::Closed | Status::Cancelled) {
        return Err(FeeConflict::TicketFinished { status: t.status });
    }
    Ok(())
}

/// A payment, or work recorded with zero charge and why; each has its receipt number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Settlement {
    pub id: Id,
    pub ticket_id: Id,
    /// The approved quote paid (none for a zero-charge record).
    pub quote_id: Option<Id>,
    pub receipt_no: String,
    /// Fen; 0 for a zero-charge record.
    pub amount: i64,
    pub method: Option<PaymentMethod>,
    /// The bank or payment reference (转账流水号, 微信/支付宝交易单号).
    pub reference: Option<String>,
    pub free_reason: Option<FreeReason>,
    pub note: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    pub by: Id,
}

/// The current quote as the customer sees it (DOMAIN §8: fees that concern them; never the
/// internal note, never superseded revisions' drafts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerQuote {
    pub revision: i32,
    pub status: QuoteStatus,
    pub lines: Vec<QuoteLine>,
    pub totals: Totals,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub decided_at: Option<Timestamp>,
    pub approval: Option<ApprovalMethod>,
    pub refusal_reason: Option<String>,
}

/// A receipt as the customer sees it (and as it is printed for them: never the staff's
/// note on the settlement).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerReceipt {
    pub receipt_no: String,
    pub amount: i64,
    pub method: Option<PaymentMethod>,
    /// The customer's own payment reference (转账流水号, 交易单号).
    pub reference: Option<String>,
    pub free_reason: Option<FreeReason>,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
}

impl CustomerReceipt {
    pub fn of(s: &Settlement) -> CustomerReceipt {
        CustomerReceipt {
            receipt_no: s.receipt_no.clone(),
            amount: s.amount,
            method: s.method,
            reference: s.reference.clone(),
            free_reason: s.free_reason,
            at: s.at,
        }
    }
}

/// A ticket's fees in the customer's projection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerFees {
    pub warranty: Warranty,
    pub quote: Option<CustomerQuote>,
    pub receipts: Vec<CustomerReceipt>,
    /// Still to pay on the approved quote.
    pub remaining: Option<i64>,
}

impl CustomerFees {
    pub fn project(f: &FeeFile) -> CustomerFees {
        CustomerFees {
            warranty: f.warranty,
            quote: f.current().map(|q| CustomerQuote {
                revision: q.revision,
                status: q.status,
                lines: q.lines.clone(),
                totals: q.totals,
                created_at: q.created_at,
                decided_at: q.decided_at,
                approval: q.approval,
                refusal_reason: q.refusal_reason.clone(),
            }),
            receipts: f.settlements.iter().map(CustomerReceipt::of).collect(),
            remaining: f.remaining(),
        }
    }
}

/// A receipt number: `SJ` (收据), the year, and the year's sequence: `SJ2026-00001`.
pub fn receipt_no(year: i16, seq: i64) -> String {
    format!("SJ{year:04}-{seq:05}")
}

/// Checks a payment as typed.
pub fn check_payment(amount: i64, reference: Option<&str>) -> Result<(), DomainError> {
    let mut p = Vec::new();
    if amount <= 0 {
        p.push((
            "amount",
            Reason::Mismatch { detail_en: "must be above 0 (fen)", detail_zh: "须为大于 0 的金额（分）" },
        ));
    } else if amount > MAX_TOTAL {
        p.push(("amount", Reason::Mismatch { detail_en: "is too large", detail_zh: "金额过大" }));
    }
    if reference.is_some_and(|r| r.chars().count() > 64) {
        p.push(("reference", Reason::TooLong { max: 64 }));
    }
    if p.is_empty() { Ok(()) } else { Err(DomainError::Invalid(p)) }
}

/// Seed 003: a consumables service is called back within 3–5 working days of the service;
/// the date recorded is the end of that window: the end of the fifth working day after the
/// day of the resolution, on the ticket's calendar.
pub fn callback_due(cal: &crate::calendar::Calendar, resolved_at: Timestamp) -> Option<Timestamp> {
    let days = i32::try_from(CALLBACK_DAYS).ok()?;
    let from = cal.end_of_working_day(resolved_at).filter(|e| *e >= resolved_at).unwrap_or(resolved_at);
    cal.add(from, cal.day_length() * days).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(quantity: i64, unit_price: i64) -> LineInput {
        LineInput {
            kind: LineKind::Labour, description: "更换定影组件".into(), part_no: None, quantity, unit_price
        }
    }

    #[test]
    fn tax_is_rounded_once_on_the_subtotal_half_up() {
        // Three lines of ¥3.33: per line the tax would be 43.29 → 43 fen, 129 in all; on the
        // subtotal 999 × 13 % = 129.87 → 130 fen.
        let q = QuoteInput { lines: vec![line(1, 333), line(1, 333), line(1, 333)], internal_note: None };
        let Ok((_, t)) = price(&q, 1300) else { panic!("priced") };
        assert_eq!(t, Totals { subtotal: 999, tax_rate_bp: 1300, tax: 130, total: 1129 });
        assert_eq!(tax_of(50, 1000), Some(5));
        assert_eq!(tax_of(5, 1000), Some(1), "0.5 fen rounds up");
        assert_eq!(tax_of(4, 1000), Some(0));
        let Ok((lines, t)) = price(&QuoteInput { lines: vec![line(3, 12_050)], internal_note: None }, 600) else {
            panic!("priced")
        };
        assert_eq!(lines[0].amount, 36_150);
        assert_eq!((t.tax, t.total), (2_169, 38_319));
    }

    #[test]
    fn bad_lines_are_named_by_number_and_overflow_is_refused() {
        let q = QuoteInput { lines: vec![line(1, 100), line(0, 100), line(2, -5)], internal_note: None };
        let Err(DomainError::Invalid(p)) = price(&q, 1300) else { panic!() };
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(matches!(&p[0].1, Reason::AtLine { line: 2, .. }));
        assert!(matches!(&p[1].1, Reason::AtLine { line: 3, .. }));
        let big = QuoteInput { lines: vec![line(MAX_QUANTITY, MAX_UNIT_PRICE)], internal_note: None };
        let Err(DomainError::Invalid(p)) = price(&big, 1300) else { panic!() };
        assert_eq!(p[0].0, "lines");
        assert!(price(&QuoteInput::default(), 1300).is_err());
    }

    #[test]
    fn money_reads_in_yuan_and_receipts_number_per_year() {
        assert_eq!(yuan(123_456_789), "¥1,234,567.89");
        assert_eq!(yuan(5), "¥0.05");
        assert_eq!(receipt_no(2026, 1), "SJ2026-00001");
        assert_eq!(parse_yuan("1,234.5"), Some(123_450));
        assert_eq!(parse_yuan("¥80"), Some(8_000));
        assert_eq!(parse_yuan("0.05"), Some(5));
        for bad in ["", "-1", "1.234", "1e3", "abc", ".5", "99999999999999999999"] {
            assert_eq!(parse_yuan(bad), None, "{bad}");
        }
        assert_eq!(yuan_plain(123_450), "1234.50");
    }

    #[test]
    fn chargeable_work_needs_a_quote_and_warranty_work_does_not() {
        assert!(quote_needed(Warranty::OutOfWarranty, Kind::Fault));
        assert!(quote_needed(Warranty::InWarranty, Kind::Consumables));
        assert!(!quote_needed(Warranty::InWarranty, Kind::Fault));
        assert!(!quote_needed(Warranty::Unknown, Kind::Fault));
    }
}
