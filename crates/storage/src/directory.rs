//! Customers, customer levels, contacts and devices.

use aftersales_domain::customer::{Contact, Customer, CustomerLevel, Device};
use aftersales_domain::{Id, Timestamp};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, LikeExpr, OnConflict, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, QueryResult};

use crate::conv::{get, get_opt_date, ms};
use crate::schema::{Contacts, CustomerLevels, Customers, Devices};
use crate::{Result, StorageError, insert_fields};

/// `text` taken literally in a `LIKE` pattern written with [`like`]: its wildcards (`%`,
/// `_`) and the escape character itself are escaped with `\`.
pub(crate) fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A `LIKE` pattern with `ESCAPE '\'` (the same on SQLite and PostgreSQL).
pub(crate) fn like(pattern: String) -> LikeExpr {
    LikeExpr::new(pattern).escape('\\')
}

/// Whether `column` contains `q` ignoring case: both sides lowered, since `LIKE` ignores
/// case on SQLite (ASCII) but not on PostgreSQL.
pub(crate) fn contains_ignoring_case(column: Expr, q: &str) -> Expr {
    Expr::from(Func::lower(column)).like(like(format!("%{}%", like_literal(&q.to_lowercase()))))
}

pub async fn upsert_level<C: ConnectionTrait>(conn: &C, level: &CustomerLevel) -> Result<()> {
    let stmt = Query::insert()
        .into_table(CustomerLevels::Table)
        .columns([CustomerLevels::Code, CustomerLevels::NameZh, CustomerLevels::NameEn])
        .values_panic([level.code.clone().into(), level.name_zh.clone().into(), level.name_en.clone().into()])
        .on_conflict(
            OnConflict::column(CustomerLevels::Code)
                .update_columns([CustomerLevels::NameZh, CustomerLevels::NameEn])
                .to_owned(),
        )
        .to_owned();
    conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(())
}

pub async fn levels<C: ConnectionTrait>(conn: &C) -> Result<Vec<CustomerLevel>> {
    let stmt = Query::select()
        .columns([CustomerLevels::Code, CustomerLevels::NameZh, CustomerLevels::NameEn])
        .from(CustomerLevels::Table)
        .order_by(CustomerLevels::Code, Order::Asc)
        .to_owned();
    conn.query_all(&stmt)
        .await?
        .iter()
        .map(|r| Ok(CustomerLevel { code: get(r, "code")?, name_zh: get(r, "name_zh")?, name_en: get(r, "name_en")? }))
        .collect()
}

const CUSTOMER_COLS: [Customers; 8] = [
    Customers::Id,
    Customers::Name,
    Customers::ShortName,
    Customers::Region,
    Customers::Level,
    Customers::WindowContactId,
    Customers::SpecialistId,
    Customers::Calendar,
];

fn customer(r: &QueryResult) -> Result<Customer> {
    Ok(Customer {
        id: get(r, "id")?,
        name: get(r, "name")?,
        short_name: get(r, "short_name")?,
        region: get(r, "region")?,
        level: get(r, "level")?,
        window_contact_id: get(r, "window_contact_id")?,
        specialist_id: get(r, "specialist_id")?,
        calendar: get(r, "calendar")?,
    })
}

/// A customer's stored fields but its id, as an insert and an update write them.
fn customer_fields(c: &Customer) -> Vec<(Customers, Expr)> {
    vec![
        (Customers::Name, c.name.clone().into()),
        (Customers::ShortName, c.short_name.clone().into()),
        (Customers::Region, c.region.clone().into()),
        (Customers::Level, c.level.clone().into()),
        (Customers::WindowContactId, c.window_contact_id.into()),
        (Customers::SpecialistId, c.specialist_id.into()),
        (Customers::Calendar, c.calendar.clone().into()),
    ]
}

pub async fn insert_customer<C: ConnectionTrait>(conn: &C, c: &Customer, now: Timestamp) -> Result<Id> {
    let mut fields = customer_fields(c);
    fields.push((Customers::CreatedAt, ms(now).into()));
    insert_fields(conn, Customers::Table, fields).await
}

pub async fn update_customer<C: ConnectionTrait>(conn: &C, c: &Customer) -> Result<()> {
    let stmt = Query::update()
        .table(Customers::Table)
        .values(customer_fields(c))
        .and_where(Expr::col(Customers::Id).eq(c.id))
        .to_owned();
    conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(())
}

pub async fn customer_by_id<C: ConnectionTrait>(conn: &C, id: Id) -> Result<Option<Customer>> {
    let stmt = Query::select()
        .columns(CUSTOMER_COLS)
        .from(Customers::Table)
        .and_where(Expr::col(Customers::Id).eq(id))
        .to_owned();
    conn.query_one(&stmt).await?.as_ref().map(customer).transpose()
}

/// The customers with these ids (unknown ids are left out), in one statement per 500.
pub async fn customers_by_ids<C: ConnectionTrait>(conn: &C, ids: &[Id]) -> Result<Vec<Customer>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let stmt = Query::select()
            .columns(CUSTOMER_COLS)
            .from(Customers::Table)
            .and_where(Expr::col(Customers::Id).is_in(chunk.iter().copied()))
            .to_owned();
        for r in conn.query_all(&stmt).await? {
            out.push(customer(&r)?);
        }
    }
    Ok(out)
}

/// The regions customers are in (地域), sorted, each once.
pub async fn customer_regions<C: ConnectionTrait>(conn: &C) -> Result<Vec<String>> {
    let stmt = Query::select()
        .distinct()
        .column(Customers::Region)
        .from(Customers::Table)
        .order_by(Customers::Region, Order::Asc)
        .limit(500)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(|r| get(r, "region")).collect()
}

/// Customers matching `q` in name, short name or a contact's phone; all when `q` is empty.
/// How a customer search matches the phone numbers of the customer's contacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneMatch {
    /// Any part of a number (`1912` finds `19120001234`).
    Part,
    /// Only a whole number, compared without its separators (`138 0013 8000` finds
    /// `13800138000`), for those who may not read numbers (`domain::permission`).
    Whole,
}

/// The separators a phone number may be written with (`domain::phone`).
const PHONE_SEPARATORS: [&str; 5] = [" ", "-", "(", ")", "+"];

pub async fn search_customers<C: ConnectionTrait>(
    conn: &C,
    q: Option<&str>,
    phones: PhoneMatch,
    only: Option<Id>,
    limit: u64,
    offset: u64,
) -> Result<(Vec<Customer>, u64)> {
    let mut base: SelectStatement = Query::select().from(Customers::Table).to_owned();
    if let Some(id) = only {
        base.and_where(Expr::col((Customers::Table, Customers::Id)).eq(id));
    }
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        let phone_matches = match phones {
            PhoneMatch::Part => Expr::col(Contacts::Phone).like(like(format!("%{}%", like_literal(q)))),
            PhoneMatch::Whole => {
                let bare = PHONE_SEPARATORS.iter().fold(Expr::col(Contacts::Phone), |e, sep| {
                    Func::cust(Alias::new("REPLACE")).arg(e).arg(*sep).arg("").into()
                });
                let digits = PHONE_SEPARATORS.iter().fold(q.to_owned(), |q, sep| q.replace(sep, ""));
                bare.eq(digits)
            }
        };
        let by_phone =
            Query::select().column(Contacts::CustomerId).from(Contacts::Table).and_where(phone_matches).to_owned();
        base.cond_where(
            contains_ignoring_case(Expr::col((Customers::Table, Customers::Name)), q)
                .or(contains_ignoring_case(Expr::col((Customers::Table, Customers::ShortName)), q))
                .or(Expr::col((Customers::Table, Customers::Id)).in_subquery(by_phone)),
        );
    }
    let count_stmt = base.clone().expr_as(Func::count(Expr::col((Customers::Table, Customers::Id))), "n").to_owned();
    let total: i64 = match conn.query_one(&count_stmt).await? {
        Some(r) => get(&r, "n")?,
        None => 0,
    };
    let stmt = base
        .columns(CUSTOMER_COLS.map(|c| (Customers::Table, c)))
        .order_by((Customers::Table, Customers::Id), Order::Asc)
        .limit(limit)
        .offset(offset)
        .to_owned();
    let rows = conn.query_all(&stmt).await?;
    Ok((rows.iter().map(customer).collect::<Result<_>>()?, u64::try_from(total).unwrap_or(0)))
}

const CONTACT_COLS: [Contacts; 7] = [
    Contacts::Id,
    Contacts::CustomerId,
    Contacts::Name,
    Contacts::Phone,
    Contacts::Email,
    Contacts::Department,
    Contacts::Lang,
];

fn contact(r: &QueryResult, window: Option<Id>) -> Result<Contact> {
    let id: Id = get(r, "id")?;
    Ok(Contact {
        id,
        customer_id: get(r, "customer_id")?,
        name: get(r, "name")?,
        phone: get(r, "phone")?,
        email: get(r, "email")?,
        department: get(r, "department")?,
        is_window: window == Some(id),
        left: get::<Option<i64>>(r, "left_at")?.is_some(),
        lang: get::<Option<String>>(r, "lang")?.map(|l| crate::notices::lang_of(&l)).unwrap_or_default(),
    })
}

/// A contact's fields that an edit replaces (not its customer, window flag or leaving).
fn contact_fields(c: &Contact) -> Vec<(Contacts, Expr)> {
    vec![
        (Contacts::Name, c.name.clone().into()),
        (Contacts::Phone, c.phone.clone().into()),
        (Contacts::Email, c.email.clone().into()),
        (Contacts::Department, c.department.clone().into()),
        (Contacts::Lang, c.lang.code().into()),
    ]
}

pub async fn insert_contact<C: ConnectionTrait>(conn: &C, c: &Contact, now: Timestamp) -> Result<Id> {
    let mut fields = contact_fields(c);
    fields.extend([(Contacts::CustomerId, c.customer_id.into()), (Contacts::CreatedAt, ms(now).into())]);
    insert_fields(conn, Contacts::Table, fields).await
}

/// A contact with its window flag resolved against its customer.
pub async fn contact_by_id<C: ConnectionTrait>(conn: &C, id: Id) -> Result<Option<Contact>> {
    let stmt = Query::select()
        .columns(CONTACT_COLS.map(|c| (Contacts::Table, c)))
        .column((Contacts::Table, Contacts::LeftAt))
        .column((Customers::Table, Customers::WindowContactId))
        .from(Contacts::Table)
        .inner_join(
            Customers::Table,
            Expr::col((Customers::Table, Customers::Id)).equals((Contacts::Table, Contacts::CustomerId)),
        )
        .and_where(Expr::col((Contacts::Table, Contacts::Id)).eq(id))
        .to_owned();
    match conn.query_one(&stmt).await? {
        Some(r) => {
            let window: Option<Id> = get(&r, "window_contact_id")?;
            Ok(Some(contact(&r, window)?))
        }
        None => Ok(None),
    }
}

pub async fn contacts_of<C: ConnectionTrait>(conn: &C, customer: &Customer) -> Result<Vec<Contact>> {
    let stmt = Query::select()
        .columns(CONTACT_COLS)
        .column(Contacts::LeftAt)
        .from(Contacts::Table)
        .and_where(Expr::col(Contacts::CustomerId).eq(customer.id))
        .order_by(Contacts::Id, Order::Asc)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(|r| contact(r, customer.window_contact_id)).collect()
}

/// Replaces a contact's name, phone, e-mail and department.
pub async fn update_contact<C: ConnectionTrait>(conn: &C, c: &Contact) -> Result<()> {
    let stmt = Query::update()
        .table(Contacts::Table)
        .values(contact_fields(c))
        .and_where(Expr::col(Contacts::Id).eq(c.id))
        .to_owned();
    conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(())
}

/// Records that a contact left the customer at `at`, or (`None`) that they are back. A
/// contact who already left keeps the first time.
pub async fn set_contact_left<C: ConnectionTrait>(conn: &C, id: Id, at: Option<Timestamp>) -> Result<()> {
    let mut stmt = Query::update()
        .table(Contacts::Table)
        .value(Contacts::LeftAt, at.map(ms))
        .and_where(Expr::col(Contacts::Id).eq(id))
        .to_owned();
    if at.is_some() {
        stmt.and_where(Expr::col(Contacts::LeftAt).is_null());
    }
    conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(())
}

const DEVICE_COLS: [Devices; 8] = [
    Devices::Id,
    Devices::CustomerId,
    Devices::Model,
    Devices::Serial,
    Devices::Location,
    Devices::PurchaseDate,
    Devices::WarrantyEnd,
    Devices::ConsumableModel,
];

fn device(r: &QueryResult) -> Result<Device> {
    Ok(Device {
        id: get(r, "id")?,
        customer_id: get(r, "customer_id")?,
        model: get(r, "model")?,
        serial: get(r, "serial")?,
        location: get(r, "location")?,
        purchase_date: get_opt_date(r, "purchase_date")?,
        warranty_end: get_opt_date(r, "warranty_end")?,
        consumable_model: get(r, "consumable_model")?,
    })
}

/// A device's fields that an edit replaces (not its customer).
fn device_fields(d: &Device) -> Vec<(Devices, Expr)> {
    vec![
        (Devices::Model, d.model.clone().into()),
        (Devices::Serial, d.serial.clone().into()),
        (Devices::Location, d.location.clone().into()),
        (Devices::PurchaseDate, d.purchase_date.map(|x| x.to_string()).into()),
        (Devices::WarrantyEnd, d.warranty_end.map(|x| x.to_string()).into()),
        (Devices::ConsumableModel, d.consumable_model.clone().into()),
    ]
}

pub async fn insert_device<C: ConnectionTrait>(conn: &C, d: &Device, now: Timestamp) -> Result<Id> {
    let mut fields = device_fields(d);
    fields.extend([(Devices::CustomerId, d.customer_id.into()), (Devices::CreatedAt, ms(now).into())]);
    insert_fields(conn, Devices::Table, fields).await
}

/// Replaces a device's fields (not its customer).
pub async fn update_device<C: ConnectionTrait>(conn: &C, d: &Device) -> Result<()> {
    let stmt = Query::update()
        .table(Devices::Table)
        .values(device_fields(d))
        .and_where(Expr::col(Devices::Id).eq(d.id))
        .to_owned();
    conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(())
}

pub async fn device_by_id<C: ConnectionTrait>(conn: &C, id: Id) -> Result<Option<Device>> {
    let stmt =
        Query::select().columns(DEVICE_COLS).from(Devices::Table).and_where(Expr::col(Devices::Id).eq(id)).to_owned();
    conn.query_one(&stmt).await?.as_ref().map(device).transpose()
}

/// Serial numbers are stored upper-case; lookup ignores case.
pub async fn device_by_serial<C: ConnectionTrait>(conn: &C, serial: &str) -> Result<Option<Device>> {
    let stmt = Query::select()
        .columns(DEVICE_COLS)
        .from(Devices::Table)
        .and_where(Expr::col(Devices::Serial).eq(serial.trim().to_uppercase()))
        .to_owned();
    conn.query_one(&stmt).await?.as_ref().map(device).transpose()
}

pub async fn devices<C: ConnectionTrait>(
    conn: &C,
    customer: Option<Id>,
    serial_prefix: Option<&str>,
    limit: u64,
    offset: u64,
) -> Result<Vec<Device>> {
    let mut stmt = Query::select().columns(DEVICE_COLS).from(Devices::Table).to_owned();
    if let Some(c) = customer {
        stmt.and_where(Expr::col(Devices::CustomerId).eq(c));
    }
    if let Some(p) = serial_prefix.map(str::trim).filter(|p| !p.is_empty()) {
        // Serial numbers are stored in upper case.
        stmt.and_where(Expr::col(Devices::Serial).like(like(format!("{}%", like_literal(&p.to_uppercase())))));
    }
    stmt.order_by(Devices::Id, Order::Asc).limit(limit).offset(offset);
    conn.query_all(&stmt).await?.iter().map(device).collect()
}

/// Used by `conv` consumers that only need to know a row exists.
pub async fn customer_exists<C: ConnectionTrait>(conn: &C, id: Id) -> Result<bool> {
    Ok(customer_by_id(conn, id).await?.is_some())
}
