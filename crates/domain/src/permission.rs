//! The role × action permission table (DOMAIN §1), and the scope of tickets a role may
//! touch. `app` asks here before every use case; nothing else decides permissions.

use crate::coded_enum;
use crate::role::Role;

coded_enum! {
    /// Everything a person can ask the system to do.
    pub enum Action {
        ReadTicket = ("read_ticket", "查看工单", "read tickets"),
        RegisterTicket = ("register_ticket", "登记报修", "register a ticket"),
        EditTicket = ("edit_ticket", "修改登记信息", "edit registration details"),
        AcceptTicket = ("accept_ticket", "受理", "accept a ticket"),
        ConfirmWindow = ("confirm_window", "窗口确认", "confirm as the customer's window"),
        GradeTicket = ("grade_ticket", "问题分级", "grade a ticket"),
        ReviewGrading = ("review_grading", "审核分级", "review a grading"),
        DecidePriorityChange = ("decide_priority_change", "审批降级", "approve or reject a priority downgrade"),
        ObjectToGrading = ("object_to_grading", "分级异议", "object to a grading"),
        RuleGradingDispute = ("rule_grading_dispute", "裁定分级争议", "rule on a grading dispute"),
        DispatchTicket = ("dispatch_ticket", "派单", "dispatch a ticket"),
        Respond = ("respond", "联系客户", "record first contact with the customer"),
        WorkTicket = ("work_ticket", "技术处理", "work on a ticket"),
        RequestSecondLine = ("request_second_line", "申请二线支持", "request second-line support"),
        ResolveTicket = ("resolve_ticket", "解决", "resolve a ticket"),
        ConfirmClosure = ("confirm_closure", "确认结案", "confirm closure"),
        RefuseClosure = ("refuse_closure", "拒绝结案", "refuse closure"),
        ReopenTicket = ("reopen_ticket", "重新打开", "reopen a ticket"),
        CancelTicket = ("cancel_ticket", "撤销", "cancel a ticket"),
        AddLogEntry = ("add_log_entry", "记录处理过程", "add a work log entry"),
        ReadDirectory = ("read_directory", "查看客户资料", "read customers, contacts and devices"),
        ManageDirectory = ("manage_directory", "维护客户资料", "manage customers, contacts and devices"),
        ReadUsers = ("read_users", "查看人员", "read users"),
        ManageUsers = ("manage_users", "人员管理", "manage users"),
        ManageCatalog = ("manage_catalog", "维护分类与分级", "manage groups, categories and the grading scheme"),
        BookVisit = ("book_visit", "预约上门", "book a site visit"),
        ManageWorkingDays = ("manage_working_days", "维护工程师排班", "set engineers' leave and duty days"),
        RecordSurvey = ("record_survey", "回访调查", "record a satisfaction survey"),
        ReadServicePolicy = ("read_service_policy", "查看日历与服务策略", "read calendars and service policies"),
        ManageServicePolicy = ("manage_service_policy", "维护日历与服务策略", "manage calendars and service policies"),
        ReadWorkOrders = ("read_work_orders", "查看协作工单", "read work orders"),
        ManageWorkOrders = ("manage_work_orders", "派发协作工单", "open and manage work orders"),
        ManageQualifications = ("manage_qualifications", "维护工程师资质", "manage engineers' qualifications and training"),
        ReadParts = ("read_parts", "查看备件与库存", "read spare parts and stock"),
        ManageParts = ("manage_parts", "维护备件目录与仓库", "manage the parts catalog and warehouses"),
        MoveStock = ("move_stock", "备件出入库", "receive, issue, transfer and adjust stock"),
        RequestParts = ("request_parts", "申领备件", "request, use and return spare parts"),
        ApproveParts = ("approve_parts", "审批备件申领", "approve parts requisitions"),
        /// Seed 003: write the itemised quote of chargeable work.
        WriteQuote = ("write_quote", "编制报价", "write a quote"),
        /// The customer approves or refuses a quote (staff record a paper signature).
        DecideQuote = ("decide_quote", "确认报价", "approve or refuse a quote"),
        /// Record a payment or a zero-charge settlement, with its receipt.
        Settle = ("settle", "收费结算", "record a payment"),
        /// DOMAIN §7: the management reports (an engineer's own weekly line and a contact's
        /// customer edition are row-level rules in `crate::reporting`).
        ReadReports = ("read_reports", "查看报表", "read the management reports"),
        /// The monthly service report's improvement actions (seed 000 (五)).
        WriteImprovements = ("write_improvements", "填写改进措施", "write the monthly improvement actions"),
        /// Blue/red weights of the weekly table and the desk's amounts per miss.
        ManageReportSettings = ("manage_report_settings", "维护报表设置", "manage report settings"),
        /// DOMAIN §6: read the callback worklist, the closure check and the archive.
        ReadCallbacks = ("read_callbacks", "查看回访与归档", "read callbacks, the closure check and the archive"),
        /// DOMAIN §6, seed 004 §4.1.1: the desk calls customers back and records the survey.
        WorkCallbacks = ("work_callbacks", "电话回访", "work callbacks"),
    }
}

/// Which tickets a role's actions reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketScope {
    /// Every ticket of the service organization.
    All,
    /// Only tickets where the user is the first- or second-line engineer (for work on them;
    /// reading stays [`TicketScope::All`] for staff).
    Assigned,
    /// Only tickets of the user's own customer organization (DOMAIN §8).
    OwnCustomer,
}

/// May `role` perform `action` at all? (Row-level scope is [`scope`].)
pub fn allows(role: Role, action: Action) -> bool {
    use Action::*;
    use Role::*;
    // Issue 13: work orders are internal (every staff member reads them, since any of them
    // may own one; a customer never does); the ticket's people open them; qualifications
    // are kept by administrators and supervisors.
    match action {
        ReadWorkOrders => return role != CustomerContact,
        ManageWorkOrders => {
            return matches!(
                role,
                Admin
                    | DeskAgent
                    | Dispatcher
                    | Supervisor
                    | FirstLineEngineer
                    | SecondLineEngineer
                    | TechLead
                    | ProjectSpecialist
            );
        }
        ManageQualifications => return matches!(role, Admin | Supervisor),
        // DOMAIN §7 / seed 000 (五): the supervisor and the data specialist own the reports;
        // the PM and GM read them.
        ReadReports => {
            return matches!(role, Admin | Supervisor | DataSpecialist | ProjectManager | GeneralManager);
        }
        WriteImprovements => return matches!(role, Admin | Supervisor),
        ManageReportSettings => return matches!(role, Admin | Supervisor),
        // Seed 004 §4.1.1: the desk (客服专员) calls back; the supervisor, the project
        // specialist, the PM, the GM and the data specialist read the callbacks.
        WorkCallbacks => return matches!(role, Admin | DeskAgent),
        ReadCallbacks => {
            return matches!(
                role,
                Admin | DeskAgent | Supervisor | ProjectSpecialist | ProjectManager | GeneralManager | DataSpecialist
            );
        }
        _ => {}
    }
    match role {
        Admin => true,
        DeskAgent => matches!(
            action,
            ReadTicket
                | RegisterTicket
                | EditTicket
                | AcceptTicket
                | ConfirmWindow
                | GradeTicket
                | ObjectToGrading
                | ConfirmClosure
                | RefuseClosure
                | ReopenTicket
                | CancelTicket
                | AddLogEntry
                | RecordSurvey
                | ReadServicePolicy
                | ReadDirectory
                | ManageDirectory
                | ReadUsers
                | ReadParts
                | WriteQuote
                | DecideQuote
                | Settle
        ),
        Dispatcher => matches!(
            action,
            ReadTicket
                | RegisterTicket
                | EditTicket
                | AcceptTicket
                | GradeTicket
                | DispatchTicket
                | RequestSecondLine
                | BookVisit
                | ManageWorkingDays
                | CancelTicket
                | AddLogEntry
                | ReadServicePolicy
                | ReadDirectory
                | ReadUsers
                | ReadParts
        ),
        Supervisor => matches!(
            action,
            ReadTicket
                | RegisterTicket
                | EditTicket
                | AcceptTicket
                | ConfirmWindow
                | GradeTicket
                | ReviewGrading
                | DecidePriorityChange
                | DispatchTicket
                | Respond
                | WorkTicket
                | RequestSecondLine
                | ResolveTicket
                | ConfirmClosure
                | RefuseClosure
                | ReopenTicket
                | CancelTicket
                | AddLogEntry
                | BookVisit
                | ManageWorkingDays
                | RecordSurvey
                | ReadServicePolicy
                | ReadDirectory
                | ManageDirectory
                | ReadUsers
                | ReadParts
                | RequestParts
                | ApproveParts
                | WriteQuote
                | DecideQuote
                | Settle
        ),
        FirstLineEngineer | SecondLineEngineer | TechLead => matches!(
            action,
            ReadTicket
                | Respond
                | WorkTicket
                | RequestSecondLine
                | ResolveTicket
                | BookVisit
                | AddLogEntry
                | ReadServicePolicy
                | ReadDirectory
                | ReadUsers
                | ReadParts
                | RequestParts
                | WriteQuote
                | DecideQuote
                | Settle
        ),
        ProjectSpecialist => matches!(
            action,
            ReadTicket
                | RequestSecondLine
                | AddLogEntry
                | ReadServicePolicy
                | ReadDirectory
                | ManageDirectory
                | ReadUsers
        ),
        ProjectManager | GeneralManager => {
            matches!(action, ReadTicket | AddLogEntry | ReadServicePolicy | ReadDirectory | ReadUsers)
        }
        TechnicalDirector => matches!(
            action,
            ReadTicket | RuleGradingDispute | AddLogEntry | ReadServicePolicy | ReadDirectory | ReadUsers
        ),
        DataSpecialist => matches!(action, ReadTicket | ReadServicePolicy | ReadDirectory | ReadUsers | ReadParts),
        // The keeper holds the warehouses (issue 13): the catalog, stock movements and the
        // issue of approved requisitions; reads tickets to see what a requisition is for.
        PartsKeeper => matches!(
            action,
            ReadTicket | ReadDirectory | ReadUsers | ReadServicePolicy | ReadParts | ManageParts | MoveStock
        ),
        CustomerContact => matches!(
            action,
            ReadTicket
                | RegisterTicket
                | ConfirmWindow
                | ObjectToGrading
                | ConfirmClosure
                | RefuseClosure
                | RecordSurvey
                | AddLogEntry
                | ReadDirectory
                | DecideQuote
        ),
    }
}

/// Which tickets `role` may do `action` on.
pub fn scope(role: Role, action: Action) -> TicketScope {
    match role {
        Role::CustomerContact => TicketScope::OwnCustomer,
        Role::FirstLineEngineer | Role::SecondLineEngineer | Role::TechLead
            if matches!(
                action,
                Action::Respond
                    | Action::WorkTicket
                    | Action::ResolveTicket
                    | Action::RequestSecondLine
                    | Action::BookVisit
                    | Action::RequestParts
                    | Action::WriteQuote
                    | Action::DecideQuote
                    | Action::Settle
            ) =>
        {
            TicketScope::Assigned
        }
        _ => TicketScope::All,
    }
}

/// Roles that call customers keep their numbers; the rest see them masked (DOMAIN §8), and
/// so does a customer contact (colleagues' numbers are not theirs to read).
pub fn sees_contact_phones(role: Role) -> bool {
    !matches!(
        role,
        Role::DataSpecialist
            | Role::ProjectManager
            | Role::GeneralManager
            | Role::TechnicalDirector
            | Role::CustomerContact
    )
}

/// Whether a customer search may match part of a contact's phone number. Only roles that
/// see the numbers may: for the others a search by `1912…` would give a masked number
/// back digit by digit (DOMAIN §8), so they find a customer by a whole number only.
pub fn searches_phone_fragments(role: Role) -> bool {
    sees_contact_phones(role)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_supervisors_approve_downgrades_and_only_directors_rule_disputes() {
        for &role in Role::ALL {
            let approves = allows(role, Action::DecidePriorityChange);
            assert_eq!(approves, matches!(role, Role::Supervisor | Role::Admin), "{role}");
            let rules = allows(role, Action::RuleGradingDispute);
            assert_eq!(rules, matches!(role, Role::TechnicalDirector | Role::Admin), "{role}");
        }
    }

    #[test]
    fn keepers_move_stock_supervisors_approve_and_engineers_request_on_their_own_tickets() {
        for &role in Role::ALL {
            let moves = allows(role, Action::MoveStock);
            assert_eq!(moves, matches!(role, Role::PartsKeeper | Role::Admin), "{role}");
            let approves = allows(role, Action::ApproveParts);
            assert_eq!(approves, matches!(role, Role::Supervisor | Role::Admin), "{role}");
        }
        assert_eq!(scope(Role::FirstLineEngineer, Action::RequestParts), TicketScope::Assigned);
        assert!(!allows(Role::CustomerContact, Action::ReadParts));
    }

    #[test]
    fn customer_contacts_are_limited_to_their_own_organization() {
        for &action in Action::ALL {
            assert_eq!(scope(Role::CustomerContact, action), TicketScope::OwnCustomer);
        }
        assert!(!allows(Role::CustomerContact, Action::DispatchTicket));
        assert!(!allows(Role::CustomerContact, Action::ManageDirectory));
    }

    #[test]
    fn customers_never_reach_work_orders_and_only_supervisors_keep_qualifications() {
        for action in [Action::ReadWorkOrders, Action::ManageWorkOrders, Action::ManageQualifications] {
            assert!(!allows(Role::CustomerContact, action));
        }
        assert!(allows(Role::DataSpecialist, Action::ReadWorkOrders));
        assert!(!allows(Role::DataSpecialist, Action::ManageWorkOrders));
        for &role in Role::ALL {
            assert_eq!(allows(role, Action::ManageQualifications), matches!(role, Role::Supervisor | Role::Admin));
        }
    }

    #[test]
    fn engineers_work_only_on_tickets_assigned_to_them() {
        assert_eq!(scope(Role::FirstLineEngineer, Action::ResolveTicket), TicketScope::Assigned);
        assert_eq!(scope(Role::FirstLineEngineer, Action::ReadTicket), TicketScope::All);
        assert!(!allows(Role::FirstLineEngineer, Action::DispatchTicket));
    }
}
