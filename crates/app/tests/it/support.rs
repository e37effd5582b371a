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

/// Customer B's standard request, registered, accepted and graded `level` by the desk.
pub async fn graded(
    app: &App,
    org: &aftersales_testkit::Org,
    now: aftersales_domain::Timestamp,
    level: &str,
) -> Ticket {
    let t = register(app, &org.desk, &org.registration(now)).await;
    let t = step(app, &org.desk, &t, Command::Accept).await;
    step(app, &org.desk, &t, grade(level, "按影响范围分级")).await
}

/// Dispatched to the suggested engineer (customer B's: eng_south), who calls and starts.
pub async fn working(app: &App, org: &aftersales_testkit::Org, t: &Ticket) -> Ticket {
    let t = step(app, &org.dispatcher, t, Command::Dispatch { group_id: None, engineer_id: None }).await;
    let t = step(app, &org.eng_south, &t, Command::Respond { note: None }).await;
    step(app, &org.eng_south, &t, Command::Start { plan: None }).await
}
