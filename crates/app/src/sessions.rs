//! Signing in to the web console (issue 5): browser sessions, throttled password checks,
//! changing one's password, the remembered UI language, and one's own API tokens.
//!
//! The rules (lifetimes, limits, password length) are in `aftersales_domain::session`.

use aftersales_domain::error::Reason;
use aftersales_domain::session::{self as rules, FailureScope};
use aftersales_domain::{DomainError, Id, Lang, Timestamp};
use aftersales_storage::sessions::{self, NewSession};
use aftersales_storage::users;

pub use aftersales_storage::users::TokenInfo;

use crate::users::{hash_password, random_bytes, token_hash, verify_password};
use crate::{Actor, App, AppError, Result};

/// Prefix of every session cookie value (API tokens start with `as_` followed by hex, so
/// the two never pass for each other).
pub const SESSION_PREFIX: &str = "as_s_";

/// An argon2id hash, with the default parameters, of a password nobody knows. It is
/// checked when an account has no password to check (unknown, inactive, token-only), so
/// such an attempt takes as long as a wrong password for a real account.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$MHw2kku6vnBbyVYMJZv45w$6jUSi4Wj/Mgcm9Hm138Yy/6RLGsmZnh5Gddj55ugus8";

/// A new browser session.
#[derive(Debug, Clone)]
pub struct SignedIn {
    /// The cookie value; only its SHA-256 is stored.
    pub token: String,
    /// The session's anti-CSRF token, for forms.
    pub csrf: String,
    pub actor: Actor,
    pub expires_at: Timestamp,
    /// The user's remembered UI language; `None` when never chosen (Chinese).
    pub lang: Option<Lang>,
}

/// The signed-in person behind a session cookie.
#[derive(Debug, Clone)]
pub struct Session {
    pub actor: Actor,
    pub csrf: String,
    /// The user's remembered UI language; `None` when never chosen (Chinese).
    pub lang: Option<Lang>,
    /// When the session ends unless used again (never later than 7 days after sign-in).
    pub expires_at: Timestamp,
}

impl App {
    /// Signs in with a username and password from a browser at `address`, and opens a new
    /// session (never an existing one, so a session id planted before sign-in is useless).
    ///
    /// Every refusal is the same [`AppError::SignInFailed`]: wrong password, unknown or
    /// inactive account, or too many failures (5 per account, 20 per address, in 15
    /// minutes). An empty `address` (not known) is not counted per address.
    ///
    /// The attempt is recorded as a failure before the password is checked, in a write
    /// transaction of its own, so guesses sent in parallel cannot slip under the limit; a
    /// success takes it back when it opens the session. The check itself (argon2, tens of
    /// milliseconds of CPU) runs between the two transactions, not holding the writers;
    /// a throttled attempt skips it, so a flood of guesses costs no CPU.
    pub async fn sign_in(
        &self,
        username: &str,
        password: &str,
        address: &str,
        user_agent: Option<&str>,
    ) -> Result<SignedIn> {
        let account = FailureScope::Account.subject(username);
        let address = FailureScope::Address.subject(address);
        let mut subjects = vec![(FailureScope::Account, account.as_str())];
        if !address.is_empty() {
            subjects.push((FailureScope::Address, address.as_str()));
        }
        let now = self.now();
        let attempts = self.count_attempt(&subjects, now).await?;

        let user = users::user_by_username(self.store.read(), &account).await?;
        let hash = match &user {
            Some(u) if u.active => users::password_hash(self.store.read(), u.id).await?,
            _ => None,
        };
        let user = match (user, check_password(password, hash).await?) {
            (Some(user), true) => user,
            _ => return Err(AppError::SignInFailed),
        };

        let token = format!("{SESSION_PREFIX}{}", hex::encode(random_bytes::<32>()?));
        let csrf = hex::encode(random_bytes::<32>()?);
        let now = self.now();
        let expires_at = rules::expires_at(now, now);
        let hash = token_hash(&token);
        let user_agent = user_agent.map(|a| cut(a, 512));
        let tx = self.store.write().await?;
        sessions::clear_failures(&*tx, FailureScope::Account, &account).await?;
        for id in attempts {
            sessions::delete_failure(&*tx, id).await?;
        }
        let kept = jiff::SignedDuration::from_hours(24 * self.settings.retention.expired_sessions_days);
        sessions::delete_expired_sessions(&*tx, Some(user.id), now - kept).await?;
        sessions::insert_session(
            &*tx,
            &NewSession {
                token_hash: &hash,
                user: user.id,
                csrf_token: &csrf,
                created_at: now,
                expires_at,
                user_agent: user_agent.as_deref(),
                address: Some(address.as_str()).filter(|a| !a.is_empty()),
            },
        )
        .await?;
        let lang = sessions::lang_of(&*tx, user.id).await?;
        tx.commit().await?;
        Ok(SignedIn { token, csrf, actor: Actor { user }, expires_at, lang })
    }

    /// Refuses when a subject has too many recent failures, else records the attempt as
    /// one; returns the ids of the records to take back on success.
    async fn count_attempt(&self, subjects: &[(FailureScope, &str)], now: Timestamp) -> Result<Vec<Id>> {
        let tx = self.store.write().await?;
        let since = now - rules::FAILURE_WINDOW;
        for (scope, subject) in subjects {
            sessions::lock_failures(&*tx, *scope, subject).await?;
            if scope.throttled(sessions::count_failures(&*tx, *scope, subject, since).await?) {
                return Err(AppError::SignInFailed);
            }
        }
        let mut ids = Vec::new();
        for (scope, subject) in subjects {
            let id = sessions::record_failure(&*tx, *scope, subject, now).await?;
            // The account's failures are all cleared on success; the address keeps the
            // others' (it may be shared by many people).
            if *scope == FailureScope::Address {
                ids.push(id);
            }
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// The signed-in person behind a session cookie value, or
    /// [`AppError::Unauthenticated`] when it is unknown, ended or its user is inactive.
    /// Moves the session's idle end forward (writing at most once a minute).
    pub async fn session(&self, token: &str) -> Result<Session> {
        if !token.starts_with(SESSION_PREFIX) {
            return Err(AppError::Unauthenticated);
        }
        let hash = token_hash(token);
        let now = self.now();
        let Some(s) = sessions::session_by_token_hash(self.store.read(), &hash).await? else {
            return Err(AppError::Unauthenticated);
        };
        if !rules::is_live(s.expires_at, now) {
            return Err(AppError::Unauthenticated);
        }
        let mut expires_at = s.expires_at;
        if rules::needs_touch(s.last_seen_at, now) {
            expires_at = rules::expires_at(s.created_at, now);
            let tx = self.store.write().await?;
            let found = sessions::touch_session(&*tx, &hash, now, expires_at).await?;
            tx.commit().await?;
            if !found {
                // Signed out meanwhile.
                return Err(AppError::Unauthenticated);
            }
        }
        Ok(Session { actor: Actor { user: s.user }, csrf: s.csrf_token, lang: s.lang, expires_at })
    }

    /// Ends the session of a cookie value (nothing happens for an unknown one).
    pub async fn sign_out(&self, token: &str) -> Result<()> {
        if !token.starts_with(SESSION_PREFIX) {
            return Ok(());
        }
        let tx = self.store.write().await?;
        sessions::delete_session(&*tx, &token_hash(token)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Changes the actor's password after checking the current one, and ends all their
    /// other sessions (whoever else was signed in with the old password); the session
    /// `current_session_token`, if given, stays. API tokens are not affected.
    pub async fn change_password(
        &self,
        actor: &Actor,
        current_session_token: Option<&str>,
        old: &str,
        new: &str,
    ) -> Result<()> {
        let user = users::user_by_id(self.store.read(), actor.id())
            .await?
            .filter(|u| u.active)
            .ok_or_else(|| AppError::not_found("user", actor.id()))?;
        let mut problems = Vec::new();
        if old.is_empty() {
            problems.push(("old_password", Reason::Missing));
        } else if let Some(problem) = self.current_password_problem(&user, old).await? {
            problems.push(problem);
        }
        problems.extend(rules::new_password_problems(old, new));
        if !problems.is_empty() {
            return Err(DomainError::Invalid(problems).into());
        }
        let new = new.to_owned();
        let hash = tokio::task::spawn_blocking(move || hash_password(&new)).await.map_err(blocking)??;
        let keep = current_session_token.map(token_hash);
        let tx = self.store.write().await?;
        if !sessions::set_password_hash(&*tx, user.id, &hash).await? {
            return Err(AppError::not_found("user", user.id));
        }
        sessions::delete_sessions_of_user_except(&*tx, user.id, keep.as_deref()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Checks the person's current password before something sensitive (a new password, a
    /// new API token). Wrong guesses count against the same per-account limit as signing in
    /// (5 in 15 minutes), so a stolen session cannot be used to guess it; a right answer
    /// clears the account's failures as a sign-in does.
    async fn current_password_problem(
        &self,
        user: &aftersales_domain::user::User,
        password: &str,
    ) -> Result<Option<(aftersales_domain::error::Field, Reason)>> {
        let account = FailureScope::Account.subject(&user.username);
        match self.count_attempt(&[(FailureScope::Account, account.as_str())], self.now()).await {
            Err(AppError::SignInFailed) => {
                return Err(DomainError::field(
                    "old_password",
                    Reason::Mismatch {
                        detail_en: "was tried too often; wait 15 minutes",
                        detail_zh: "尝试次数过多，请 15 分钟后再试",
                    },
                )
                .into());
            }
            other => other?,
        };
        let hash = users::password_hash(self.store.read(), user.id).await?;
        if !check_password(password, hash).await? {
            return Ok(Some((
                "old_password",
                Reason::Mismatch { detail_en: "is not your current password", detail_zh: "与当前密码不符" },
            )));
        }
        let tx = self.store.write().await?;
        sessions::clear_failures(&*tx, FailureScope::Account, &account).await?;
        tx.commit().await?;
        Ok(None)
    }

    /// Creates an API token for oneself after confirming the current password (the page's
    /// way: a token outlives the session, so a borrowed browser must not mint one).
    pub async fn create_own_token_confirmed(&self, actor: &Actor, password: &str, name: &str) -> Result<String> {
        let user = users::user_by_id(self.store.read(), actor.id())
            .await?
            .filter(|u| u.active)
            .ok_or_else(|| AppError::not_found("user", actor.id()))?;
        // The form and the API both call the confirming field `password`.
        if password.is_empty() {
            return Err(DomainError::field("password", Reason::Missing).into());
        }
        let problem = match self.current_password_problem(&user, password).await {
            Err(AppError::Domain(DomainError::Invalid(mut problems))) => problems.pop(),
            other => other?,
        };
        if let Some((_, reason)) = problem {
            return Err(DomainError::field("password", reason).into());
        }
        self.create_token(Some(actor), actor.id(), name).await
    }

    /// Remembers the actor's UI language (the pages use it from the next request on).
    pub async fn set_language(&self, actor: &Actor, lang: Lang) -> Result<()> {
        let tx = self.store.write().await?;
        if !sessions::set_lang(&*tx, actor.id(), Some(lang)).await? {
            return Err(AppError::not_found("user", actor.id()));
        }
        tx.commit().await?;
        Ok(())
    }

    /// The actor's remembered UI language; `None` when never chosen (Chinese).
    pub async fn language(&self, actor: &Actor) -> Result<Option<Lang>> {
        Ok(sessions::lang_of(self.store.read(), actor.id()).await?)
    }

    /// The actor's own API tokens, revoked ones included, oldest first (never a hash).
    pub async fn my_tokens(&self, actor: &Actor) -> Result<Vec<TokenInfo>> {
        Ok(users::list_tokens(self.store.read(), actor.id()).await?)
    }

    /// Revokes one of the actor's own API tokens; it stops authenticating at once. Another
    /// user's token, or an unknown id, is "not found". Revoking twice is harmless.
    pub async fn revoke_token(&self, actor: &Actor, id: Id) -> Result<()> {
        let tx = self.store.write().await?;
        if !users::revoke_token(&*tx, actor.id(), id, self.now()).await? {
            return Err(AppError::not_found("token", id));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Removes ended sessions and failures too old to count (housekeeping for the
    /// worker); returns how many of each.
    pub async fn prune_sessions(&self) -> Result<(u64, u64)> {
        let now = self.now();
        let kept = jiff::SignedDuration::from_hours(24 * self.settings.retention.expired_sessions_days);
        let tx = self.store.write().await?;
        let ended = sessions::delete_expired_sessions(&*tx, None, now - kept).await?;
        let failures = sessions::prune_failures(&*tx, now - rules::FAILURE_WINDOW).await?;
        tx.commit().await?;
        Ok((ended, failures))
    }

    /// Deletes expired idempotency keys and the old attempt logs of sent deliveries
    /// (housekeeping for the worker, issue 18); returns how many of each.
    pub async fn prune_records(&self) -> Result<(u64, u64)> {
        /// Rows deleted per transaction.
        const BATCH: u64 = 5_000;
        let now = self.now();
        let retention = self.settings.retention;
        let before = now - jiff::SignedDuration::from_hours(24 * retention.delivery_attempts_days);
        let (mut keys, mut attempts) = (0, 0);
        loop {
            let tx = self.store.write().await?;
            let k = aftersales_storage::idempotency::prune(&*tx, retention.idempotency_cutoff(now), BATCH).await?;
            let a = aftersales_storage::notices::prune_sent_attempts(&*tx, before, BATCH).await?;
            tx.commit().await?;
            (keys, attempts) = (keys + k, attempts + a);
            if k < BATCH && a < BATCH {
                return Ok((keys, attempts));
            }
        }
    }
}

/// Checks `password` against `hash` on a blocking thread (argon2 is CPU work); without a
/// hash, checks it against [`DUMMY_HASH`] all the same and answers `false`.
async fn check_password(password: &str, hash: Option<String>) -> Result<bool> {
    let real = hash.is_some();
    let hash = hash.unwrap_or_else(|| DUMMY_HASH.to_owned());
    let password = password.to_owned();
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.map_err(blocking)?;
    Ok(ok && real)
}

fn blocking(e: tokio::task::JoinError) -> AppError {
    AppError::internal("password check", e)
}

/// At most `max` characters of `s`.
fn cut(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use argon2::password_hash::PasswordHash;

    use super::*;

    /// The dummy hash costs what a real one costs: same algorithm and parameters.
    #[test]
    fn the_dummy_hash_has_the_parameters_of_real_ones() {
        let real = hash_password("correct horse").expect("hash");
        let real = PasswordHash::new(&real).expect("parse real");
        let dummy = PasswordHash::new(DUMMY_HASH).expect("parse dummy");
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(dummy.version, real.version);
        assert_eq!(dummy.params, real.params);
        assert_eq!(dummy.hash.map(|h| h.len()), real.hash.map(|h| h.len()));
        assert!(!verify_password("correct horse", DUMMY_HASH));
    }
}
