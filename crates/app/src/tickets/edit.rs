//! Work log entries and edits of a registration.

use super::*;

impl App {
    /// Adds a work log entry for its audience (`visibility`: the writer's choice where the
    /// kind allows one, DOMAIN §8). Appending does not change the ticket, so it needs no version.
    pub async fn add_log(
        &self,
        actor: &Actor,
        id: Id,
        kind: LogKind,
        body: &str,
        visibility: Option<Visibility>,
        idem: Option<&Idem>,
    ) -> Result<Outcome<LogEntry>> {
        actor.require(Action::AddLogEntry)?;
        if !worklog::may_write(actor.user.role, kind) {
            return Err(DomainError::Forbidden { role: actor.user.role, action: Action::AddLogEntry }.into());
        }
        let visibility = kind.visibility(visibility)?;
        let body = worklog::check_body(body)?;
        self.warm().await?;
        let tx = self.store.write().await?;
        if let Some((status, body)) = self.replay(&tx, actor, idem).await? {
            return Ok(Outcome::Replayed { status, body });
        }
        let mut t = load_visible(&*tx, actor, id).await?;
        if actor.user.role.line().is_some() && worklog::needs_assignment(kind) && !t.is_assigned_to(actor.id()) {
            return Err(DomainError::from(Conflict::NotAssignedToRecord).into());
        }
        let mut entry =
            LogEntry { id: 0, ticket_id: t.id, kind, body, author_id: actor.id(), at: self.now(), visibility };
        entry.id = tickets::insert_log(&*tx, &entry).await?;
        // A plan, an arrival on site, a report or a progress message stops or moves a clock.
        let based_on = t.version;
        self.apply_event(&tx, &mut t, actor, "log_added", Vec::new(), None, Some(kind), based_on).await?;
        // A progress message is the customer's to hear (DOMAIN §5, §8); `on_log` decides.
        if let Some(spec) = aftersales_domain::notice::on_log(&t, &entry) {
            self.raise(&*tx, &t, &spec, self.now()).await?;
        }
        self.commit_with(tx, actor, idem, &entry).await?;
        Ok(Outcome::Fresh(entry))
    }

    /// Edits registration details of an open ticket, based on version `based_on`.
    pub async fn edit_ticket(
        &self,
        actor: &Actor,
        id: Id,
        based_on: Option<i64>,
        edit: &TicketEdit,
    ) -> Result<TicketView> {
        actor.require(Action::EditTicket)?;
        let based_on = based_on.ok_or(AppError::PreconditionRequired)?;
        self.warm().await?;
        let tx = self.store.write().await?;
        let mut t = load_visible(&*tx, actor, id).await?;
        if t.version != based_on {
            return Err(self.stale(actor, t).await);
        }
        if !t.status.is_open() {
            return Err(DomainError::from(Conflict::NotEditable { status: t.status }).into());
        }
        let before = t.clone();
        // Re-run the intake checks on the edited registration so an edit cannot make it vague or incomplete.
        let as_registration = Registration {
            customer_id: Some(t.customer_id),
            contact_name: Some(edit.contact_name.clone().unwrap_or_else(|| t.contact_name.clone())),
            contact_phone: Some(edit.contact_phone.clone().unwrap_or_else(|| t.contact_phone.clone())),
            kind: Some(edit.kind.unwrap_or(t.kind)),
            fault_code: edit.fault_code.clone().or_else(|| t.fault_code.clone()),
            description: Some(edit.description.clone().unwrap_or_else(|| t.description.clone())),
            occurred_at: Some(edit.occurred_at.unwrap_or(t.occurred_at)),
            impact_scope: Some(edit.impact_scope.clone().unwrap_or_else(|| t.impact_scope.clone())),
            expected_resolution: edit.expected_resolution.clone().or_else(|| t.expected_resolution.clone()),
            expected_by: edit.expected_by.or(t.expected_by),
            complaint_about: t.complaint_about.map(|c| c.to_string()),
            ..Registration::default()
        };
        // A new time of occurrence is checked against the registration it belongs to and the
        // device; a kept one is left as registered.
        let bounds = match edit.occurred_at {
            Some(_) => {
                let device = match t.device_id {
                    Some(d) => directory::device_by_id(&*tx, d).await?,
                    None => None,
                };
                self.occurred_bounds(t.registered_at, Some(self.settings.occurred_horizon_days), device.as_ref())
            }
            None => self.occurred_bounds(self.now(), None, None),
        };
        let checked = registration::check(&as_registration, &bounds)?;
        if let Some(cat) = edit.category_id {
            match catalog::category_by_id(&*tx, cat).await? {
                Some(c) if c.active => {
                    t.category_id = Some(c.id);
                    if t.first_line_id.is_none() {
                        t.group_id = c.group_id.or(t.group_id);
                    }
                }
                _ => return Err(AppError::invalid("category_id", Reason::Unknown)),
            }
        }
        t.contact_name = checked.contact_name;
        t.contact_phone = checked.contact_phone;
        t.kind = as_registration.kind.unwrap_or(t.kind);
        t.fault_code = checked.fault_code;
        t.description = checked.description;
        t.occurred_at = checked.occurred_at;
        t.impact_scope = checked.impact_scope;
        t.expected_resolution = checked.expected_resolution;
        t.expected_by = as_registration.expected_by;
        if let Some(d) = &edit.cooperating_departments {
            crate::work_orders::check_departments(&*tx, d, &before.cooperating_departments).await?;
            t.cooperating_departments = d.clone();
        }
        let changes = event::diff(&before, &t);
        if changes.is_empty() {
            return self.view_of(present(actor, t)).await;
        }
        self.apply_event(&tx, &mut t, actor, "edit", changes, None, None, based_on).await?;
        tx.commit().await?;
        self.view_of(present(actor, t)).await
    }
}
