//! Properties of the ticket lifecycle under any sequence of steps.

use aftersales_domain::lifecycle::Step;
use aftersales_domain::ticket::{
    CancelReason, ClosureMethod, GradingDispute, GradingReview, Status, Ticket, WindowConfirmation,
};
use aftersales_domain::ticket::{Channel, Kind};
use aftersales_domain::ticket_no::TicketNo;
use aftersales_domain::{DomainError, Timestamp};
use proptest::prelude::*;

fn fresh() -> Ticket {
    let at: Timestamp = "2024-03-15T01:00:00Z".parse().unwrap();
    serde_json::from_value(serde_json::json!({
        "id": 1, "number": TicketNo::parse("20240315-001").unwrap(), "version": 1, "customer_id": 1,
        "contact_id": null, "contact_name": "王工", "contact_phone": "13800138000", "channel": Channel::Phone,
        "kind": Kind::Fault, "category_id": null, "device_id": null, "device_model": null, "device_serial": null,
        "fault_code": "E02", "description": "卡纸 E02", "occurred_at": at, "impact_scope": "一台",
        "expected_resolution": null, "expected_by": null, "cooperating_departments": [], "status": Status::Registered,
        "window_confirmation": WindowConfirmation::NotNeeded, "priority": "P2", "priority_rank": 2,
        "grading_reason": "r", "grading_review": GradingReview::Pending, "grading_dispute": GradingDispute::None,
        "group_id": null, "first_line_id": null, "second_line_id": null, "repeat_of": null, "complaint_about": null,
        "specialist_attention": false, "registered_at": at, "registered_by": 1, "accepted_at": null,
        "accepted_by": null, "dispatched_at": null, "responded_at": null, "resolved_at": null, "resolution": null,
        "closed_at": null, "closure_method": null, "customer_refusals": 0, "reopen_count": 0, "cancel_reason": null,
        "cancel_note": null, "updated_at": at,
    }))
    .unwrap()
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
