//! The work log (技术处理过程记录, DOMAIN §2): every contact, diagnosis step, visit, plan,
//! customer message and instruction, with who and when.

use serde::{Deserialize, Serialize};

use crate::audience::Visibility;
use crate::coded_enum;
use crate::error::{DomainError, Reason};
use crate::role::Role;
use crate::{Id, Timestamp};

coded_enum! {
    pub enum LogKind {
        Contact = ("contact", "联系客户", "Contact"),
        Diagnosis = ("diagnosis", "故障诊断", "Diagnosis"),
        Plan = ("plan", "处理方案", "Plan"),
        RemoteFix = ("remote_fix", "远程处理", "Remote fix"),
        OnSite = ("on_site", "现场处理", "On site"),
        CustomerMessage = ("customer_message", "客户留言", "Customer message"),
        Instruction = ("instruction", "批示", "Instruction"),
        /// The daily progress message to the customer (seed 002/004: before 17:00).
        Progress = ("progress", "进展通报", "Progress update"),
        /// The service report sent after resolution (seed 000: within 24 h).
        ServiceReport = ("service_report", "服务报告", "Service report"),
        /// A staff member's note on where things stand (the desk's 状态说明 on a notice):
        /// internal, never shown to the customer.
        StatusNote = ("status_note", "状态说明", "Status note"),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogEntry {
    pub id: Id,
    pub ticket_id: Id,
    pub kind: LogKind,
    pub body: String,
    pub author_id: Id,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    /// Internal, or shown to the customer (DOMAIN §8; [`LogKind::visibility`]).
    pub visibility: Visibility,
}

pub const MAX_BODY: usize = 4000;

/// Who may write which kind of entry: customers write only their own messages; an
/// instruction (批示) is written by those who give instructions.
pub fn may_write(role: Role, kind: LogKind) -> bool {
    match kind {
        LogKind::CustomerMessage => {
            matches!(role, Role::CustomerContact | Role::DeskAgent | Role::Supervisor | Role::Admin)
        }
        LogKind::Instruction => matches!(
            role,
            Role::Supervisor
                | Role::ProjectManager
                | Role::GeneralManager
                | Role::TechnicalDirector
                | Role::TechLead
                | Role::ProjectSpecialist
                | Role::Admin
        ),
        // What the handling engineer records (and which stops clocks: plan, arrival, report).
        LogKind::Contact
        | LogKind::Diagnosis
        | LogKind::Plan
        | LogKind::RemoteFix
        | LogKind::OnSite
        | LogKind::ServiceReport => role.line().is_some() || matches!(role, Role::Supervisor | Role::Admin),
        // Where things stand, written by the staff who watch the ticket (never the customer).
        LogKind::StatusNote => role.is_staff(),
        // The daily progress message to the customer (desk, from the specialist's content).
        LogKind::Progress => {
            role.line().is_some()
                || matches!(
                    role,
                    Role::DeskAgent | Role::Dispatcher | Role::Supervisor | Role::ProjectSpecialist | Role::Admin
                )
        }
    }
}

/// Kinds an engineer may write only on tickets assigned to them.
pub fn needs_assignment(kind: LogKind) -> bool {
    matches!(
        kind,
        LogKind::Contact
            | LogKind::Diagnosis
            | LogKind::Plan
            | LogKind::RemoteFix
            | LogKind::OnSite
            | LogKind::ServiceReport
    )
}

/// Checks an entry's text.
pub fn check_body(body: &str) -> Result<String, DomainError> {
    let b = body.trim();
    if b.is_empty() {
        return Err(DomainError::field("body", Reason::Missing));
    }
    if b.chars().count() > MAX_BODY {
        return Err(DomainError::field("body", Reason::TooLong { max: MAX_BODY }));
    }
    Ok(b.to_owned())
}
