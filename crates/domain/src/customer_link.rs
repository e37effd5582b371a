//! Signed links in customer e-mail (DOMAIN §6, §8): a contact who has no portal account (or
//! is not signed in) confirms closure, says the problem is not solved, or answers the survey
//! from the mail. A link has one purpose, expires, can be revoked, and takes effect once;
//! opening it (mail scanners do) changes nothing, only submitting its form does.

use serde::{Deserialize, Serialize};

use crate::coded_enum;
use crate::ticket::{Status, Ticket};
use crate::{Id, Timestamp};

coded_enum! {
    /// What a link may do.
    pub enum LinkPurpose {
        /// Confirm closure of a resolved ticket, or refuse it with a reason.
        Closure = ("closure", "确认结案", "Confirm closure"),
        /// Answer the satisfaction survey of a closed ticket.
        Survey = ("survey", "服务评价", "Rate the service"),
        /// Approve or refuse a quote (seed 003); which revision is checked by
        /// `fee::FeeFile::decidable` against the link's time.
        Quote = ("quote", "确认报价", "Approve the quote"),
        /// Sign a service report version, or refuse it with a reason (issue 14); which
        /// version is the link's `report_id`, checked by the app against the newest draft.
        Report = ("report", "签署服务报告", "Sign the service report"),
    }
}

impl LinkPurpose {
    /// How long a link of this purpose stays usable.
    pub fn lifetime(self) -> jiff::SignedDuration {
        let days = match self {
            LinkPurpose::Closure | LinkPurpose::Quote | LinkPurpose::Report => 14,
            LinkPurpose::Survey => crate::customer_view::SURVEY_DAYS,
        };
        jiff::SignedDuration::from_hours(24 * days)
    }
}

/// A stored link (only the SHA-256 of its token is kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerLink {
    pub id: Id,
    pub ticket_id: Id,
    pub contact_id: Id,
    pub purpose: LinkPurpose,
    /// The service report version a [`LinkPurpose::Report`] link signs.
    pub report_id: Option<Id>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    pub used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

coded_enum! {
    /// Why a link can no longer be used (each says so on its own page; none names the ticket
    /// to someone holding a forged link).
    pub enum LinkProblem {
        Used = ("used", "此链接已使用过", "This link has already been used"),
        Expired = ("expired", "此链接已过期", "This link has expired"),
        Revoked = ("revoked", "此链接已失效", "This link was withdrawn"),
        /// The ticket moved on since the mail (closed another way, reopened, surveyed).
        Superseded = ("superseded", "工单状态已变化，此链接不再适用", "The request has moved on; this link no longer applies"),
    }
}

impl CustomerLink {
    /// Whether the link may act on `t` now.
    pub fn check(&self, t: &Ticket, now: Timestamp) -> Result<(), LinkProblem> {
        if self.used_at.is_some() {
            return Err(LinkProblem::Used);
        }
        if self.revoked_at.is_some() {
            return Err(LinkProblem::Revoked);
        }
        if now >= self.expires_at {
            return Err(LinkProblem::Expired);
        }
        let current = match self.purpose {
            // A link from an earlier resolution must not settle a later one.
            LinkPurpose::Closure => t.status == Status::Resolved && t.resolved_at.is_some_and(|r| r <= self.created_at),
            LinkPurpose::Survey => {
                t.status == Status::Closed
                    && t.survey_result.is_none()
                    && t.closed_at.is_some_and(|c| c <= self.created_at)
            }
            LinkPurpose::Quote => t.status.is_open(),
            // Whether its version is still the newest draft is the app's check.
            LinkPurpose::Report => crate::service_report::check_ticket(t).is_ok() && self.report_id.is_some(),
        };
        if current { Ok(()) } else { Err(LinkProblem::Superseded) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ticket::tests_support::ticket;

    fn link(t: &Ticket, purpose: LinkPurpose, at: Timestamp) -> CustomerLink {
        CustomerLink {
            id: 1,
            ticket_id: t.id,
            contact_id: 1,
            purpose,
            report_id: None,
            created_at: at,
            expires_at: at + purpose.lifetime(),
            used_at: None,
            revoked_at: None,
        }
    }

    #[test]
    fn a_closure_link_works_once_while_the_ticket_waits_for_the_customer() {
        let mut t = ticket();
        let at = t.registered_at + jiff::SignedDuration::from_hours(2);
        t.status = Status::Resolved;
        t.resolved_at = Some(at);
        let mut l = link(&t, LinkPurpose::Closure, at);
        assert_eq!(l.check(&t, at), Ok(()));
        assert_eq!(l.check(&t, at + LinkPurpose::Closure.lifetime()), Err(LinkProblem::Expired));
        l.used_at = Some(at);
        assert_eq!(l.check(&t, at), Err(LinkProblem::Used));
        l.used_at = None;
        // Resolved again later (after a refusal): the old mail's link does not settle it.
        t.resolved_at = Some(at + jiff::SignedDuration::from_hours(1));
        assert_eq!(l.check(&t, at + jiff::SignedDuration::from_hours(2)), Err(LinkProblem::Superseded));
        t.status = Status::Closed;
        assert_eq!(l.check(&t, at), Err(LinkProblem::Superseded));
    }
}
