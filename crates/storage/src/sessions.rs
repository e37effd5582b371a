//! Browser sessions of the web console, failed sign-in attempts, and what a user changes
//! about their own account: password and remembered language (issue 5).
//!
//! A session is stored under the SHA-256 of its cookie value, like API tokens, so a copy
//! of the database does not sign anyone in.

use aftersales_domain::session::FailureScope;
use aftersales_domain::user::User;
use aftersales_domain::{Id, Lang, Timestamp};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

use crate::conv::{get, get_ts, ms};
use crate::schema::{LoginFailures, Sessions, Users};
use crate::users::{USER_COLS, user};
use crate::{Result, StorageError, insert_returning_id};

/// A session to store.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub user: Id,
    pub csrf_token: &'a str,
    /// Sign-in time, also the first last-seen time.
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub user_agent: Option<&'a str>,
    pub address: Option<&'a str>,
}

/// A stored session with its (active) user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSession {
    pub user: User,
    /// The user's remembered language; `None` when never chosen.
    pub lang: Option<Lang>,
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub expires_at: Timestamp,
}

/// How a language is stored in `users.lang`.
fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::Zh => "zh",
        Lang::En => "en",
    }
}

fn lang_from_code(code: &str) -> Option<Lang> {
    match code {
        "zh" => Some(Lang::Zh),
        "en" => Some(Lang::En),
        _ => None,
    }
}

fn get_lang(r: &sea_orm::QueryResult, col: &str) -> Result<Option<Lang>> {
    get::<Option<String>>(r, col)?
        .map(|s| lang_from_code(&s).ok_or_else(|| StorageError::Corrupt(format!("{col}: unknown code {s:?}"))))
        .transpose()
}

pub async fn insert_session<C: ConnectionTrait>(conn: &C, s: &NewSession<'_>) -> Result<Id> {
    let stmt = Query::insert()
        .into_table(Sessions::Table)
        .columns([
            Sessions::TokenHash,
            Sessions::UserId,
            Sessions::CsrfToken,
            Sessions::CreatedAt,
            Sessions::LastSeenAt,
            Sessions::ExpiresAt,
            Sessions::UserAgent,
            Sessions::Address,
        ])
        .values_panic([
            s.token_hash.into(),
            s.user.into(),
            s.csrf_token.into(),
            ms(s.created_at).into(),
            ms(s.created_at).into(),
            ms(s.expires_at).into(),
            s.user_agent.map(str::to_owned).into(),
            s.address.map(str::to_owned).into(),
        ])
        .to_owned();
    insert_returning_id(conn, stmt).await
}

/// The session stored under `token_hash`, if its user is active (expired or not: the
/// caller decides with the time it trusts).
pub async fn session_by_token_hash<C: ConnectionTrait>(conn: &C, token_hash: &str) -> Result<Option<StoredSession>> {
    let stmt = Query::select()
        .columns(USER_COLS.map(|c| (Users::Table, c)))
        .column((Users::Table, Users::Lang))
        .column((Sessions::Table, Sessions::CsrfToken))
        .expr_as(Expr::col((Sessions::Table, Sessions::CreatedAt)), Alias::new("session_created_at"))
        .column((Sessions::Table, Sessions::LastSeenAt))
        .column((Sessions::Table, Sessions::ExpiresAt))
        .from(Sessions::Table)
        .inner_join(Users::Table, Expr::col((Users::Table, Users::Id)).equals((Sessions::Table, Sessions::UserId)))
        .and_where(Expr::col((Sessions::Table, Sessions::TokenHash)).eq(token_hash))
        .and_where(Expr::col((Users::Table, Users::Active)).eq(true))
        .to_owned();
    let Some(r) = conn.query_one(&stmt).await? else { return Ok(None) };
    Ok(Some(StoredSession {
        user: user(&r)?,
        lang: get_lang(&r, "lang")?,
        csrf_token: get(&r, "csrf_token")?,
        created_at: get_ts(&r, "session_created_at")?,
        last_seen_at: get_ts(&r, "last_seen_at")?,
        expires_at: get_ts(&r, "expires_at")?,
    }))
}

/// Records activity on a session and moves its end; returns whether the session exists.
pub async fn touch_session<C: ConnectionTrait>(
    conn: &C,
    token_hash: &str,
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<bool> {
    let stmt = Query::update()
        .table(Sessions::Table)
        .values([(Sessions::LastSeenAt, ms(now).into()), (Sessions::ExpiresAt, ms(expires_at).into())])
        .and_where(Expr::col(Sessions::TokenHash).eq(token_hash))
        .to_owned();
    Ok(conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected() > 0)
}

/// Ends one session; returns whether it existed.
pub async fn delete_session<C: ConnectionTrait>(conn: &C, token_hash: &str) -> Result<bool> {
    let stmt =
        Query::delete().from_table(Sessions::Table).and_where(Expr::col(Sessions::TokenHash).eq(token_hash)).to_owned();
    Ok(conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected() > 0)
}

/// Ends every session of `user` except the one stored under `keep_hash`; returns how many.
pub async fn delete_sessions_of_user_except<C: ConnectionTrait>(
    conn: &C,
    user: Id,
    keep_hash: Option<&str>,
) -> Result<u64> {
    let mut stmt =
        Query::delete().from_table(Sessions::Table).and_where(Expr::col(Sessions::UserId).eq(user)).to_owned();
    if let Some(keep) = keep_hash {
        stmt.and_where(Expr::col(Sessions::TokenHash).ne(keep));
    }
    Ok(conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected())
}

/// Removes sessions that ended before `now`, of one user or of everyone; returns how many.
pub async fn delete_expired_sessions<C: ConnectionTrait>(conn: &C, user: Option<Id>, now: Timestamp) -> Result<u64> {
    let mut stmt =
        Query::delete().from_table(Sessions::Table).and_where(Expr::col(Sessions::ExpiresAt).lte(ms(now))).to_owned();
    if let Some(u) = user {
        stmt.and_where(Expr::col(Sessions::UserId).eq(u));
    }
    Ok(conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected())
}

/// Serializes sign-in attempts on one subject until the transaction ends, so that
/// counting the failures and recording a new one cannot interleave with another attempt
/// on the same subject. SQLite needs nothing: its writers already take turns.
pub async fn lock_failures<C: ConnectionTrait>(conn: &C, scope: FailureScope, subject: &str) -> Result<()> {
    if conn.get_database_backend() == DatabaseBackend::Postgres {
        let key = format!("login_failures:{}:{subject}", scope.code());
        conn.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            [key.into()],
        ))
        .await?;
    }
    Ok(())
}

/// Records a failed (or not yet successful) sign-in attempt; returns its id.
pub async fn record_failure<C: ConnectionTrait>(
    conn: &C,
    scope: FailureScope,
    subject: &str,
    at: Timestamp,
) -> Result<Id> {
    let stmt = Query::insert()
        .into_table(LoginFailures::Table)
        .columns([LoginFailures::Scope, LoginFailures::Subject, LoginFailures::At])
        .values_panic([scope.code().into(), subject.into(), ms(at).into()])
        .to_owned();
    insert_returning_id(conn, stmt).await
}

/// Takes back one recorded attempt.
pub async fn delete_failure<C: ConnectionTrait>(conn: &C, id: Id) -> Result<()> {
    let stmt =
        Query::delete().from_table(LoginFailures::Table).and_where(Expr::col(LoginFailures::Id).eq(id)).to_owned();
    conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(())
}

/// Failures recorded on `subject` after `since` (an index range scan).
pub async fn count_failures<C: ConnectionTrait>(
    conn: &C,
    scope: FailureScope,
    subject: &str,
    since: Timestamp,
) -> Result<u64> {
    let stmt = Query::select()
        .expr_as(Func::count(Expr::col(LoginFailures::Id)), Alias::new("n"))
        .from(LoginFailures::Table)
        .and_where(Expr::col(LoginFailures::Scope).eq(scope.code()))
        .and_where(Expr::col(LoginFailures::Subject).eq(subject))
        .and_where(Expr::col(LoginFailures::At).gt(ms(since)))
        .to_owned();
    let n: i64 = match conn.query_one(&stmt).await? {
        Some(r) => get(&r, "n")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Forgets the failures recorded on `subject`.
pub async fn clear_failures<C: ConnectionTrait>(conn: &C, scope: FailureScope, subject: &str) -> Result<()> {
    let stmt = Query::delete()
        .from_table(LoginFailures::Table)
        .and_where(Expr::col(LoginFailures::Scope).eq(scope.code()))
        .and_where(Expr::col(LoginFailures::Subject).eq(subject))
        .to_owned();
    conn.execute(&stmt).await.map_err(StorageError::from_db)?;
    Ok(())
}

/// Forgets failures recorded at or before `before` (they no longer count); returns how many.
pub async fn prune_failures<C: ConnectionTrait>(conn: &C, before: Timestamp) -> Result<u64> {
    let stmt = Query::delete()
        .from_table(LoginFailures::Table)
        .and_where(Expr::col(LoginFailures::At).lte(ms(before)))
        .to_owned();
    Ok(conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected())
}

/// Replaces a user's password hash; returns whether the user exists.
pub async fn set_password_hash<C: ConnectionTrait>(conn: &C, user: Id, hash: &str) -> Result<bool> {
    let stmt = Query::update()
        .table(Users::Table)
        .value(Users::PasswordHash, hash)
        .and_where(Expr::col(Users::Id).eq(user))
        .to_owned();
    Ok(conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected() > 0)
}

/// Remembers a user's UI language (`None`: forget it); returns whether the user exists.
pub async fn set_lang<C: ConnectionTrait>(conn: &C, user: Id, lang: Option<Lang>) -> Result<bool> {
    let stmt = Query::update()
        .table(Users::Table)
        .value(Users::Lang, lang.map(lang_code))
        .and_where(Expr::col(Users::Id).eq(user))
        .to_owned();
    Ok(conn.execute(&stmt).await.map_err(StorageError::from_db)?.rows_affected() > 0)
}

/// A user's remembered UI language (`None`: never chosen, or no such user).
pub async fn lang_of<C: ConnectionTrait>(conn: &C, user: Id) -> Result<Option<Lang>> {
    let stmt =
        Query::select().column(Users::Lang).from(Users::Table).and_where(Expr::col(Users::Id).eq(user)).to_owned();
    match conn.query_one(&stmt).await? {
        Some(r) => get_lang(&r, "lang"),
        None => Ok(None),
    }
}
