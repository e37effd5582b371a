//! The course of one ticket: from registration to closure, or as far as its shape goes.

use aftersales_app::Result;
use aftersales_app::tickets::Command;
use aftersales_domain::ticket::{CancelReason, ClosureMethod, Status};
use aftersales_domain::worklog::LogKind;
use rand::Rng;

use super::*;

impl Planner<'_> {
    /// Plans the course of ticket `tk` and returns its steps.
    pub(crate) fn course(&mut self, tk: usize, shape: Shape) -> Result<Vec<Step>> {
        let s = self.specs[tk].clone();
        let cust = self.org.customers[s.customer].clone();
        let mut f = Flow { steps: Vec::new(), ticket: tk, t: s.at, seq: 0 };
        let stop = shape.stop;
        let urgent = s.rank == 1;
        let quick = if urgent { Gap::Wall(1, 10) } else { Gap::Work(2, 30) };
        let dispatcher = self.org.staff("dispatch1")?;
        let supervisor = self.org.staff("supervisor1")?;
        f.seq += 1;
        f.steps.push(Step { at: s.at, ticket: tk, seq: f.seq, who: s.registrant, op: Op::Register });
        let desk = match s.registrant {
            Who::Staff(d) => d,
            _ => self.desk()?,
        };
        if s.fate == Fate::Duplicate {
            let note = "与工单 {orig} 重复，同一故障已在处理中".to_owned();
            let cmd = Command::Cancel { reason: CancelReason::Duplicate, note: Some(note) };
            self.act(&mut f, Gap::Work(5, 45), Who::Staff(desk), cmd);
            return Ok(f.steps);
        }
        if s.window_pending {
            if stop == Some(Status::Registered) {
                return Ok(f.steps);
            }
            if self.rng.random_bool(0.7) {
                self.act(&mut f, Gap::Work(10, 240), Who::Customer, Command::ConfirmWindow);
            } else {
                let body = format!("已电话联系客户窗口{}，确认该报修属实", cust.contacts[0].1);
                self.log(&mut f, Gap::Work(10, 120), Who::Staff(desk), LogKind::CustomerMessage, body);
                self.act(&mut f, Gap::Work(1, 5), Who::Staff(desk), Command::ConfirmWindow);
            }
        }
        if stop == Some(Status::Registered) {
            return Ok(f.steps);
        }
        self.act(&mut f, quick, Who::Staff(desk), Command::Accept);
        let accepted_at = f.t;
        if s.fate == Fate::Invalid {
            let note = pick(&mut self.rng, INVALID_NOTES).to_string();
            let cmd = Command::Cancel { reason: CancelReason::Invalid, note: Some(note) };
            self.act(&mut f, Gap::Work(10, 120), Who::Staff(desk), cmd);
            return Ok(f.steps);
        }
        if s.repeat {
            let body = "重复报修：已要求工程师彻查根因，必要时更换相关组件，结案前须经本人确认".to_owned();
            let at = self.advance(accepted_at, Gap::Work(5, 60));
            self.step_at(&mut f, at, Who::Staff(cust.specialist), Op::Log(LogKind::Instruction, body));
        }
        if s.kind == Kind::Complaint {
            let body = "已电话向客户致歉，要求相关工程师与主管今日内说明情况".to_owned();
            let at = self.advance(accepted_at, Gap::Work(10, 90));
            self.step_at(&mut f, at, Who::Staff(cust.specialist), Op::Log(LogKind::Instruction, body));
        }

        // Grading and its review.
        let mut rank = s.rank;
        let grader = if self.rng.random_bool(0.55) { desk } else { dispatcher };
        let reason = pick(&mut self.rng, GRADE_REASONS[(rank - 1) as usize]).to_string();
        self.act(&mut f, quick, Who::Staff(grader), Command::Grade { level: level_code(rank), reason });
        let mut graded_until = f.t;
        let review = self.rng.random::<f64>();
        let reviewed = stop != Some(Status::Accepted) && review < 0.9;
        if reviewed {
            let at = self.advance(f.t, Gap::Work(10, 180));
            if review < 0.05 && rank < 4 {
                let cmd = Command::ReviewGrading {
                    approve: false,
                    note: Some("影响范围描述不足，按实际影响重新分级".into()),
                };
                self.step_at(&mut f, at, Who::Staff(supervisor), Op::Act(cmd));
                rank += 1;
                let reason = format!("审核调整：{}", pick(&mut self.rng, GRADE_REASONS[(rank - 1) as usize]));
                let at = at + self.minutes(1, 10) * MIN;
                self.step_at(
                    &mut f,
                    at,
                    Who::Staff(supervisor),
                    Op::Act(Command::Grade { level: level_code(rank), reason }),
                );
                graded_until = at;
            } else {
                let note = self.rng.random_bool(0.3).then(|| "分级合理".to_owned());
                self.step_at(
                    &mut f,
                    at,
                    Who::Staff(supervisor),
                    Op::Act(Command::ReviewGrading { approve: true, note }),
                );
                graded_until = at;
            }
        }
        if stop == Some(Status::Accepted) {
            if shape.pending_downgrade && rank < 4 {
                let reason = pick(&mut self.rng, DOWNGRADE_REASONS).to_string();
                let cmd = Command::Grade { level: level_code(rank + 1), reason };
                self.act(&mut f, Gap::Work(10, 60), Who::Staff(dispatcher), cmd);
            }
            return Ok(f.steps);
        }

        // Dispatch: by hand, or the suggestion picks.
        let group = self.org.categories.get(s.category).map(|c| c.1.clone()).unwrap_or_default();
        let engineer = if self.rng.random_bool(0.3) { None } else { self.engineer_for(&group, cust.region) };
        let gap = if urgent { Gap::Wall(2, 15) } else { Gap::Work(3, 60) };
        self.act(&mut f, gap, Who::Staff(dispatcher), Command::Dispatch { group_id: None, engineer_id: engineer });
        if stop == Some(Status::Dispatched) {
            return Ok(f.steps);
        }

        // The customer objects to the grading; the technical director rules.
        if rank > 1 && cust.level != "C" && s.kind == Kind::Fault && self.rng.random_bool(0.03) {
            f.t = f.t.max(graded_until);
            let reason = format!("{}，我方认为应按更高级别处理", s.impact);
            self.act(&mut f, Gap::Work(10, 90), Who::Customer, Command::ObjectToGrading { reason });
            rank -= 1;
            let reason = "核实客户影响范围后，上调一级处理".to_owned();
            let techdir = self.org.staff("techdir1")?;
            let cmd = Command::RuleGradingDispute { level: level_code(rank), reason };
            self.act(&mut f, Gap::Work(30, 240), Who::Staff(techdir), cmd);
            graded_until = f.t;
        }
        // Engineers call within the hour of assignment (DOMAIN §4) most of the time; the
        // rest slip, some past the level's response deadline.
        let respond = match rank {
            1 => Gap::Wall(5, 70),
            _ if self.rng.random_bool(0.88) => Gap::Work(5, 58),
            2 => Gap::Work(15, 260),
            3 => Gap::Work(30, 520),
            _ => Gap::Work(60, 1300),
        };
        let notes = if s.on_site { RESPOND_ON_SITE } else { RESPOND_REMOTE };
        let note = pick(&mut self.rng, notes).replace("{c}", &s.contact.1);
        self.act(&mut f, respond, Who::First, Command::Respond { note: Some(note) });
        if stop == Some(Status::Responded) {
            return Ok(f.steps);
        }
        let work = |lo: i64, hi: i64| if urgent { Gap::Wall(lo, hi) } else { Gap::Work(lo, hi) };
        self.act(&mut f, work(5, 60), Who::First, Command::Start { plan: Some(s.plan.to_owned()) });

        // A downgrade request once the engineer has seen the impact.
        let downgrade = shape.pending_downgrade || self.rng.random_bool(0.06);
        if downgrade && rank < 4 {
            f.t = f.t.max(graded_until);
            let reason = pick(&mut self.rng, DOWNGRADE_REASONS).to_string();
            self.act(
                &mut f,
                Gap::Work(20, 180),
                Who::Staff(dispatcher),
                Command::Grade { level: level_code(rank + 1), reason },
            );
            if !shape.pending_downgrade {
                let approve = self.rng.random_bool(0.6);
                let note = if approve {
                    pick(&mut self.rng, &["同意降级，已与客户确认", "核实属实，同意"]).to_string()
                } else {
                    pick(&mut self.rng, &["战略客户，维持原级别", "客户月底结账期间，维持原级别处理"]).to_string()
                };
                self.step(&mut f, Gap::Work(15, 240), Who::Staff(supervisor), Op::Decide { approve, note });
                if approve {
                    rank += 1;
                }
                graded_until = f.t;
            }
        }
        if self.rng.random_bool(0.12) {
            let body = pick(&mut self.rng, CUSTOMER_MESSAGES).to_string();
            self.log(&mut f, work(10, 120), Who::Customer, LogKind::CustomerMessage, body);
        }
        let diagnosis = match s.fault_code {
            Some(code) => format!(
                "读取设备报警履历，{code} 近一周出现 {} 次，初步判断为{}",
                self.rng.random_range(2..9),
                self.org.categories.get(s.category).map(|c| c.2.as_str()).unwrap_or("设备故障")
            ),
            None => format!("已与{}确认需求细节与时间安排", s.contact.1),
        };
        self.log(&mut f, work(15, 120), Who::First, LogKind::Diagnosis, diagnosis);
        if stop == Some(Status::InProgress) {
            return Ok(f.steps);
        }
        let mut troubled = false;
        if let Some(part) = s.part
            && (stop == Some(Status::WaitingParts) || stop.is_none() && self.rng.random_bool(0.3))
        {
            let days = if urgent { 1 } else { self.rng.random_range(1..5) };
            let note = if urgent {
                format!("已申请备件「{part}」，加急调货，预计今日内送达现场")
            } else {
                format!("已申请备件「{part}」，预计 {days} 个工作日到货，已告知客户")
            };
            self.act(&mut f, work(20, 180), Who::First, Command::WaitForParts { note: Some(note) });
            if stop == Some(Status::WaitingParts) {
                return Ok(f.steps);
            }
            let note = format!("备件「{part}」已到货，安排上门更换");
            let gap = if urgent { Gap::Wall(180, 900) } else { Gap::Work(days * 400, days * 700) };
            self.act(&mut f, gap, Who::First, Command::Resume { note: Some(note) });
            troubled = days >= 3;
        }
        if stop == Some(Status::WaitingCustomer) || stop.is_none() && rank > 1 && self.rng.random_bool(0.07) {
            let note = pick(&mut self.rng, WAIT_CUSTOMER).to_string();
            self.act(&mut f, work(20, 240), Who::First, Command::WaitForCustomer { note: Some(note) });
            if stop == Some(Status::WaitingCustomer) {
                return Ok(f.steps);
            }
            let note = "客户已确认时间，恢复处理".to_owned();
            self.act(&mut f, Gap::Work(300, 2500), Who::First, Command::Resume { note: Some(note) });
        }
        let mut second = false;
        if matches!(group.as_str(), "hardware" | "software") && self.rng.random_bool(if urgent { 0.35 } else { 0.1 }) {
            let reason = pick(&mut self.rng, SECOND_LINE_REASONS).to_string();
            self.act(&mut f, work(30, 300), Who::First, Command::RequestSecondLine { engineer_id: None, reason });
            let body = pick(&mut self.rng, SECOND_LINE_LOGS).to_string();
            self.log(&mut f, work(20, 240), Who::Second, LogKind::Diagnosis, body);
            second = true;
        }
        let visit = if s.on_site { pick(&mut self.rng, ON_SITE) } else { pick(&mut self.rng, REMOTE) };
        let kind = if s.on_site { LogKind::OnSite } else { LogKind::RemoteFix };
        let gap = match rank {
            1 => Gap::Wall(30, 600),
            2 => Gap::Work(30, 900),
            _ => Gap::Work(30, 1800),
        };
        self.log(&mut f, gap, Who::First, kind, visit.to_string());

        // Resolve, after any grading step still under way.
        f.t = f.t.max(graded_until);
        let resolver = if second && self.rng.random_bool(0.4) { Who::Second } else { Who::First };
        self.act(&mut f, work(20, 300), resolver, Command::Resolve { resolution: s.resolution.to_owned() });
        if f.t - accepted_at > 3 * DAY {
            let pm = self.org.staff("pm1")?;
            let body = pick(&mut self.rng, INSTRUCTIONS_PM).to_string();
            let at = accepted_at + 3 * DAY + self.minutes(10, 120) * MIN;
            self.step_at(&mut f, at, Who::Staff(pm), Op::Log(LogKind::Instruction, body));
            if cust.level == "A" && f.t - accepted_at > 4 * DAY {
                let gm = self.org.staff("gm1")?;
                let body = pick(&mut self.rng, INSTRUCTIONS_GM).to_string();
                self.step_at(&mut f, at + DAY, Who::Staff(gm), Op::Log(LogKind::Instruction, body));
            }
            troubled = true;
        }
        if stop == Some(Status::Resolved) {
            return Ok(f.steps);
        }

        // The customer refuses once in a while; the engineer goes back.
        if self.rng.random_bool(0.045) {
            let reason = pick(&mut self.rng, REFUSALS).to_string();
            let who = if self.rng.random_bool(0.6) { Who::Customer } else { Who::Staff(desk) };
            self.act(&mut f, Gap::Work(60, 1400), who, Command::RefuseClosure { reason });
            let visit = pick(&mut self.rng, ON_SITE).to_string();
            self.log(&mut f, Gap::Work(60, 900), Who::First, LogKind::OnSite, visit);
            let resolution = format!("二次处理：{}，并更换相关易损件，观察一周无复发", s.resolution);
            self.act(&mut f, Gap::Work(30, 300), Who::First, Command::Resolve { resolution });
            troubled = true;
        }
        self.closure(&mut f, s.on_site, desk);

        // Rarely the fault comes back after closure and the desk reopens the ticket.
        if self.rng.random_bool(0.025) {
            let reason = match s.fault_code {
                Some(code) => format!("客户来电：同一故障 {code} 再次出现"),
                None => "客户反映问题复现，重新处理".to_owned(),
            };
            self.act(&mut f, Gap::Work(600, 4000), Who::Staff(desk), Command::Reopen { reason });
            let visit = pick(&mut self.rng, ON_SITE).to_string();
            self.log(&mut f, Gap::Work(60, 900), Who::First, LogKind::OnSite, visit);
            let resolution = format!("复查处理：{}", s.resolution);
            self.act(&mut f, Gap::Work(60, 900), Who::First, Command::Resolve { resolution });
            let cmd = Command::ConfirmClosure { method: Some(ClosureMethod::Callback) };
            self.act(&mut f, Gap::Work(60, 900), Who::Staff(desk), cmd);
            troubled = true;
        }
        self.specs[tk].troubled = troubled;
        self.specs[tk].last_at = f.t;
        Ok(f.steps)
    }
}
