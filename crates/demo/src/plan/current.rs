//! Today's desk: recent tickets stopped in each open state, and the care around every ticket.

use aftersales_domain::clock::SurveyResult;

use super::*;

impl Planner<'_> {
    /// Recent tickets that stop in each open state, so every status shows on the desk today.
    pub(crate) fn current(&mut self) -> Result<()> {
        let wanted: &[(Status, usize, bool)] = &[
            (Status::Registered, 1, false),
            (Status::Accepted, 1, false),
            (Status::Accepted, 1, true),
            (Status::Dispatched, 2, false),
            (Status::Responded, 2, false),
            (Status::InProgress, 2, false),
            (Status::InProgress, 1, true),
            (Status::WaitingCustomer, 2, false),
            (Status::WaitingParts, 2, false),
            (Status::Resolved, 3, false),
        ];
        for &(status, count, pending_downgrade) in wanted {
            for _ in 0..count {
                self.current_ticket(status, pending_downgrade)?;
            }
        }
        // Requests from someone other than the designated window, not yet confirmed.
        let windowed: Vec<usize> = (0..self.org.customers.len())
            .filter(|&i| self.org.customers[i].has_window && self.org.customers[i].contacts.len() > 1)
            .collect();
        for k in 0..2 {
            let Some(&customer) = windowed.get((k * 3) % windowed.len().max(1)) else { break };
            let at = self.cal.work_sub(self.now, self.minutes(30, 500) * MIN);
            let tk = self.new_ticket_where(at, true, customer, |s| s.device.is_some() && s.rank >= 3)?;
            let org = self.org;
            let c = &org.customers[customer];
            let s = &mut self.specs[tk];
            s.registrant = Who::Staff(org.staff("desk2")?);
            s.contact = c.contacts[1].clone();
            s.window_pending = true;
            s.channel = Channel::Phone;
            s.fate = Fate::Normal;
            let steps = self.course(tk, Shape { stop: Some(Status::Registered), pending_downgrade: false })?;
            self.add(steps)?;
        }
        Ok(())
    }

    /// Plans a new ticket at `at` that satisfies `fits` (tries a few candidates).
    pub(crate) fn new_ticket_where(
        &mut self,
        at: i64,
        in_hours: bool,
        customer: usize,
        fits: impl Fn(&Spec) -> bool,
    ) -> Result<usize> {
        let mut tk = self.new_ticket(at, in_hours, customer)?;
        for _ in 0..50 {
            if fits(&self.specs[tk]) {
                break;
            }
            self.pop_spec();
            tk = self.new_ticket(at, in_hours, customer)?;
        }
        Ok(tk)
    }

    pub(crate) fn current_ticket(&mut self, status: Status, pending_downgrade: bool) -> Result<()> {
        let customer = self.pick_customer();
        let budget = match status {
            Status::Registered => 0,
            Status::Accepted | Status::Dispatched => 120,
            Status::Responded | Status::InProgress => 400,
            Status::WaitingCustomer | Status::Resolved => 900,
            _ => 1500,
        };
        let shape = Shape { stop: Some(status), pending_downgrade };
        if status == Status::Registered {
            let at = self.now - self.minutes(5, 40) * MIN;
            let tk = self.new_ticket_where(at, false, customer, |s| s.rank >= 3)?;
            let s = &mut self.specs[tk];
            (s.registrant, s.channel, s.window_pending, s.fate) = (Who::Customer, Channel::Portal, false, Fate::Normal);
            s.contact = self.org.customers[customer].contacts[0].clone();
            let steps = self.course(tk, shape)?;
            self.add(steps)?;
            return Ok(());
        }
        let mut start = self.cal.work_sub(self.now, self.minutes(budget / 2, budget) * MIN);
        // Work in progress is shown on device faults; waiting for parts needs a part.
        let tk = self.new_ticket_where(start, true, customer, |s| match status {
            Status::WaitingParts => s.part.is_some() && s.rank >= 2,
            Status::WaitingCustomer => s.device.is_some() && s.rank >= 2,
            Status::InProgress | Status::Responded => s.device.is_some() && s.rank <= 3,
            _ => true,
        })?;
        {
            let s = &mut self.specs[tk];
            s.fate = Fate::Normal;
            if s.window_pending {
                s.window_pending = false;
                s.contact = self.org.customers[customer].contacts[0].clone();
            }
            if pending_downgrade && s.rank > 3 {
                s.rank = 3;
            }
        }
        // Move the registration back until the whole course fits before now.
        for _ in 0..30 {
            let s = &self.specs[tk];
            if let Some(log) = s.device.and_then(|d| self.device_log.get_mut(&d)) {
                for entry in log.iter_mut().filter(|e| e.0 == s.at && e.1 == s.category) {
                    entry.0 = start;
                }
            }
            self.specs[tk].at = start;
            let mut steps = self.course(tk, shape)?;
            if steps.iter().all(|s| s.at <= self.now) {
                // Open three days or more: the project manager writes an instruction.
                let accepted = steps.iter().find(|s| matches!(s.op, Op::Act(Command::Accept))).map(|s| s.at);
                if let Some(accepted) = accepted.filter(|&a| self.now - a > 3 * DAY + 2 * HOUR) {
                    let body = pick(&mut self.rng, INSTRUCTIONS_PM).to_string();
                    let at = accepted + 3 * DAY + self.minutes(10, 120) * MIN;
                    let seq = steps.len() as u32 + 1;
                    let who = Who::Staff(self.org.staff("pm1")?);
                    steps.push(Step { at, ticket: tk, seq, who, op: Op::Log(LogKind::Instruction, body) });
                }
                self.add(steps)?;
                return Ok(());
            }
            start = self.cal.work_sub(start, 4 * HOUR);
        }
        Ok(())
    }
}

impl Planner<'_> {
    /// The desk's daily progress messages while a ticket is open (seeds 002/004: before
    /// 17:00 on each working day), the engineer's service report after resolution, and the
    /// callback survey after closure, as a well-run desk does them (most, not all).
    pub(crate) fn aftercare(&mut self, tk: usize, steps: &mut Vec<Step>) -> Result<()> {
        let mut seq = steps.iter().map(|s| s.seq).max().unwrap_or(0);
        let accepted = steps.iter().find(|s| matches!(s.op, Op::Act(Command::Accept))).map(|s| s.at);
        let Some(accepted) = accepted else { return Ok(()) };
        let resolved = steps.iter().find(|s| matches!(s.op, Op::Act(Command::Resolve { .. }))).map(|s| s.at);
        let cancelled = steps.iter().find(|s| matches!(s.op, Op::Act(Command::Cancel { .. }))).map(|s| s.at);
        let end = resolved.or(cancelled).unwrap_or(self.now);
        let desk = self.desk()?;
        let mut day = self.cal.day(accepted);
        while self.cal.at(day, 16 * HOUR) < end {
            let at = self.cal.at(day, 16 * HOUR) + self.minutes(0, 55) * MIN;
            if self.cal.is_workday(day) && at > accepted && at < end && self.rng.random_bool(0.97) {
                let body = pick(&mut self.rng, PROGRESS).to_string();
                seq += 1;
                steps.push(Step { at, ticket: tk, seq, who: Who::Staff(desk), op: Op::Log(LogKind::Progress, body) });
            }
            day += 1;
        }
        if let Some(resolved) = resolved {
            let at = resolved + self.minutes(30, 10 * 60) * MIN;
            if at <= self.now && self.rng.random_bool(0.95) {
                let body = "服务报告已发送客户联系人邮箱，含故障原因、处理过程与更换部件".to_owned();
                seq += 1;
                steps.push(Step { at, ticket: tk, seq, who: Who::First, op: Op::Log(LogKind::ServiceReport, body) });
            }
        }
        // The callback survey, within a day of the resolution (seed 002), on courses with one
        // resolution and no refusal or reopening, so no later step races it.
        let resolutions = steps.iter().filter(|s| matches!(s.op, Op::Act(Command::Resolve { .. }))).count();
        let turned_back =
            steps.iter().any(|s| matches!(s.op, Op::Act(Command::RefuseClosure { .. } | Command::Reopen { .. })));
        if let (Some(resolved), 1, false) = (resolved, resolutions, turned_back) {
            let at = resolved + self.minutes(60, 22 * 60) * MIN;
            if at <= self.now && self.rng.random_bool(0.9) {
                let r: f64 = self.rng.random();
                // A dissatisfied answer reopens the ticket (DOMAIN §5), so the demo gives it only
                // after the closure, and then re-handles it: a call, a fix, a callback closure.
                let closed =
                    steps.iter().find(|s| matches!(s.op, Op::Act(Command::ConfirmClosure { .. }))).map(|s| s.at);
                let result = if r < 0.85 {
                    SurveyResult::Satisfied
                } else if r < 0.97 || closed.is_none_or(|c| at < c) {
                    SurveyResult::Basic
                } else {
                    SurveyResult::Dissatisfied
                };
                seq += 1;
                let op = Op::Act(Command::RecordSurvey {
                    result,
                    note: None,
                    solved: None,
                    speed_ok: None,
                    suggestions: None,
                });
                steps.push(Step { at, ticket: tk, seq, who: Who::Staff(desk), op });
                if result == SurveyResult::Dissatisfied {
                    let call = at + self.minutes(60, 20 * 60) * MIN;
                    let fixed = call + self.minutes(120, 24 * 60) * MIN;
                    let confirmed = fixed + self.minutes(60, 8 * 60) * MIN;
                    let body = "回访不满意：已致电客户了解原因，约定上门复查".to_owned();
                    let follow_up = [
                        (call, Who::First, Op::Log(LogKind::Contact, body)),
                        (
                            fixed,
                            Who::First,
                            Op::Act(Command::Resolve {
                                resolution: "二次处理：复查并调整，客户现场确认无异常".into()
                            }),
                        ),
                        (
                            confirmed,
                            Who::Staff(desk),
                            Op::Act(Command::ConfirmClosure { method: Some(ClosureMethod::Callback) }),
                        ),
                    ];
                    for (when, who, op) in follow_up {
                        seq += 1;
                        steps.push(Step { at: when, ticket: tk, seq, who, op });
                    }
                }
            }
        }
        Ok(())
    }
}
