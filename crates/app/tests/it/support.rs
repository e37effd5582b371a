//! Helpers for driving tickets through their steps.

use aftersales_app::tickets::{Command, StepOutcome};
use aftersales_app::{Actor, App, AppError, Outcome};
use aftersales_domain::registration::Registration;
use aftersales_domain::ticket::Ticket;

pub fn fresh<T: serde::de::DeserializeOwned>(o: Outcome<T>) -> T {
    o.into_value().unwrap()
}

/// Registers as `actor` (a customer contact through the portal's use case) and returns the
/// ticket as the staff see it.
pub async fn register(app: &App, actor: &Actor, r: &Registration) -> Ticket {
    if actor.is_customer() {
        let c = fresh(app.customer_register(actor, r, None).await.unwrap());
        return app.ticket(&Actor::operator(), c.id).await.unwrap().ticket;
    }
    fresh(app.register(actor, r, None).await.unwrap()).ticket
}

/// Takes a step based on the ticket's current version (a customer contact through the
/// portal's use case); panics with the error if refused. Returns the staff's view.
pub async fn step(app: &App, actor: &Actor, t: &Ticket, cmd: Command) -> Ticket {
    match act(app, actor, t, &cmd).await {
        Ok(t) => t,
        Err(e) => panic!("{cmd:?} refused: {e:?}"),
    }
}

async fn act(app: &App, actor: &Actor, t: &Ticket, cmd: &Command) -> Result<Ticket, AppError> {
    if actor.is_customer() {
        let c = fresh(app.customer_act(actor, t.id, Some(t.version), cmd, None).await?);
        return Ok(app.ticket(&Actor::operator(), c.id).await?.ticket);
    }
    Ok(fresh::<StepOutcome>(app.act(actor, t.id, Some(t.version), cmd, None).await?).ticket.ticket)
}

/// Takes a step that must be refused, returning why.
pub async fn refused(app: &App, actor: &Actor, t: &Ticket, cmd: Command) -> AppError {
    match act(app, actor, t, &cmd).await {
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
