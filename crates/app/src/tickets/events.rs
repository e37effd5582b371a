//! How a change to a ticket is recorded: its event, clocks, version and watched moments.

use super::*;

impl App {
    /// The answer to a change that went stale: the ticket as it now is, in the reader's
    /// projection (a contact never gets the staff's fields in an error either).
    pub(crate) async fn stale(&self, actor: &Actor, t: Ticket) -> AppError {
        let current = if actor.is_customer() {
            match self.project(actor, &t).await {
                Ok(c) => crate::Current::Customer(Box::new(c)),
                Err(e) => return e,
            }
        } else {
            crate::Current::Staff(Box::new(present(actor, t)))
        };
        AppError::Stale { current: Box::new(current) }
    }

    /// The ticket with its clocks as of now.
    pub(crate) async fn view_of(&self, t: Ticket) -> Result<TicketView> {
        let clocks = self.clock_views(&t).await?;
        let clock_warnings = t.clocks.warnings.clone();
        Ok(TicketView { ticket: t, clocks, clock_warnings })
    }

    /// Records one event: the clocks move with it, the ticket row is written (at version
    /// `based_on` + 1) when its fields or clocks changed, and the event joins the history,
    /// all in `tx`. `log` names a work log entry written with the event.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn apply_event(
        &self,
        tx: &WriteTx,
        t: &mut Ticket,
        actor: &Actor,
        action: &str,
        mut changes: Vec<Change>,
        note: Option<String>,
        log: Option<LogKind>,
        based_on: i64,
    ) -> Result<Id> {
        let fields_changed = !changes.is_empty();
        if let Some(kind) = log {
            changes.push(Change::added("log_kind", kind.code()));
        }
        let e = self.event(t, actor, action, changes, note);
        let clocks_before = t.clocks.clone();
        self.advance_clocks(&**tx, t, &e).await?;
        if fields_changed || t.clocks != clocks_before {
            self.save(tx, actor, t, based_on).await?;
        }
        let id = tickets::insert_event(&**tx, &e).await?;
        // DOMAIN §5: the moments to watch follow the ticket (a response cancels its
        // reminders, a regrade moves them), in the same transaction.
        let cal = self.calendar(t.calendar.as_deref()).await?;
        self.reschedule(tx, t, &cal).await?;
        Ok(id)
    }

    /// A history entry by `actor` now.
    pub(crate) fn event(
        &self,
        t: &Ticket,
        actor: &Actor,
        action: &str,
        changes: Vec<Change>,
        note: Option<String>,
    ) -> Event {
        Event { id: 0, ticket_id: t.id, at: self.now(), actor_id: actor.id(), action: action.into(), changes, note }
    }

    pub(crate) async fn record(
        &self,
        tx: &WriteTx,
        t: &Ticket,
        actor: &Actor,
        action: &str,
        changes: Vec<event::Change>,
        note: Option<String>,
    ) -> Result<()> {
        tickets::insert_event(&**tx, &self.event(t, actor, action, changes, note)).await?;
        Ok(())
    }

    /// Bumps the version and writes the ticket if it is still at `based_on`.
    pub(crate) async fn save(&self, tx: &WriteTx, actor: &Actor, t: &mut Ticket, based_on: i64) -> Result<()> {
        t.version = based_on + 1;
        t.updated_at = self.now();
        if tickets::update(&**tx, t, based_on).await? {
            Ok(())
        } else {
            let current = tickets::by_id(&**tx, t.id).await?.ok_or_else(|| AppError::not_found("ticket", t.id))?;
            Err(self.stale(actor, current).await)
        }
    }
}
