//! Signing in to the web console (issue 5): how long a browser session lasts, when repeated
//! failures close the door for a while, and what a new password must be. Pure rules; the
//! app stores the sessions and counts the failures.

use jiff::SignedDuration;

use crate::Timestamp;
use crate::error::{Field, Reason};

/// A session ends after this long without a request (sliding: each request extends it).
pub const IDLE_TIMEOUT: SignedDuration = SignedDuration::from_hours(12);

/// A session ends at the latest this long after signing in, however busy it is, so a
/// stolen cookie does not live for ever.
pub const MAX_AGE: SignedDuration = SignedDuration::from_hours(7 * 24);

/// How often a session's last-seen time is written: at most once a minute, so a page view
/// is not a database write. The idle timeout is therefore exact to within this much.
pub const TOUCH_INTERVAL: SignedDuration = SignedDuration::from_mins(1);

/// Failed sign-ins are counted over this sliding window.
pub const FAILURE_WINDOW: SignedDuration = SignedDuration::from_mins(15);

/// Failures per account within [`FAILURE_WINDOW`] after which the account refuses
/// every sign-in (even with the right password) until the window has passed.
pub const MAX_ACCOUNT_FAILURES: u64 = 5;

/// Failures per client address within [`FAILURE_WINDOW`] after which the address is
/// refused, whichever accounts it tries (guessing across many accounts).
pub const MAX_ADDRESS_FAILURES: u64 = 20;

/// Password length, in characters.
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;

/// Longest subject (username or address) a failure is counted under; longer input is cut.
pub const SUBJECT_MAX: usize = 200;

/// What failures are counted against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureScope {
    /// The username, lowercased, whether or not such an account exists (so the throttle
    /// does not reveal which accounts exist).
    Account,
    /// The client's IP address.
    Address,
}

impl FailureScope {
    pub fn code(self) -> &'static str {
        match self {
            FailureScope::Account => "account",
            FailureScope::Address => "address",
        }
    }

    /// Failures within [`FAILURE_WINDOW`] that close the door.
    pub fn limit(self) -> u64 {
        match self {
            FailureScope::Account => MAX_ACCOUNT_FAILURES,
            FailureScope::Address => MAX_ADDRESS_FAILURES,
        }
    }

    /// Whether `failures` recent failures refuse the next attempt.
    pub fn throttled(self, failures: u64) -> bool {
        failures >= self.limit()
    }

    /// The subject failures are counted under: a username trimmed and lowercased (as
    /// usernames are stored), an address trimmed; at most [`SUBJECT_MAX`] characters.
    pub fn subject(self, input: &str) -> String {
        let s = input.trim();
        let s = match self {
            FailureScope::Account => s.to_lowercase(),
            FailureScope::Address => s.to_owned(),
        };
        s.chars().take(SUBJECT_MAX).collect()
    }
}

/// When a session used at `now` ends: [`IDLE_TIMEOUT`] later, but never after
/// [`MAX_AGE`] from its sign-in at `created_at`.
pub fn expires_at(created_at: Timestamp, now: Timestamp) -> Timestamp {
    (now + IDLE_TIMEOUT).min(created_at + MAX_AGE)
}

/// Whether a session ending at `expires_at` is still valid at `now`.
pub fn is_live(expires_at: Timestamp, now: Timestamp) -> bool {
    now < expires_at
}

/// Whether a request at `now` should record itself as the session's last activity.
pub fn needs_touch(last_seen_at: Timestamp, now: Timestamp) -> bool {
    now >= last_seen_at + TOUCH_INTERVAL
}

/// What is wrong with `new` as the replacement of the password `old` (field
/// `new_password`); empty when it is acceptable.
pub fn new_password_problems(old: &str, new: &str) -> Vec<(Field, Reason)> {
    let n = new.chars().count();
    let reason = if new.is_empty() {
        Some(Reason::Missing)
    } else if n < PASSWORD_MIN {
        Some(Reason::Malformed { expected_en: "8 to 128 characters", expected_zh: "8 至 128 个字符" })
    } else if n > PASSWORD_MAX {
        Some(Reason::TooLong { max: PASSWORD_MAX })
    } else if new == old {
        Some(Reason::Mismatch {
            detail_en: "must differ from the current password", detail_zh: "不能与当前密码相同"
        })
    } else {
        None
    };
    reason.map(|r| vec![("new_password", r)]).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    #[test]
    fn sessions_slide_but_never_outlive_the_maximum_age() {
        let signed_in = at("2024-03-15T01:00:00Z");
        assert_eq!(expires_at(signed_in, signed_in), at("2024-03-15T13:00:00Z"));
        let later = at("2024-03-21T20:00:00Z");
        assert_eq!(expires_at(signed_in, later), at("2024-03-22T01:00:00Z"));
        assert!(is_live(at("2024-03-15T12:59:59Z"), at("2024-03-15T12:59:58Z")));
        assert!(!is_live(at("2024-03-15T13:00:00Z"), at("2024-03-15T13:00:00Z")));
    }

    #[test]
    fn last_seen_is_written_at_most_once_a_minute() {
        let seen = at("2024-03-15T01:00:00Z");
        assert!(!needs_touch(seen, at("2024-03-15T01:00:59Z")));
        assert!(needs_touch(seen, at("2024-03-15T01:01:00Z")));
    }

    #[test]
    fn throttling_counts_the_limit_of_each_scope() {
        assert!(!FailureScope::Account.throttled(4));
        assert!(FailureScope::Account.throttled(5));
        assert!(!FailureScope::Address.throttled(19));
        assert!(FailureScope::Address.throttled(20));
        assert_eq!(FailureScope::Account.subject("  Desk1 "), "desk1");
        assert_eq!(FailureScope::Address.subject(&"x".repeat(300)).len(), SUBJECT_MAX);
    }

    #[test]
    fn a_new_password_is_long_enough_and_new() {
        assert!(new_password_problems("old-secret", "new-secret").is_empty());
        let code = |old: &str, new: &str| {
            new_password_problems(old, new).into_iter().map(|(f, r)| (f, r.code())).collect::<Vec<_>>()
        };
        assert_eq!(code("old-secret", ""), [("new_password", "missing")]);
        assert_eq!(code("old-secret", "short"), [("new_password", "malformed")]);
        assert_eq!(code("old-secret", &"x".repeat(129)), [("new_password", "too_long")]);
        assert_eq!(code("old-secret", "old-secret"), [("new_password", "mismatch")]);
        assert!(new_password_problems("old-secret", &"长".repeat(128)).is_empty());
    }
}
