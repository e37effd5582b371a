//! What every page's frame shows: the header (the reader's name, the menu they may use, the
//! unread and waiting counts) and the CSRF token of its forms.

use aftersales_domain::permission::Action;
use aftersales_domain::role::Role;

use super::Signed;
use crate::AppState;

/// What the header needs to know about the reader.
pub struct Nav {
    pub name: String,
    pub csrf: String,
    pub staff: bool,
    /// May register requests (the desk, dispatchers, supervisors, customer contacts).
    pub register: bool,
    pub unread: u64,
    pub here: &'static str,
    /// May open the administration pages (any of the manage permissions).
    pub admin: bool,
    /// May approve or reject priority downgrades (the supervisor).
    pub approvals: bool,
    /// May see the visits calendar (staff who book visits or set leave and duty).
    pub visits: bool,
    /// An engineer: their visits of today (今日上门).
    pub today: bool,
    /// May see spare parts and requisitions (staff with the parts permission).
    pub parts: bool,
    /// May read callbacks, the closing check and the archive (DOMAIN §6; not engineers, not
    /// contacts).
    pub callbacks: bool,
    /// A customer contact: how many requests wait for their answer (confirm, rate).
    pub waiting: usize,
    /// Staff: how many open work orders they own (我的协作工单); none for a contact.
    pub work_orders: Option<u64>,
    /// May open a report (DOMAIN §7: all of them, an engineer's own weekly line, a
    /// contact's customer edition).
    pub reports: bool,
}

impl Nav {
    pub async fn of(s: &AppState, who: &Signed, here: &'static str) -> Nav {
        let q = aftersales_app::notices::NoticeQuery {
            mine: Some(true),
            acknowledged: Some(false),
            per_page: Some(1),
            ..Default::default()
        };
        // The unread count is a courtesy: a page still renders if it cannot be read.
        let unread = s.app.notices(&who.actor, &q).await.map(|p| p.total).unwrap_or(0);
        let waiting = if who.actor.is_customer() {
            s.app.awaiting_count(&who.actor).await.map(|n| n as usize).unwrap_or(0)
        } else {
            0
        };
        let work_orders =
            if who.actor.is_customer() { None } else { Some(s.app.my_work_order_count(&who.actor).await.unwrap_or(0)) };
        Nav {
            work_orders,
            name: who.actor.user.display_name.clone(),
            csrf: who.csrf.clone(),
            staff: who.actor.user.role != Role::CustomerContact,
            register: aftersales_domain::permission::allows(who.actor.user.role, Action::RegisterTicket),
            unread,
            here,
            admin: super::admin::may_administer(who.actor.user.role),
            approvals: aftersales_domain::permission::allows(who.actor.user.role, Action::DecidePriorityChange),
            parts: aftersales_domain::permission::allows(who.actor.user.role, Action::ReadParts),
            callbacks: aftersales_domain::permission::allows(who.actor.user.role, Action::ReadCallbacks)
                && who.actor.user.role != Role::CustomerContact,
            waiting,
            visits: [Action::BookVisit, Action::ManageWorkingDays]
                .iter()
                .any(|a| aftersales_domain::permission::allows(who.actor.user.role, *a))
                && who.actor.user.role != Role::CustomerContact,
            today: who.actor.user.role.line().is_some(),
            reports: aftersales_domain::reporting::access(
                who.actor.user.role,
                who.actor.id(),
                who.actor.user.customer_id,
            ) != aftersales_domain::reporting::ReportAccess::None,
        }
    }
}
