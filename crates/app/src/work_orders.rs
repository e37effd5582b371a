//! Work orders across departments (协作工单, seed 002: 明确主责人与协作节点): the ticket's
//! people open a work order for another department, its owner reports daily progress, an
//! overdue one tells its owner and the ticket's engineer once (the [`OverdueCheck`] job,
//! written in the transaction that sets the deadline). The ticket's first-line engineer
//! stays the one responsible for the ticket. Work orders are internal: a customer contact
//! is refused every one of these use cases (DOMAIN §8).

use std::collections::HashMap;

use aftersales_domain::error::Conflict;
use aftersales_domain::notice;
use aftersales_domain::permission::{self, Action};
use aftersales_domain::ticket::{Department as TicketDepartment, Ticket};
use aftersales_domain::work_order::{
    Department, DepartmentInput, WorkOrder, WorkOrderInput, WorkOrderProgress, WorkOrderStatus,
};
use aftersales_domain::{DomainError, Id, Lang};
use aftersales_storage::jobs::{self as job_store, Subject};
use aftersales_storage::{Conn, WriteTx, tickets, users, work_orders as store};
use serde::{Deserialize, Serialize};

use crate::jobs::{BackgroundJob, JobError};
use crate::{Actor, App, AppError, Result};

/// A work order as its readers see it: with its department's and people's names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkOrderView {
    #[serde(flatten)]
    pub work_order: WorkOrder,
    pub department_zh: String,
    pub department_en: String,
    pub owner_name: String,
    pub ticket_number: String,
    /// Open after its deadline.
    pub overdue: bool,
    pub progress: Vec<ProgressView>,
}

/// A progress entry with its author's name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProgressView {
    #[serde(flatten)]
    pub progress: WorkOrderProgress,
    pub author_name: String,
}

/// A ticket's work orders, and who stays responsible for the ticket (seed 002: 主责人).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TicketWorkOrders {
    pub ticket_id: Id,
    /// The ticket's engineer (first line), responsible for the ticket whatever the work
    /// orders; none before dispatch.
    pub responsible_id: Option<Id>,
    pub responsible_name: Option<String>,
    pub work_orders: Vec<WorkOrderView>,
}

/// A status change, based on the version the person saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusChange {
    pub status: WorkOrderStatus,
    pub version: i64,
}

/// An edit of every field, based on the version the person saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkOrderEdit {
    #[serde(flatten)]
    pub input: WorkOrderInput,
    pub version: i64,
}

/// The background job that tells a work order's owner and the ticket's engineer that its
/// deadline passed: one per deadline (deduplicated by it); a changed deadline withdraws the
/// pending one and enqueues its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverdueCheck {
    pub work_order: Id,
    /// The deadline it checks, in milliseconds since the epoch.
    pub deadline: i64,
}

impl BackgroundJob for OverdueCheck {
    const KIND: &'static str = "work_order_overdue";
    const DEDUPLICATED: bool = true;

    fn subject(&self) -> Subject {
        Subject::of("work_order", self.work_order)
    }

    fn dedup_key(&self) -> String {
        self.deadline.to_string()
    }

    async fn run(&self, app: &App) -> std::result::Result<(), JobError> {
        app.check_work_order_overdue(self.work_order, self.deadline).await?;
        Ok(())
    }
}

async fn names<C: Conn>(conn: &C, ids: impl IntoIterator<Item = Id>) -> Result<HashMap<Id, String>> {
    let mut out = HashMap::new();
    for id in ids {
        if out.contains_key(&id) {
            continue;
        }
        if let Some(u) = users::user_by_id(conn, id).await? {
            out.insert(id, u.display_name);
        }
    }
    Ok(out)
}

/// A ticket's cooperating departments (DOMAIN §2) must be departments in use, or ones the
/// ticket named already (`kept`: a retired department stays on the tickets that had it).
pub(crate) async fn check_departments<C: Conn>(
    conn: &C,
    asked: &[TicketDepartment],
    kept: &[TicketDepartment],
) -> Result<()> {
    if asked.iter().all(|d| kept.contains(d)) {
        return Ok(());
    }
    let known = store::departments(conn).await?;
    if asked.iter().all(|d| kept.contains(d) || known.iter().any(|k| k.active && k.code == d.code())) {
        Ok(())
    } else {
        Err(AppError::invalid("cooperating_departments", aftersales_domain::error::Reason::Unknown))
    }
}

impl App {
    /// Builds the readers' views of `list` (progress, names) as of now.
    async fn views<C: Conn>(&self, conn: &C, list: Vec<WorkOrder>) -> Result<Vec<WorkOrderView>> {
        let deps = store::departments(conn).await?;
        let ids: Vec<Id> = list.iter().map(|w| w.id).collect();
        let progress = store::progress_of(conn, &ids).await?;
        let people = names(
            conn,
            list.iter().map(|w| w.owner_id).chain(progress.iter().map(|p| p.author_id)).collect::<Vec<_>>(),
        )
        .await?;
        let mut numbers: HashMap<Id, String> = HashMap::new();
        let ticket_ids: Vec<Id> = list.iter().map(|w| w.ticket_id).collect();
        for t in tickets::by_ids(conn, &ticket_ids).await? {
            numbers.insert(t.id, t.number.to_string());
        }
        let now = self.now();
        Ok(list
            .into_iter()
            .map(|w| {
                let (department_zh, department_en) = Department::names(&deps, &w.department);
                WorkOrderView {
                    department_zh,
                    department_en,
                    owner_name: people.get(&w.owner_id).cloned().unwrap_or_default(),
                    ticket_number: numbers.get(&w.ticket_id).cloned().unwrap_or_default(),
                    overdue: w.is_overdue(now),
                    progress: progress
                        .iter()
                        .filter(|p| p.work_order_id == w.id)
                        .map(|p| ProgressView {
                            author_name: people.get(&p.author_id).cloned().unwrap_or_default(),
                            progress: p.clone(),
                        })
                        .collect(),
                    work_order: w,
                }
            })
            .collect())
    }

    async fn view<C: Conn>(&self, conn: &C, w: WorkOrder) -> Result<WorkOrderView> {
        self.views(conn, vec![w]).await?.pop().ok_or_else(|| AppError::internal("work order view", "empty"))
    }

    /// Every department, retired ones too (staff; the administrators' list).
    pub async fn departments(&self, actor: &Actor) -> Result<Vec<Department>> {
        actor.require_staff(Action::ReadWorkOrders)?;
        Ok(store::departments(self.store.read()).await?)
    }

    /// Adds a department to the list (administrators).
    pub async fn create_department(&self, actor: &Actor, input: &DepartmentInput) -> Result<Department> {
        actor.require(Action::ManageCatalog)?;
        let i = input.check()?;
        let tx = self.store.write().await?;
        let mut d = Department {
            id: 0,
            code: i.code,
            name_zh: i.name_zh,
            name_en: i.name_en,
            active: i.active.unwrap_or(true),
            position: 0,
        };
        d.id = store::insert_department(&*tx, &d).await?;
        tx.commit().await?;
        Ok(d)
    }

    /// Renames a department, or retires / restores it; its code stays (tickets and work
    /// orders keep naming it).
    pub async fn update_department(&self, actor: &Actor, id: Id, input: &DepartmentInput) -> Result<Department> {
        actor.require(Action::ManageCatalog)?;
        let tx = self.store.write().await?;
        let Some(mut d) = store::departments(&*tx).await?.into_iter().find(|d| d.id == id) else {
            return Err(AppError::not_found("department", id));
        };
        let i = DepartmentInput { code: d.code.clone(), ..input.clone() }.check()?;
        d.name_zh = i.name_zh;
        d.name_en = i.name_en;
        d.active = i.active.unwrap_or(d.active);
        store::update_department(&*tx, &d).await?;
        tx.commit().await?;
        Ok(d)
    }

    /// The ticket and its work orders, as the staff see them (another customer's or an
    /// unknown ticket is "not found"; a contact is refused).
    pub async fn ticket_work_orders(&self, actor: &Actor, ticket: Id) -> Result<TicketWorkOrders> {
        actor.require_staff(Action::ReadWorkOrders)?;
        let conn = self.store.read();
        let t = tickets::by_id(conn, ticket).await?.ok_or_else(|| AppError::not_found("ticket", ticket))?;
        let list = self.views(conn, store::of_ticket(conn, t.id).await?).await?;
        let responsible_name = match t.first_line_id {
            Some(e) => users::user_by_id(conn, e).await?.map(|u| u.display_name),
            None => None,
        };
        Ok(TicketWorkOrders { ticket_id: t.id, responsible_id: t.first_line_id, responsible_name, work_orders: list })
    }

    /// One work order (staff).
    pub async fn work_order(&self, actor: &Actor, id: Id) -> Result<WorkOrderView> {
        actor.require_staff(Action::ReadWorkOrders)?;
        let conn = self.store.read();
        let w = store::by_id(conn, id).await?.ok_or_else(|| AppError::not_found("work order", id))?;
        self.view(conn, w).await
    }

    /// The open work orders the actor owns, nearest deadline first (我的协作工单).
    pub async fn my_work_orders(&self, actor: &Actor) -> Result<Vec<WorkOrderView>> {
        actor.require_staff(Action::ReadWorkOrders)?;
        let conn = self.store.read();
        self.views(conn, store::open_of_owner(conn, actor.id(), 200).await?).await
    }

    /// How many open work orders the actor owns (the navigation's count); 0 for a contact.
    pub async fn my_work_order_count(&self, actor: &Actor) -> Result<u64> {
        if actor.is_customer() || !permission::allows(actor.user.role, Action::ReadWorkOrders) {
            return Ok(0);
        }
        Ok(store::count_open_of_owner(self.store.read(), actor.id()).await?)
    }

    /// Checks `input` against the departments and the owner, in the write transaction.
    async fn checked<C: Conn>(
        &self,
        conn: &C,
        input: &WorkOrderInput,
        kept: Option<&WorkOrder>,
    ) -> Result<aftersales_domain::work_order::WorkOrderFields> {
        let deps: Vec<String> = store::departments(conn)
            .await?
            .into_iter()
            // A retired department takes no new work orders; one keeps the one it has.
            .filter(|d| d.active || kept.is_some_and(|w| w.department == d.code))
            .map(|d| d.code)
            .collect();
        let owner = match input.owner_id {
            Some(o) => users::user_by_id(conn, o).await?.map(|u| u.active && u.role.is_staff()),
            None => None,
        };
        Ok(input.check(&deps, owner, self.now(), kept.map(|w| w.deadline))?)
    }

    /// Enqueues the overdue check of `w`'s deadline, withdrawing a pending one of an
    /// earlier deadline (same transaction as the change).
    async fn schedule_overdue(&self, tx: &WriteTx, w: &WorkOrder) -> Result<()> {
        let job = OverdueCheck { work_order: w.id, deadline: w.deadline.as_millisecond() };
        job_store::withdraw(&**tx, OverdueCheck::KIND, &job.subject()).await?;
        if w.status.is_open() {
            self.enqueue(&**tx, &job, w.deadline).await?;
        }
        Ok(())
    }

    /// Opens a work order on a ticket that is still open.
    pub async fn open_work_order(&self, actor: &Actor, ticket: Id, input: &WorkOrderInput) -> Result<WorkOrderView> {
        actor.require_staff(Action::ManageWorkOrders)?;
        let tx = self.store.write().await?;
        let t = tickets::by_id(&*tx, ticket).await?.ok_or_else(|| AppError::not_found("ticket", ticket))?;
        if !t.status.is_open() {
            return Err(DomainError::from(Conflict::NotEditable { status: t.status }).into());
        }
        let f = self.checked(&*tx, input, None).await?;
        let mut w = WorkOrder::open(t.id, f, actor.id(), self.now());
        w.id = store::insert(&*tx, &w).await?;
        self.schedule_overdue(&tx, &w).await?;
        self.record_work_order(&tx, &t, actor, "work_order_opened", &w).await?;
        let view = self.view(&*tx, w).await?;
        tx.commit().await?;
        Ok(view)
    }

    async fn record_work_order(
        &self,
        tx: &WriteTx,
        t: &Ticket,
        actor: &Actor,
        action: &str,
        w: &WorkOrder,
    ) -> Result<()> {
        let (zh, _) = Department::names(&store::departments(&**tx).await?, &w.department);
        let note = format!("{zh} · {} · {}", w.status.label(Lang::Zh), w.needed);
        self.record(tx, t, actor, action, Vec::new(), Some(note)).await
    }

    /// Loads a work order for a change based on `version`, with its ticket; a `reporter`
    /// must be allowed to report on it (checked before the version, so a refusal never
    /// depends on what the person sent).
    async fn for_change(
        &self,
        tx: &WriteTx,
        id: Id,
        version: Option<i64>,
        reporter: Option<&Actor>,
    ) -> Result<(WorkOrder, Ticket)> {
        let w = store::by_id(&**tx, id).await?.ok_or_else(|| AppError::not_found("work order", id))?;
        if let Some(actor) = reporter {
            Self::may_report(actor, &w)?;
        }
        if let Some(v) = version
            && v != w.version
        {
            return Err(DomainError::from(Conflict::StaleWorkOrder { current: w.version }).into());
        }
        let t = tickets::by_id(&**tx, w.ticket_id).await?.ok_or_else(|| AppError::not_found("ticket", w.ticket_id))?;
        Ok((w, t))
    }

    async fn save_work_order(&self, tx: &WriteTx, w: &mut WorkOrder) -> Result<()> {
        let based_on = w.version;
        w.version += 1;
        if !store::update(&**tx, w, based_on).await? {
            let current = store::by_id(&**tx, w.id).await?.map(|c| c.version).unwrap_or(based_on);
            return Err(DomainError::from(Conflict::StaleWorkOrder { current }).into());
        }
        Ok(())
    }

    /// Edits every field of an open work order (the ticket's people); a new deadline moves
    /// its overdue check.
    pub async fn update_work_order(&self, actor: &Actor, id: Id, edit: &WorkOrderEdit) -> Result<WorkOrderView> {
        actor.require_staff(Action::ManageWorkOrders)?;
        let tx = self.store.write().await?;
        let (mut w, t) = self.for_change(&tx, id, Some(edit.version), None).await?;
        let f = self.checked(&*tx, &edit.input, Some(&w)).await?;
        let before = w.deadline;
        w.edit(f, self.now())?;
        self.save_work_order(&tx, &mut w).await?;
        if w.deadline != before {
            self.schedule_overdue(&tx, &w).await?;
        }
        self.record_work_order(&tx, &t, actor, "work_order_changed", &w).await?;
        let view = self.view(&*tx, w).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Whether `actor` may report on `w`: its owner, or one of the ticket's people.
    fn may_report(actor: &Actor, w: &WorkOrder) -> Result<()> {
        if actor.id() == w.owner_id || permission::allows(actor.user.role, Action::ManageWorkOrders) {
            Ok(())
        } else {
            Err(DomainError::from(Conflict::NotWorkOrderOwner).into())
        }
    }

    /// Moves an open work order to in progress, done or cancelled (its owner or the
    /// ticket's people); a closed one's overdue check is withdrawn.
    pub async fn set_work_order_status(&self, actor: &Actor, id: Id, change: &StatusChange) -> Result<WorkOrderView> {
        actor.require_staff(Action::ReadWorkOrders)?;
        let tx = self.store.write().await?;
        let (mut w, t) = self.for_change(&tx, id, Some(change.version), Some(actor)).await?;
        w.set_status(change.status, self.now())?;
        self.save_work_order(&tx, &mut w).await?;
        if !w.status.is_open() {
            job_store::withdraw(&*tx, OverdueCheck::KIND, &Subject::of("work_order", w.id)).await?;
        }
        self.record_work_order(&tx, &t, actor, "work_order_status", &w).await?;
        let view = self.view(&*tx, w).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Records a day's progress on an open work order (its owner or the ticket's people).
    pub async fn add_work_order_progress(&self, actor: &Actor, id: Id, body: &str) -> Result<WorkOrderView> {
        actor.require_staff(Action::ReadWorkOrders)?;
        let tx = self.store.write().await?;
        let (mut w, _) = self.for_change(&tx, id, None, Some(actor)).await?;
        let p = w.progress(body, actor.id(), self.now())?;
        store::insert_progress(&*tx, &p).await?;
        self.save_work_order(&tx, &mut w).await?;
        let view = self.view(&*tx, w).await?;
        tx.commit().await?;
        Ok(view)
    }

    /// The overdue check of `id`'s deadline `deadline`: when the work order is still open
    /// with that deadline and it has passed, its owner and the ticket's engineer are told
    /// (once: the notice's key names the deadline). Anything else is nothing to do.
    pub async fn check_work_order_overdue(&self, id: Id, deadline: i64) -> Result<bool> {
        let tx = self.store.write().await?;
        let Some(w) = store::by_id(&*tx, id).await? else {
            return Ok(false);
        };
        let now = self.now();
        if w.deadline.as_millisecond() != deadline || !w.is_overdue(now) {
            return Ok(false);
        }
        let Some(t) = tickets::by_id(&*tx, w.ticket_id).await? else {
            return Ok(false);
        };
        let (zh, en) = Department::names(&store::departments(&*tx).await?, &w.department);
        let spec = notice::on_work_order_overdue(&t, w.id, w.owner_id, (&zh, &en), w.deadline);
        let raised = self.raise(&*tx, &t, &spec, w.deadline).await?;
        tx.commit().await?;
        Ok(raised)
    }
}
