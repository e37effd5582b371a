//! Properties of the ticket lifecycle under any sequence of steps.

use aftersales_domain::lifecycle::Step;
use aftersales_domain::registration::Checked;
use aftersales_domain::ticket::{CancelReason, ClosureMethod, GradingReview, Status, Ticket};
use aftersales_domain::ticket_no::TicketNo;
use aftersales_domain::{DomainError, Timestamp};
use proptest::prelude::*;

fn fresh() -> Ticket {
    let at: Timestamp = "2024-03-15T01:00:00Z".parse().unwrap();
    let intake = Checked {
        customer_id: 1,
        contact_name: "王工".into(),
        contact_phone: "13800138000".into(),
        description: "卡纸 E02".into(),
        occurred_at: at,
        impact_scope: "一台".into(),
        fault_code: Some("E02".into()),
        device_model: None,
        expected_resolution: None,
        complaint_about: None,
    };
    let mut t = Ticket::register(TicketNo::parse("20240315-001").unwrap(), intake, at, 1);
    t.id = 1;
    t.priority = Some("P2".into());
    t.priority_rank = Some(2);
    t.grading_reason = Some("r".into());
    t.grading_review = GradingReview::Pending;
    t
}

fn apply(t: &mut Ticket, step: Step, now: Timestamp) -> Result<(), DomainError> {
    match step {
        Step::Accept => t.accept(9, now),
        Step::Dispatch => t.dispatch(1, 20, now),
        Step::Respond => t.respond(now),
        Step::Start => t.start(),
        Step::WaitForCustomer => t.wait_for_customer(),
        Step::WaitForParts => t.wait_for_parts(),
        Step::Resume => t.resume(),
        Step::RequestSecondLine => t.request_second_line(21),
        Step::Resolve => t.resolve("更换部件", now),
        Step::ConfirmClosure => t.confirm_closure(ClosureMethod::Portal, now),
        Step::RefuseClosure => t.refuse_closure("仍有故障"),
        Step::Reopen => t.reopen("再次出现"),
        Step::Cancel => t.cancel(CancelReason::Invalid, None),
        // Grading steps do not move the status; they are covered by unit tests.
        _ => t.check(step),
    }
}

proptest! {
    #[test]
    fn any_sequence_of_steps_follows_the_state_machine(steps in prop::collection::vec(0..Step::ALL.len(), 0..60)) {
        let now: Timestamp = "2024-03-15T02:00:00Z".parse().unwrap();
        let mut t = fresh();
        let mut refusals = 0;
        for i in steps {
            let step = Step::ALL[i];
            let before = t.clone();
            match apply(&mut t, step, now) {
                Ok(()) => {
                    prop_assert!(step.allowed_from().contains(&before.status), "{step} from {}", before.status);
                    if t.status == Status::Closed && before.status != Status::Closed {
                        // DOMAIN §6: only the customer's agreement closes a ticket.
                        prop_assert_eq!(step, Step::ConfirmClosure);
                        prop_assert_eq!(before.status, Status::Resolved);
                    }
                    if step == Step::RefuseClosure {
                        refusals += 1;
                    }
                }
                Err(_) => prop_assert_eq!(&t, &before, "a refused step changes nothing"),
            }
            prop_assert_eq!(t.customer_refusals, refusals);
            prop_assert_eq!(t.status == Status::Closed, t.closed_at.is_some());
            prop_assert_eq!(t.status == Status::Resolved || t.status == Status::Closed, t.resolved_at.is_some());
            if t.status == Status::Cancelled {
                prop_assert!(t.cancel_reason.is_some());
            }
        }
    }
}
