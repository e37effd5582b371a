//! Helpers for driving tickets through their steps.

use aftersales_app::tickets::{Command, StepOutcome};
use aftersales_app::{Actor, App, AppError, Outcome};
use aftersales_domain::registration::Registration;
use aftersales_domain::ticket::Ticket;

pub fn fresh<T: serde::de::DeserializeOwned>(o: Outcome<T>) -> T {
    o.into_value().unwrap()
}

pub async fn register(app: &App, actor: &Actor, r: &Registration) -> Ticket {
    fresh(app.register(actor, r, None).await.unwrap()).ticket
}

/// Takes a step based on the ticket's current version; panics with the error if refused.
pub async fn step(app: &App, actor: &Actor, t: &Ticket, cmd: Command) -> Ticket {
    match app.act(actor, t.id, Some(t.version), &cmd, None).await {
        Ok(o) => fresh::<StepOutcome>(o).ticket.ticket,
        Err(e) => panic!("{cmd:?} refused: {e:?}"),
    }
}

/// Takes a step that must be refused, returning why.
pub async fn refused(app: &App, actor: &Actor, t: &Ticket, cmd: Command) -> AppError {
    match app.act(actor, t.id, Some(t.version), &cmd, None).await {
        Ok(_) => panic!("{cmd:?} was accepted"),
        Err(e) => e,
    }
}

pub fn grade(level: &str, reason: &str) -> Command {
    Command::Grade { level: level.into(), reason: reason.into() }
}
