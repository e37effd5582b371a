//! Who a record is for (DOMAIN §8: "every record has an audience: internal … or customer").
//!
//! Internal records (diagnosis notes, instructions 批示, status notes, escalation notices,
//! internal clocks, customer level, policy) stay with the service organization; customer
//! records (progress, visit times, resolution, the customer's own messages) are what a
//! customer contact may read. This module holds the rules that decide which is which; the
//! customer's projection of a ticket is in [`crate::customer_view`].

use crate::coded_enum;
use crate::error::{DomainError, Reason};
use crate::notice::NoticeKind;
use crate::worklog::LogKind;

coded_enum! {
    /// The audience of one record.
    pub enum Visibility {
        /// Only the service organization reads it.
        Internal = ("internal", "内部", "Internal"),
        /// The customer's contacts read it too (in the portal and in customer notices).
        Customer = ("customer", "客户可见", "Customer-visible"),
    }
}

impl LogKind {
    /// The audience an entry of this kind has when the writer does not choose one: what the
    /// customer is told (their own messages, progress, the visit, the service report) is
    /// customer-facing; the engineer's working notes, instructions and status notes are not.
    pub fn default_visibility(self) -> Visibility {
        match self {
            LogKind::CustomerMessage | LogKind::Progress | LogKind::OnSite | LogKind::ServiceReport => {
                Visibility::Customer
            }
            LogKind::Contact
            | LogKind::Diagnosis
            | LogKind::Plan
            | LogKind::RemoteFix
            | LogKind::Instruction
            | LogKind::StatusNote => Visibility::Internal,
        }
    }

    /// Whether the writer may choose the audience: the handling engineer's own records
    /// (`worklog::needs_assignment`) may be shown to the customer when written for them (a
    /// diagnosis in professional words); an instruction or a status note never is, and what
    /// is by nature addressed to the customer (their message, the progress message) is never
    /// hidden from them.
    pub fn audience_is_chosen(self) -> bool {
        crate::worklog::needs_assignment(self)
    }

    /// The audience of a new entry: the writer's choice where [`Self::audience_is_chosen`],
    /// else the kind's own; a choice the kind does not allow is refused, naming the field.
    pub fn visibility(self, requested: Option<Visibility>) -> Result<Visibility, DomainError> {
        match requested {
            None => Ok(self.default_visibility()),
            Some(v) if v == self.default_visibility() || self.audience_is_chosen() => Ok(v),
            Some(_) => Err(DomainError::field(
                "visibility",
                Reason::Mismatch {
                    detail_en: "cannot be chosen for this kind of entry (instructions and status notes stay internal; customer messages and progress are for the customer)",
                    detail_zh: "不能用于此类记录（批示与状态说明仅内部可见，客户留言与进展通报总是客户可见）",
                },
            )),
        }
    }
}

impl NoticeKind {
    /// The notices addressed to the customer's contact (DOMAIN §8: "told at the moments the
    /// seeds name"); every other notice is an internal escalation and never reaches them.
    pub fn is_customer_facing(self) -> bool {
        matches!(
            self,
            NoticeKind::Accepted
                | NoticeKind::EngineerAssigned
                | NoticeKind::EngineerContacted
                | NoticeKind::VisitBooked
                | NoticeKind::VisitMoved
                | NoticeKind::VisitDelayed
                | NoticeKind::VisitLate
                | NoticeKind::VisitCancelled
                | NoticeKind::ProgressUpdate
                | NoticeKind::Resolved
                | NoticeKind::Closed
                | NoticeKind::SurveyRequest
                | NoticeKind::QuoteToApprove
                | NoticeKind::Receipt
                | NoticeKind::ReportToSign
                | NoticeKind::ReportSigned
        )
    }

    /// Every notice kind addressed to the customer.
    pub fn customer_facing() -> Vec<NoticeKind> {
        NoticeKind::ALL.iter().copied().filter(|k| k.is_customer_facing()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_and_status_notes_never_reach_the_customer() {
        for kind in [LogKind::Instruction, LogKind::StatusNote] {
            assert_eq!(kind.visibility(None), Ok(Visibility::Internal));
            assert!(kind.visibility(Some(Visibility::Customer)).is_err(), "{kind}");
        }
    }

    #[test]
    fn a_diagnosis_is_internal_unless_the_engineer_writes_it_for_the_customer() {
        assert_eq!(LogKind::Diagnosis.visibility(None), Ok(Visibility::Internal));
        assert_eq!(LogKind::Diagnosis.visibility(Some(Visibility::Customer)), Ok(Visibility::Customer));
    }

    #[test]
    fn what_is_addressed_to_the_customer_cannot_be_hidden_from_them() {
        for kind in [LogKind::CustomerMessage, LogKind::Progress] {
            assert_eq!(kind.visibility(None), Ok(Visibility::Customer));
            assert!(kind.visibility(Some(Visibility::Internal)).is_err(), "{kind}");
        }
    }

    #[test]
    fn escalation_notices_are_internal() {
        for kind in [
            NoticeKind::PreBreach,
            NoticeKind::ResponseTimeout,
            NoticeKind::ThreeDaysUnclosed,
            NoticeKind::RepeatReport,
            NoticeKind::VisitDelay,
        ] {
            assert!(!kind.is_customer_facing(), "{kind}");
            assert!(!NoticeKind::customer_facing().contains(&kind));
        }
        // The history events a customer sees are milestones; grading and notices are not.
        use crate::customer_view::Milestone;
        assert!(Milestone::of_action("notice").is_none() && Milestone::of_action("grade").is_none());
        assert!(Milestone::of_action("resolve").is_some());
    }
}
