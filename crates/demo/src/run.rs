//! Running the plan: each step through the real use cases, as the person it names.

use aftersales_app::tickets::Command;
use aftersales_app::{Actor, App, Result};
use aftersales_domain::Id;
use aftersales_domain::registration::Registration;
use aftersales_domain::ticket::{Kind, Ticket};

use crate::org::{Engineer, Org};
use crate::plan::{Op, Spec, Step, Who};
use crate::time::MIN;
use crate::{demo_error, fresh, ts};

pub(crate) struct Live {
    pub(crate) ticket: Ticket,
    pub(crate) request: Option<Id>,
}

pub(crate) async fn run_step(
    app: &App,
    org: &Org,
    parts: &crate::field_parts::Parts,
    specs: &[Spec],
    live: &mut [Option<Live>],
    step: &Step,
) -> Result<()> {
    let spec = &specs[step.ticket];
    let customer = &org.customers[spec.customer];
    let orig_number = spec.refers_to.and_then(|i| live[i].as_ref()).map(|l| l.ticket.number.to_string());
    let orig = |text: &str| -> String {
        match &orig_number {
            Some(n) => text.replace("{orig}", n),
            None => text.to_owned(),
        }
    };
    let actor = match (step.who, live[step.ticket].as_ref()) {
        (Who::Staff(i), _) => &org.actors[i],
        (Who::Customer, _) => &org.actors[customer.user],
        (Who::First, Some(l)) => {
            let id = l.ticket.first_line_id.ok_or_else(|| demo_error("no first-line engineer".into()))?;
            &org.actors[*org.by_user.get(&id).ok_or_else(|| demo_error(format!("no user {id}")))?]
        }
        (Who::Second, Some(l)) => {
            let id = l.ticket.second_line_id.or(l.ticket.first_line_id);
            let id = id.ok_or_else(|| demo_error("no engineer".into()))?;
            &org.actors[*org.by_user.get(&id).ok_or_else(|| demo_error(format!("no user {id}")))?]
        }
        (_, None) => return Err(demo_error("ticket not registered".into())),
    };
    match &step.op {
        Op::Register => {
            let complaint_about = if spec.kind == Kind::Complaint { orig_number.clone() } else { None };
            let r = Registration {
                customer_id: Some(customer.id),
                contact_id: Some(spec.contact.0),
                channel: Some(spec.channel),
                kind: Some(spec.kind),
                category_id: org.categories.get(spec.category).map(|c| c.0),
                device_id: spec.device,
                fault_code: spec.fault_code.map(Into::into),
                description: Some(orig(&spec.description)),
                occurred_at: Some(ts(spec.at - spec.occurred_before * MIN)?),
                impact_scope: Some(spec.impact.clone()),
                expected_resolution: spec.expected.map(|e| e.0.to_owned()),
                expected_by: spec.expected.map(|e| ts(spec.at + e.1)).transpose()?,
                cooperating_departments: spec.departments.clone(),
                complaint_about,
                ..Registration::default()
            };
            let ticket = if actor.is_customer() {
                let c = fresh(app.customer_register(actor, &r, None).await?)?;
                app.ticket(&Actor::operator(), c.id).await?.ticket
            } else {
                fresh(app.register(actor, &r, None).await?)?.ticket
            };
            live[step.ticket] = Some(Live { ticket, request: None });
        }
        Op::Act(cmd) => {
            let l = live[step.ticket].as_mut().ok_or_else(|| demo_error("ticket not registered".into()))?;
            let cmd = match cmd {
                Command::Cancel { reason, note } => {
                    Command::Cancel { reason: *reason, note: note.as_deref().map(&orig) }
                }
                Command::RequestSecondLine { engineer_id: None, reason } => Command::RequestSecondLine {
                    engineer_id: second_line_for(org, &l.ticket, customer.region),
                    reason: reason.clone(),
                },
                other => other.clone(),
            };
            if let Command::Start { .. } = cmd {
                crate::field_fees::before_start(app, actor, &l.ticket, spec.part, spec.on_site).await?;
            }
            if parts.before(app, actor, &l.ticket, &cmd, spec.part).await? {
                l.ticket = app.ticket(&Actor::operator(), l.ticket.id).await?.ticket;
                return Ok(());
            }
            if actor.is_customer() {
                fresh(app.customer_act(actor, l.ticket.id, Some(l.ticket.version), &cmd, None).await?)?;
                l.ticket = app.ticket(&Actor::operator(), l.ticket.id).await?.ticket;
            } else {
                let out = fresh(app.act(actor, l.ticket.id, Some(l.ticket.version), &cmd, None).await?)?;
                l.ticket = out.ticket.ticket;
                if let Some(q) = out.priority_change_request {
                    l.request = Some(q.id);
                }
            }
        }
        Op::Log(kind, body) => {
            let l = live[step.ticket].as_mut().ok_or_else(|| demo_error("ticket not registered".into()))?;
            fresh(app.add_log(actor, l.ticket.id, *kind, body, None, None).await?)?;
            // An entry that moves a clock (progress, report, arrival) moves the version.
            l.ticket = app.ticket(&Actor::operator(), l.ticket.id).await?.ticket;
        }
        Op::Decide { approve, note } => {
            let l = live[step.ticket].as_mut().ok_or_else(|| demo_error("ticket not registered".into()))?;
            let request = l.request.take().ok_or_else(|| demo_error("no pending request".into()))?;
            let out = app.decide_priority_change(actor, request, *approve, Some(note)).await?;
            l.ticket = out.ticket.ticket;
        }
    }
    Ok(())
}

/// A second-line engineer of the ticket's group other than its first-line engineer, same region first.
fn second_line_for(org: &Org, t: &Ticket, region: &str) -> Option<Id> {
    let group = t.group_id?;
    let mut candidates: Vec<&Engineer> = org
        .engineers
        .iter()
        .filter(|e| {
            e.second_line && org.actors[e.actor].user.group_id == Some(group) && t.first_line_id != Some(e.user_id)
        })
        .collect();
    candidates.sort_by_key(|e| (e.region != region, e.user_id));
    candidates.first().map(|e| e.user_id)
}
