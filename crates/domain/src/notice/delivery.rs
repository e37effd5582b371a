//! Recorded notices, their recipients, and the deliveries of each on each channel with
//! their attempts and retries.

#[allow(unused_imports)]
use super::*;

/// A recorded notice (通告), as the notice list and the ticket show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notice {
    pub id: crate::Id,
    pub key: String,
    pub ticket_id: crate::Id,
    pub kind: NoticeKind,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    pub subject_zh: String,
    pub body_zh: String,
    pub subject_en: String,
    pub body_en: String,
    pub recipients: Vec<NoticeRecipient>,
}

/// One person a notice was for, with their acknowledgement and note (seed 004: the desk's
/// status note, the PM's or GM's instruction 批示).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoticeRecipient {
    pub user_id: crate::Id,
    pub audience: Audience,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub acknowledged_at: Option<Timestamp>,
    pub note: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub noted_at: Option<Timestamp>,
}

coded_enum! {
    /// Where one delivery stands.
    pub enum DeliveryState {
        Pending = ("pending", "待发送", "Pending"),
        /// An attempt is under way (leased to one worker).
        Sending = ("sending", "发送中", "Sending"),
        Sent = ("sent", "已发送", "Sent"),
        /// Gave up after the retries, or refused for good; an administrator may retry it.
        Dead = ("dead", "发送失败", "Dead letter"),
        /// The worker stopped during an attempt: the receiver may or may not have it. It is not
        /// sent again on its own (that could repeat it); an administrator checks the receiver
        /// and confirms it arrived or sends it again.
        Uncertain = ("uncertain", "待确认", "In doubt"),
    }
}

coded_enum! {
    /// How one attempt (or a person's decision) on a delivery ended.
    pub enum AttemptOutcome {
        Sent = ("sent", "已发送", "Sent"),
        /// Failed for now; tried again later.
        Failed = ("failed", "失败待重试", "Failed, will retry"),
        Dead = ("dead", "发送失败", "Gave up"),
        /// The worker stopped mid-attempt (found when its lease ran out).
        Uncertain = ("uncertain", "结果不明", "Worker stopped mid-attempt"),
        /// An administrator put it back in the queue.
        Requeued = ("requeued", "已重新排队", "Requeued"),
        /// An administrator confirmed an in-doubt delivery arrived.
        Confirmed = ("confirmed", "已确认送达", "Confirmed arrived"),
    }
}

/// One line of a delivery's log: an attempt and how it ended, or a person's decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryAttempt {
    /// The attempt number this line is about (1 = first).
    pub attempt: i32,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    pub outcome: AttemptOutcome,
    /// The receiver's answer or the error.
    pub detail: Option<String>,
    /// The worker that made the attempt, or the administrator who decided.
    pub by: String,
}

/// One delivery of a notice on one channel to one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delivery {
    pub id: crate::Id,
    pub notice_id: crate::Id,
    pub user_id: Option<crate::Id>,
    /// The customer contact a customer notice is e-mailed to (account or not).
    #[serde(default)]
    pub contact_id: Option<crate::Id>,
    /// The one language of a customer's e-mail; none: both languages (staff).
    #[serde(default)]
    pub lang: Option<crate::Lang>,
    pub channel: ChannelKind,
    /// The e-mail address, or the name of a configured robot/webhook target.
    pub target: String,
    pub state: DeliveryState,
    pub attempts: i32,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub next_attempt_at: Timestamp,
    pub last_error: Option<String>,
    pub receipt: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub sent_at: Option<Timestamp>,
    /// Every attempt and decision, oldest first (filled where a single delivery or a
    /// notice's deliveries are shown).
    #[serde(default)]
    pub log: Vec<DeliveryAttempt>,
}

/// Retries before a delivery is dead: 1, 2, 4 … 64 minutes apart (about two hours in all).
pub const MAX_ATTEMPTS: i32 = 8;

/// When attempt `attempts` (1-based, just failed) is retried.
pub fn backoff(attempts: i32) -> SignedDuration {
    SignedDuration::from_mins(1i64 << (attempts.clamp(1, 7) - 1))
}
