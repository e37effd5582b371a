//! Users, API tokens and authentication.

use aftersales_domain::error::{Conflict, Field, Reason};
use aftersales_domain::permission::Action;
use aftersales_domain::role::Role;
use aftersales_domain::session as rules;
use aftersales_domain::user::{User, UserInput, UserUpdate, check_contact_not_left, check_own_change};
use aftersales_domain::{DomainError, Id};
pub use aftersales_storage::users::UserFilter;
use aftersales_storage::{Conn, StorageError, directory, sessions, users};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::TryRngCore;
use sha2::{Digest, Sha256};

use crate::{Actor, App, AppError, Result};

/// Prefix of every API token, so a leaked one is recognizable in logs and scanners.
pub const TOKEN_PREFIX: &str = "as_";

/// SHA-256 of a token: only the hash is stored.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// An argon2id hash of `password` in PHC format.
pub fn hash_password(password: &str) -> Result<String> {
    let salt = random_bytes::<16>()?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| AppError::internal("password salt", e))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal("password hashing", e))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

impl App {
    /// The user behind a bearer token.
    pub async fn authenticate(&self, token: &str) -> Result<Actor> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Err(AppError::Unauthenticated);
        }
        match users::user_by_token_hash(self.store.read(), &token_hash(token)).await? {
            Some(user) => Ok(Actor { user }),
            None => Err(AppError::Unauthenticated),
        }
    }

    /// Creates a user. `actor` is `None` only for the operator's command line.
    pub async fn create_user(&self, actor: Option<&Actor>, input: &UserInput) -> Result<User> {
        if let Some(a) = actor {
            a.require(Action::ManageUsers)?;
        }
        let mut user = input.check()?;
        let hash = input.password.as_deref().map(hash_password).transpose()?;
        self.create_user_hashed(&mut user, hash).await?;
        Ok(user)
    }

    /// Creates a user with an already hashed password (the demo reuses one hash).
    pub async fn create_user_hashed(&self, user: &mut User, password_hash: Option<String>) -> Result<()> {
        let tx = self.store.write().await?;
        let mut problems = Vec::new();
        check_user_refs(&*tx, user, None, &mut problems).await?;
        if !problems.is_empty() {
            return Err(DomainError::Invalid(problems).into());
        }
        user.id = match users::insert_user(&*tx, user, password_hash, self.now()).await {
            Ok(id) => id,
            Err(StorageError::Duplicate(_)) => {
                return Err(DomainError::field("username", Reason::Duplicate).into());
            }
            Err(e) => return Err(e.into()),
        };
        tx.commit().await?;
        Ok(())
    }

    /// Changes a user (administrators): names, role, contact details, region, group, the
    /// customer and contact of a portal account, and whether the account is active. Checked
    /// like a new user; the username stays. Deactivating ends the user's sessions at once,
    /// and neither a session nor an API token of an inactive user authenticates. Nobody
    /// may deactivate themself or give up their own administrator role.
    pub async fn update_user(&self, actor: &Actor, id: Id, change: &UserUpdate) -> Result<User> {
        actor.require(Action::ManageUsers)?;
        let tx = self.store.write().await?;
        let before = users::user_by_id(&*tx, id).await?.ok_or_else(|| AppError::not_found("user", id))?;
        let after = change.apply(&before)?;
        if actor.id() == id {
            check_own_change(&before, &after)?;
        }
        let mut problems = Vec::new();
        check_user_refs(&*tx, &after, Some(&before), &mut problems).await?;
        if !problems.is_empty() {
            return Err(DomainError::Invalid(problems).into());
        }
        users::update_user(&*tx, &after).await?;
        if !after.active {
            sessions::delete_sessions_of_user_except(&*tx, id, None).await?;
        }
        tx.commit().await?;
        Ok(after)
    }

    /// Sets a new password for someone who forgot theirs (administrators), and ends all
    /// their sessions. One's own password is changed on one's account page, which asks
    /// for the current one (so an unattended administrator session cannot take over the
    /// account).
    pub async fn reset_password(&self, actor: &Actor, user: Id, new_password: &str) -> Result<()> {
        actor.require(Action::ManageUsers)?;
        users::user_by_id(self.store.read(), user).await?.ok_or_else(|| AppError::not_found("user", user))?;
        if actor.id() == user {
            return Err(DomainError::from(Conflict::OwnPassword).into());
        }
        let problems = rules::new_password_problems("", new_password);
        if !problems.is_empty() {
            return Err(DomainError::Invalid(problems).into());
        }
        let new = new_password.to_owned();
        let hash = tokio::task::spawn_blocking(move || hash_password(&new))
            .await
            .map_err(|e| AppError::internal("password hashing task", e))??;
        let tx = self.store.write().await?;
        if !sessions::set_password_hash(&*tx, user, &hash).await? {
            return Err(AppError::not_found("user", user));
        }
        sessions::delete_sessions_of_user_except(&*tx, user, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The administrator's user list: by part of the name or username, role, group and
    /// whether active; and how many match in all.
    pub async fn search_users(&self, actor: &Actor, filter: &UserFilter, page: Page) -> Result<(Vec<User>, u64)> {
        actor.require(Action::ManageUsers)?;
        Ok(users::search_users(self.store.read(), filter, page.limit(), page.offset()).await?)
    }

    /// Issues a new API token for `user` and returns it; only its hash is kept.
    /// Users create their own tokens; administrators may create them for anyone.
    pub async fn create_token(&self, actor: Option<&Actor>, user: Id, name: &str) -> Result<String> {
        if let Some(a) = actor
            && a.id() != user
        {
            a.require(Action::ManageUsers)?;
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(DomainError::field("name", aftersales_domain::error::Reason::TooLong { max: 60 }).into());
        }
        let raw = random_bytes::<24>()?;
        let token = format!("{TOKEN_PREFIX}{}", hex::encode(raw));
        let tx = self.store.write().await?;
        users::user_by_id(&*tx, user).await?.ok_or_else(|| AppError::not_found("user", user))?;
        users::insert_token(&*tx, user, &token_hash(&token), name, self.now()).await?;
        tx.commit().await?;
        Ok(token)
    }

    pub async fn user_by_username(&self, username: &str) -> Result<Option<User>> {
        Ok(users::user_by_username(self.store.read(), username).await?)
    }

    /// Users, optionally by role and group (staff only; contacts see nobody's details).
    pub async fn list_users(&self, actor: &Actor, roles: &[Role], group: Option<Id>, page: Page) -> Result<Vec<User>> {
        actor.require(Action::ReadUsers)?;
        Ok(users::users(self.store.read(), roles, group, None, page.limit(), page.offset()).await?)
    }

    /// The accounts of a customer's people (portal accounts name their contact), inactive
    /// ones included, oldest first.
    pub async fn customer_accounts(&self, actor: &Actor, customer: Id) -> Result<Vec<User>> {
        actor.require(Action::ReadUsers)?;
        Ok(users::users(self.store.read(), &[], None, Some(customer), i64::MAX as u64, 0).await?)
    }

    pub async fn get_user(&self, actor: &Actor, id: Id) -> Result<User> {
        if actor.id() != id {
            actor.require(Action::ReadUsers)?;
        }
        users::user_by_id(self.store.read(), id).await?.ok_or_else(|| AppError::not_found("user", id))
    }
}

/// Bytes from the operating system's generator (tokens and salts must be unpredictable).
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut buf = [0u8; N];
    rand::rngs::OsRng.try_fill_bytes(&mut buf).map_err(|e| AppError::internal("random source", e))?;
    Ok(buf)
}

/// Checks that the group, customer and contact a user names exist and fit together (a
/// contact of that customer, still with it). `before`: the user as stored, when changing one.
/// Naming a contact who left is a refused field; an account whose contact left since cannot
/// be reactivated or kept active (409 `contact_left`), though it may still be changed while
/// inactive (its history stays).
async fn check_user_refs<C: Conn>(
    conn: &C,
    user: &User,
    before: Option<&User>,
    problems: &mut Vec<(Field, Reason)>,
) -> Result<()> {
    if let Some(c) = user.customer_id
        && directory::customer_by_id(conn, c).await?.is_none()
    {
        problems.push(("customer_id", Reason::Unknown));
    }
    let mut left_since = false;
    if let Some(contact) = user.contact_id {
        match directory::contact_by_id(conn, contact).await? {
            Some(k) if Some(k.customer_id) == user.customer_id => {
                if k.left && before.is_none_or(|b| b.contact_id != Some(contact)) {
                    problems.push((
                        "contact_id",
                        Reason::Mismatch { detail_en: "has left the customer", detail_zh: "已离开该客户单位" },
                    ));
                } else {
                    left_since = k.left;
                }
            }
            _ => problems.push(("contact_id", Reason::Unknown)),
        }
    }
    if let Some(g) = user.group_id
        && !aftersales_storage::catalog::groups(conn).await?.iter().any(|x| x.id == g)
    {
        problems.push(("group_id", Reason::Unknown));
    }
    if problems.is_empty() {
        check_contact_not_left(user, left_since)?;
    }
    Ok(())
}

/// A page request: 1-based page number and page size (at most 200). Made by [`Page::new`],
/// which refuses numbers the database cannot take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub page: u64,
    pub per_page: u64,
}

impl Default for Page {
    fn default() -> Self {
        Page { page: 1, per_page: 50 }
    }
}

impl Page {
    pub const MAX_PER_PAGE: u64 = 200;
    /// The highest page number asked for: far beyond any list, and small enough that the
    /// offset stays a valid SQL integer (`BIGINT`).
    pub const MAX_PAGE: u64 = 1_000_000;

    /// Validates page numbers given by a client (a page or an API caller).
    pub fn new(page: Option<u64>, per_page: Option<u64>) -> Result<Page> {
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(50);
        if page == 0 || page > Self::MAX_PAGE {
            return Err(DomainError::field(
                "page",
                Reason::Malformed { expected_en: "1 to 1000000", expected_zh: "1 至 1000000 的整数" },
            )
            .into());
        }
        if per_page == 0 || per_page > Self::MAX_PER_PAGE {
            return Err(DomainError::field(
                "per_page",
                Reason::Malformed { expected_en: "1 to 200", expected_zh: "1 至 200" },
            )
            .into());
        }
        Ok(Page { page, per_page })
    }

    /// Rows per page (never more than a SQL `BIGINT` holds, even for a page built by hand).
    pub fn limit(self) -> u64 {
        self.per_page.min(i64::MAX as u64)
    }

    /// Rows to skip (never more than a SQL `BIGINT` holds: a page built by hand beyond the
    /// end reads nothing instead of failing).
    pub fn offset(self) -> u64 {
        (self.page.max(1) - 1).saturating_mul(self.per_page).min(i64::MAX as u64)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn page_numbers_stay_within_what_the_database_takes() {
        assert_eq!(Page::new(None, None).unwrap(), Page::default());
        assert_eq!(Page::new(Some(3), Some(20)).unwrap().offset(), 40);
        assert_eq!(Page::new(Some(Page::MAX_PAGE), Some(200)).unwrap().offset(), 199_999_800);
        for (page, per_page) in [(0, 50), (Page::MAX_PAGE + 1, 50), (u64::MAX, 50), (1, 0), (1, 201)] {
            let e = Page::new(Some(page), Some(per_page)).unwrap_err();
            assert_eq!(e.code(), "invalid_input", "{page} × {per_page}");
        }
        let by_hand = Page { page: u64::MAX, per_page: u64::MAX };
        assert!(i64::try_from(by_hand.offset()).is_ok() && i64::try_from(by_hand.limit()).is_ok());
    }
}
