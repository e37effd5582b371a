//! Users and their API tokens.

use aftersales_domain::role::Role;
use aftersales_domain::user::User;
use aftersales_domain::{Id, Timestamp};
use sea_orm::sea_query::{Expr, ExprTrait, Func, Order, Query, SelectStatement};
use sea_orm::{ConnectionTrait, QueryResult};

use crate::conv::{get, get_code, get_opt_ts, get_ts, ms};
use crate::directory::contains_ignoring_case;
use crate::schema::{ApiTokens, Users};
use crate::{Result, StorageError, insert_fields, insert_returning_id};

pub(crate) const USER_COLS: [Users; 11] = [
    Users::Id,
    Users::Username,
    Users::DisplayName,
    Users::Role,
    Users::Email,
    Users::Phone,
    Users::Region,
    Users::GroupId,
    Users::CustomerId,
    Users::ContactId,
    Users::Active,
];

pub(crate) fn user(r: &QueryResult) -> Result<User> {
    Ok(User {
        id: get(r, "id")?,
        username: get(r, "username")?,
        display_name: get(r, "display_name")?,
        role: get_code(r, "role", Role::from_code)?,
        email: get(r, "email")?,
        phone: get(r, "phone")?,
        region: get(r, "region")?,
        group_id: get(r, "group_id")?,
        customer_id: get(r, "customer_id")?,
        contact_id: get(r, "contact_id")?,
        active: get(r, "active")?,
    })
}

pub async fn insert_user<C: ConnectionTrait>(
    conn: &C,
    u: &User,
    password_hash: Option<String>,
    now: Timestamp,
) -> Result<Id> {
    let mut fields = user_fields(u);
    fields.extend([
        (Users::Username, u.username.clone().into()),
        (Users::PasswordHash, password_hash.into()),
        (Users::CreatedAt, ms(now).into()),
    ]);
    insert_fields(conn, Users::Table, fields).await
}

pub async fn user_by_id<C: ConnectionTrait>(conn: &C, id: Id) -> Result<Option<User>> {
    let stmt = Query::select().columns(USER_COLS).from(Users::Table).and_where(Expr::col(Users::Id).eq(id)).to_owned();
    conn.query_one(&stmt).await?.as_ref().map(user).transpose()
}

/// The users with these ids (unknown ids are left out), in one statement per 500.
pub async fn users_by_ids<C: ConnectionTrait>(conn: &C, ids: &[Id]) -> Result<Vec<User>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let stmt = Query::select()
            .columns(USER_COLS)
            .from(Users::Table)
            .and_where(Expr::col(Users::Id).is_in(chunk.iter().copied()))
            .to_owned();
        for r in conn.query_all(&stmt).await? {
            out.push(user(&r)?);
        }
    }
    Ok(out)
}

pub async fn user_by_username<C: ConnectionTrait>(conn: &C, username: &str) -> Result<Option<User>> {
    let stmt = Query::select()
        .columns(USER_COLS)
        .from(Users::Table)
        .and_where(Expr::col(Users::Username).eq(username.trim().to_lowercase()))
        .to_owned();
    conn.query_one(&stmt).await?.as_ref().map(user).transpose()
}

/// Users filtered by role and group, ordered by id.
pub async fn users<C: ConnectionTrait>(
    conn: &C,
    roles: &[Role],
    group: Option<Id>,
    customer: Option<Id>,
    limit: u64,
    offset: u64,
) -> Result<Vec<User>> {
    let mut stmt = Query::select().columns(USER_COLS).from(Users::Table).to_owned();
    if !roles.is_empty() {
        stmt.and_where(Expr::col(Users::Role).is_in(roles.iter().map(|r| r.code())));
    }
    if let Some(g) = group {
        stmt.and_where(Expr::col(Users::GroupId).eq(g));
    }
    if let Some(c) = customer {
        stmt.and_where(Expr::col(Users::CustomerId).eq(c));
    }
    stmt.order_by(Users::Id, Order::Asc).limit(limit).offset(offset);
    conn.query_all(&stmt).await?.iter().map(user).collect()
}

/// A user's changeable fields (everything but the username and the password).
fn user_fields(u: &User) -> Vec<(Users, Expr)> {
    vec![
        (Users::DisplayName, u.display_name.clone().into()),
        (Users::Role, u.role.code().into()),
        (Users::Email, u.email.clone().into()),
        (Users::Phone, u.phone.clone().into()),
        (Users::Region, u.region.clone().into()),
        (Users::GroupId, u.group_id.into()),
        (Users::CustomerId, u.customer_id.into()),
        (Users::ContactId, u.contact_id.into()),
        (Users::Active, u.active.into()),
    ]
}

/// Replaces a user's changeable fields ([`user_fields`]). Returns whether the user exists.
pub async fn update_user<C: ConnectionTrait>(conn: &C, u: &User) -> Result<bool> {
    let stmt =
        Query::update().table(Users::Table).values(user_fields(u)).and_where(Expr::col(Users::Id).eq(u.id)).to_owned();
    Ok(conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected() > 0)
}

/// What the administrator's user list is filtered by; empty fields are "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    /// Part of the username or the display name.
    pub q: Option<String>,
    pub role: Option<Role>,
    pub group: Option<Id>,
    pub active: Option<bool>,
}

/// Users matching `f`, ordered by id, and how many match in all.
pub async fn search_users<C: ConnectionTrait>(
    conn: &C,
    f: &UserFilter,
    limit: u64,
    offset: u64,
) -> Result<(Vec<User>, u64)> {
    let mut base: SelectStatement = Query::select().from(Users::Table).to_owned();
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        base.cond_where(
            contains_ignoring_case(Expr::col(Users::Username), q)
                .or(contains_ignoring_case(Expr::col(Users::DisplayName), q)),
        );
    }
    if let Some(r) = f.role {
        base.and_where(Expr::col(Users::Role).eq(r.code()));
    }
    if let Some(g) = f.group {
        base.and_where(Expr::col(Users::GroupId).eq(g));
    }
    if let Some(a) = f.active {
        base.and_where(Expr::col(Users::Active).eq(a));
    }
    let count = base.clone().expr_as(Func::count(Expr::col(Users::Id)), "n").to_owned();
    let total: i64 = match conn.query_one(&count).await? {
        Some(r) => get(&r, "n")?,
        None => 0,
    };
    let stmt = base.columns(USER_COLS).order_by(Users::Id, Order::Asc).limit(limit).offset(offset).to_owned();
    let rows = conn.query_all(&stmt).await?.iter().map(user).collect::<Result<Vec<_>>>()?;
    Ok((rows, u64::try_from(total).unwrap_or(0)))
}

pub async fn insert_token<C: ConnectionTrait>(
    conn: &C,
    user: Id,
    token_hash: &str,
    name: &str,
    now: Timestamp,
) -> Result<Id> {
    let stmt = Query::insert()
        .into_table(ApiTokens::Table)
        .columns([ApiTokens::UserId, ApiTokens::TokenHash, ApiTokens::Name, ApiTokens::CreatedAt])
        .values_panic([user.into(), token_hash.into(), name.into(), ms(now).into()])
        .to_owned();
    insert_returning_id(conn, stmt).await
}

/// An API token as its owner sees it in a list: never its hash.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TokenInfo {
    pub id: Id,
    pub name: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
}

/// The tokens of `user`, revoked ones included, oldest first.
pub async fn list_tokens<C: ConnectionTrait>(conn: &C, user: Id) -> Result<Vec<TokenInfo>> {
    let stmt = Query::select()
        .columns([ApiTokens::Id, ApiTokens::Name, ApiTokens::CreatedAt, ApiTokens::RevokedAt])
        .from(ApiTokens::Table)
        .and_where(Expr::col(ApiTokens::UserId).eq(user))
        .order_by(ApiTokens::Id, Order::Asc)
        .to_owned();
    conn.query_all(&stmt)
        .await?
        .iter()
        .map(|r| {
            Ok(TokenInfo {
                id: get(r, "id")?,
                name: get(r, "name")?,
                created_at: get_ts(r, "created_at")?,
                revoked_at: get_opt_ts(r, "revoked_at")?,
            })
        })
        .collect()
}

/// Revokes token `id` of `user` (a token already revoked keeps its first revocation time).
/// Returns whether `user` has such a token: another user's token is left alone.
pub async fn revoke_token<C: ConnectionTrait>(conn: &C, user: Id, id: Id, now: Timestamp) -> Result<bool> {
    let stmt = Query::update()
        .table(ApiTokens::Table)
        .value(ApiTokens::RevokedAt, ms(now))
        .and_where(Expr::col(ApiTokens::Id).eq(id))
        .and_where(Expr::col(ApiTokens::UserId).eq(user))
        .and_where(Expr::col(ApiTokens::RevokedAt).is_null())
        .to_owned();
    if conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected() > 0 {
        return Ok(true);
    }
    let stmt = Query::select()
        .column(ApiTokens::Id)
        .from(ApiTokens::Table)
        .and_where(Expr::col(ApiTokens::Id).eq(id))
        .and_where(Expr::col(ApiTokens::UserId).eq(user))
        .to_owned();
    Ok(conn.query_one(&stmt).await?.is_some())
}

/// The active user holding a token that is not revoked.
pub async fn user_by_token_hash<C: ConnectionTrait>(conn: &C, token_hash: &str) -> Result<Option<User>> {
    let stmt = Query::select()
        .columns(USER_COLS.map(|c| (Users::Table, c)))
        .from(ApiTokens::Table)
        .inner_join(Users::Table, Expr::col((Users::Table, Users::Id)).equals((ApiTokens::Table, ApiTokens::UserId)))
        .and_where(Expr::col((ApiTokens::Table, ApiTokens::TokenHash)).eq(token_hash))
        .and_where(Expr::col((ApiTokens::Table, ApiTokens::RevokedAt)).is_null())
        .and_where(Expr::col((Users::Table, Users::Active)).eq(true))
        .to_owned();
    conn.query_one(&stmt).await?.as_ref().map(user).transpose()
}

pub async fn password_hash<C: ConnectionTrait>(conn: &C, user: Id) -> Result<Option<String>> {
    let stmt = Query::select()
        .column(Users::PasswordHash)
        .from(Users::Table)
        .and_where(Expr::col(Users::Id).eq(user))
        .to_owned();
    match conn.query_one(&stmt).await? {
        Some(r) => get(&r, "password_hash"),
        None => Err(StorageError::Corrupt(format!("user {user} vanished"))),
    }
}

/// Active users with `role` (notice recipients by role).
pub async fn active_with_role<C: ConnectionTrait>(conn: &C, role: aftersales_domain::role::Role) -> Result<Vec<Id>> {
    let stmt = Query::select()
        .column(Users::Id)
        .from(Users::Table)
        .and_where(Expr::col(Users::Role).eq(role.code()))
        .and_where(Expr::col(Users::Active).eq(true))
        .order_by(Users::Id, sea_orm::sea_query::Order::Asc)
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(|r| get(r, "id")).collect()
}

/// Active portal accounts of a customer contact.
pub async fn users_of_contact<C: ConnectionTrait>(conn: &C, contact: Id) -> Result<Vec<Id>> {
    let stmt = Query::select()
        .column(Users::Id)
        .from(Users::Table)
        .and_where(Expr::col(Users::ContactId).eq(contact))
        .and_where(Expr::col(Users::Active).eq(true))
        .to_owned();
    conn.query_all(&stmt).await?.iter().map(|r| get(r, "id")).collect()
}
