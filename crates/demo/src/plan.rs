//! Planning: each ticket's steps with their times, seeded, before anything is created.

mod course;
mod current;

use std::collections::{HashMap, HashSet};

use aftersales_app::Result;
use aftersales_app::tickets::Command;
use aftersales_domain::Id;
use aftersales_domain::ticket::{Channel, ClosureMethod, Department, Kind, Status};

/// One of the default departments (`work_order::DEFAULT_DEPARTMENTS`) by its code.
fn dept(code: &str) -> Department {
    Department::from_code(code).unwrap_or_else(|| unreachable!("{code} is a department code"))
}
use aftersales_domain::worklog::LogKind;
use rand::Rng;
use rand::rngs::StdRng;

use crate::data::*;
use crate::org::{Engineer, Org};
use crate::time::{Cal, DAY, HOUR, MIN};
use crate::{demo_error, pick};

/// Who takes a step: a staff member, or whoever the ticket then names.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Who {
    Staff(usize),
    First,
    Second,
    Customer,
}

#[derive(Debug, Clone)]
pub(crate) enum Op {
    Register,
    Act(Command),
    Log(LogKind, String),
    /// A supervisor decides the ticket's pending downgrade request.
    Decide {
        approve: bool,
        note: String,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub(crate) at: i64,
    pub(crate) ticket: usize,
    pub(crate) seq: u32,
    pub(crate) who: Who,
    pub(crate) op: Op,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    Normal,
    Invalid,
    Duplicate,
}

/// A ticket as planned: what is registered, and what drives its course.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    pub(crate) at: i64,
    pub(crate) registrant: Who,
    pub(crate) customer: usize,
    pub(crate) contact: (Id, String),
    pub(crate) window_pending: bool,
    pub(crate) channel: Channel,
    pub(crate) kind: Kind,
    pub(crate) category: &'static str,
    pub(crate) device: Option<Id>,
    pub(crate) fault_code: Option<&'static str>,
    pub(crate) description: String,
    pub(crate) occurred_before: i64,
    pub(crate) impact: String,
    pub(crate) expected: Option<(&'static str, i64)>,
    pub(crate) departments: Vec<Department>,
    /// The earlier ticket a complaint is about or a duplicate repeats (`{orig}` in texts).
    pub(crate) refers_to: Option<usize>,
    pub(crate) rank: i32,
    pub(crate) plan: &'static str,
    pub(crate) resolution: &'static str,
    pub(crate) part: Option<&'static str>,
    pub(crate) on_site: bool,
    pub(crate) fate: Fate,
    /// A planned repeat report: the specialist writes an instruction.
    pub(crate) repeat: bool,
    /// Filled in by planning the course: the customer had reason to complain (long waits,
    /// refusal, reopening), and the time of the course's last step.
    pub(crate) troubled: bool,
    pub(crate) last_at: i64,
}

/// How far a ticket's course goes.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Shape {
    pub(crate) stop: Option<Status>,
    pub(crate) pending_downgrade: bool,
}

/// The steps of one ticket being planned, and its time cursor.
pub(crate) struct Flow {
    pub(crate) steps: Vec<Step>,
    pub(crate) ticket: usize,
    pub(crate) t: i64,
    pub(crate) seq: u32,
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Gap {
    /// Minutes of working time (log-uniform between the bounds).
    Work(i64, i64),
    /// Minutes of wall-clock time.
    Wall(i64, i64),
}

pub(crate) struct Planner<'o> {
    pub(crate) rng: StdRng,
    pub(crate) cal: &'o Cal,
    pub(crate) now: i64,
    pub(crate) org: &'o Org,
    pub(crate) specs: Vec<Spec>,
    pub(crate) steps: Vec<Step>,
    /// Faults planned per device: (registered at, category code, fault code).
    pub(crate) device_log: HashMap<Id, Vec<(i64, &'static str, &'static str)>>,
}

pub(crate) fn level_code(rank: i32) -> String {
    format!("P{rank}")
}

impl<'o> Planner<'o> {
    pub(crate) fn minutes(&mut self, lo: i64, hi: i64) -> i64 {
        let (lo, hi) = (lo.max(1) as f64, hi.max(lo.max(1)) as f64);
        let x: f64 = self.rng.random();
        (lo.ln() + x * (hi.ln() - lo.ln())).exp().round() as i64
    }

    pub(crate) fn advance(&mut self, t: i64, gap: Gap) -> i64 {
        let jitter = self.rng.random_range(0..60_000);
        match gap {
            Gap::Work(lo, hi) => {
                let m = self.minutes(lo, hi);
                self.cal.work_add(t, m * MIN) + jitter
            }
            Gap::Wall(lo, hi) => t + self.minutes(lo, hi) * MIN + jitter,
        }
    }

    pub(crate) fn step(&mut self, f: &mut Flow, gap: Gap, who: Who, op: Op) {
        f.t = self.advance(f.t, gap);
        self.step_at(f, f.t, who, op);
    }

    /// A step at an explicit time (it does not move the ticket's cursor).
    pub(crate) fn step_at(&mut self, f: &mut Flow, at: i64, who: Who, op: Op) {
        f.seq += 1;
        f.steps.push(Step { at, ticket: f.ticket, seq: f.seq, who, op });
    }

    pub(crate) fn act(&mut self, f: &mut Flow, gap: Gap, who: Who, cmd: Command) {
        self.step(f, gap, who, Op::Act(cmd));
    }

    pub(crate) fn log(&mut self, f: &mut Flow, gap: Gap, who: Who, kind: LogKind, body: String) {
        self.step(f, gap, who, Op::Log(kind, body));
    }

    pub(crate) fn desk(&mut self) -> Result<usize> {
        let name = *pick(&mut self.rng, &["desk1", "desk1", "desk2", "desk3"]);
        self.org.staff(name)
    }

    /// A first-line engineer of `group` in `region` (any region when none is there).
    pub(crate) fn engineer_for(&mut self, group: &str, region: &str) -> Option<Id> {
        let all: Vec<&Engineer> = self.org.engineers.iter().filter(|e| e.group == group && !e.second_line).collect();
        let local: Vec<&Engineer> = all.iter().copied().filter(|e| e.region == region).collect();
        let pool = if local.is_empty() { all } else { local };
        if pool.is_empty() {
            return None;
        }
        Some(pick(&mut self.rng, &pool).user_id)
    }

    /// A registration time on `day`: mostly in its working hours, some evening or early
    /// portal requests, a few on days off; and whether the desk is then at work.
    pub(crate) fn registration_time(&mut self, day: i64) -> (i64, bool) {
        let Some((open, close)) = self.cal.working_hours(day) else {
            return (self.cal.at(day, self.rng.random_range(9 * HOUR..17 * HOUR)), false);
        };
        let r: f64 = self.rng.random();
        let at = if r < 0.92 {
            // Any moment of the day's working time alike (the lunch break has none).
            let worked = self.cal.worked(open, close).max(1);
            self.cal.work_add(open, self.rng.random_range(0..worked))
        } else if r < 0.97 {
            self.rng.random_range(close..close + 4 * HOUR)
        } else {
            self.rng.random_range(open - 90 * MIN..open)
        };
        (at, self.cal.is_working(at))
    }

    pub(crate) fn pick_customer(&mut self) -> usize {
        let weights: Vec<u32> = self
            .org
            .customers
            .iter()
            .map(|c| {
                let level = match c.level {
                    "A" => 3,
                    "B" => 2,
                    _ => 1,
                };
                level * (2 + c.devices.len() as u32)
            })
            .collect();
        let total: u32 = weights.iter().sum();
        let mut x = self.rng.random_range(0..total);
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        0
    }

    pub(crate) fn impact(&mut self, rank: i32, family: Option<Family>, location: &str) -> String {
        let n = self.rng.random_range(6..45);
        match (family, rank) {
            (Some(Family::Plc | Family::Cnc), 1) => format!("{location}停机，当班约 {n} 名操作工待工，影响当日交付"),
            (Some(Family::Plc | Family::Cnc), 2) => {
                format!("{location}降速运行，产能下降约 {}%", self.rng.random_range(20..50))
            }
            (Some(Family::Plc | Family::Cnc), _) => format!("{location}单台设备，不影响整线生产"),
            (Some(Family::Label), 1 | 2) => format!("{location}发货标签无法打印，当日约 {} 单待发", n * 10),
            (Some(Family::Label), _) => format!("{location}可使用备用标签机，影响较小"),
            (Some(_), 1) => format!("{location}唯一复印设备，约 {n} 人无法打印复印，影响月底报表"),
            (Some(_), 2) => format!("{location}共用设备，约 {n} 人受影响，工作效率下降"),
            (Some(_), 3) => format!("{location}一台设备，约 {n} 人使用，可临时使用其他楼层设备"),
            (Some(_), _) => format!("{location}，不影响正常使用"),
            (None, _) => format!("涉及约 {n} 人，不影响正常业务"),
        }
    }

    pub(crate) fn expected(&mut self, rank: i32) -> Option<(&'static str, i64)> {
        if !self.rng.random_bool(0.45) {
            return None;
        }
        Some(match rank {
            1 => ("希望 4 小时内恢复生产", 4 * HOUR),
            2 => ("希望今天下班前修复", 8 * HOUR),
            3 => ("希望明天内处理完毕", DAY),
            _ => ("本周内安排即可", 5 * DAY),
        })
    }

    /// Caller, channel and registrant for a request at `at` (`in_hours`: the desk is staffed).
    pub(crate) fn intake(
        &mut self,
        customer: usize,
        in_hours: bool,
        urgent: bool,
    ) -> Result<(Who, (Id, String), bool, Channel)> {
        let org = self.org;
        let c = &org.customers[customer];
        let primary = c.contacts[0].clone();
        let r: f64 = self.rng.random();
        if !in_hours && !urgent || in_hours && r < 0.25 {
            return Ok((Who::Customer, primary, false, Channel::Portal));
        }
        let contact =
            if self.rng.random_bool(0.6) { primary.clone() } else { pick(&mut self.rng, &c.contacts).clone() };
        let pending = c.has_window && contact.0 != primary.0;
        let channel = if urgent || r < 0.7 {
            Channel::Phone
        } else if r < 0.85 {
            Channel::Email
        } else if r < 0.97 {
            Channel::Chat
        } else {
            Channel::Api
        };
        Ok((Who::Staff(self.desk()?), contact, pending, channel))
    }

    /// Plans a new ticket registered at `at` for `customer`, and returns its index.
    pub(crate) fn new_ticket(&mut self, at: i64, in_hours: bool, customer: usize) -> Result<usize> {
        let c = self.org.customers[customer].clone();
        let r: f64 = self.rng.random();
        let patrol = r >= 0.95 && !c.devices.is_empty();
        let device_fault = (r < 0.74 || patrol) && !c.devices.is_empty();
        let mut spec = if device_fault {
            // Real repeats are the exception: pick a fault the device has not had lately
            // (the planned repeats and duplicates are made on purpose elsewhere).
            let mut choice = None;
            for _ in 0..12 {
                let dev = pick(&mut self.rng, &c.devices).clone();
                let faults: Vec<&Fault> = FAULTS.iter().filter(|f| f.0 == dev.family).collect();
                let fault = **pick(&mut self.rng, &faults);
                let clash = self.recent_fault(dev.id, at, fault.2, fault.1);
                choice = Some((dev, fault));
                if !clash {
                    break;
                }
            }
            let Some((dev, (_, code, category, base, part, desc, plan, resolution))) = choice else {
                return Err(demo_error("no device".into()));
            };
            let production = matches!(dev.family, Family::Plc | Family::Cnc | Family::Label);
            let mut rank = base;
            if self.rng.random_bool(0.15) {
                rank = (rank + 1).min(4);
            } else if c.level == "A" && rank > 2 && self.rng.random_bool(0.25) {
                rank -= 1;
            }
            if rank == 1 && !production {
                rank = 2;
            }
            let mut departments = Vec::new();
            if production && rank <= 2 {
                departments.push(dept("production"));
            }
            if category == "software_bug" && production {
                departments.push(dept("rnd"));
            }
            if part.is_some() && self.rng.random_bool(0.4) {
                departments.push(dept("logistics"));
            }
            let remote = matches!(category, "configuration" | "software_bug");
            let impact = self.impact(rank, Some(dev.family), dev.location);
            let description = if patrol { format!("主动巡检发现：{desc}") } else { desc.to_owned() };
            Spec {
                at,
                registrant: Who::Customer,
                customer,
                contact: c.contacts[0].clone(),
                window_pending: false,
                channel: Channel::Phone,
                kind: Kind::Fault,
                category,
                device: Some(dev.id),
                fault_code: Some(code),
                description,
                occurred_before: self.minutes(5, if patrol { 60 } else { 240 }),
                impact,
                expected: self.expected(rank),
                departments,
                refers_to: None,
                rank,
                plan,
                resolution,
                part,
                on_site: !remote || self.rng.random_bool(0.3),
                fate: Fate::Normal,
                repeat: false,
                troubled: false,
                last_at: at,
            }
        } else {
            let fits: Vec<&Request> = REQUESTS.iter().filter(|q| !q.3 || c.profile == Profile::Factory).collect();
            let &&(kind, category, rank, _, desc, plan, resolution) = pick(&mut self.rng, &fits);
            let impact = match kind {
                Kind::Training => format!("新员工 {} 人", self.rng.random_range(5..20)),
                Kind::Fault => "耗材库存不足，预计两天内影响打印".to_owned(),
                _ => self.impact(rank, None, ""),
            };
            Spec {
                at,
                registrant: Who::Customer,
                customer,
                contact: c.contacts[0].clone(),
                window_pending: false,
                channel: Channel::Phone,
                kind,
                category,
                device: None,
                fault_code: None,
                description: desc.to_owned(),
                occurred_before: self.minutes(30, 2 * 24 * 60),
                impact,
                expected: self.expected(rank),
                departments: if kind == Kind::Fault { vec![dept("logistics")] } else { Vec::new() },
                refers_to: None,
                rank,
                plan,
                resolution,
                part: None,
                on_site: kind == Kind::Training,
                fate: Fate::Normal,
                repeat: false,
                troubled: false,
                last_at: at,
            }
        };
        let (registrant, contact, pending, channel) = self.intake(customer, in_hours, spec.rank == 1)?;
        spec.registrant = registrant;
        spec.contact = contact;
        spec.window_pending = pending;
        spec.channel = if patrol {
            spec.registrant = Who::Staff(self.desk()?);
            spec.window_pending = false;
            spec.contact = c.contacts[0].clone();
            Channel::Patrol
        } else {
            channel
        };
        let r: f64 = self.rng.random();
        if r < 0.025 {
            spec.fate = Fate::Invalid;
        }
        self.push_spec(spec)
    }

    /// Has `device` a planned fault of the same category or code within the repeat window of `at`?
    pub(crate) fn recent_fault(&self, device: Id, at: i64, category: &str, code: &str) -> bool {
        self.device_log.get(&device).is_some_and(|log| {
            log.iter().any(|&(t, cat, c)| (t - at).abs() < 31 * DAY && (cat == category || c == code))
        })
    }

    pub(crate) fn push_spec(&mut self, spec: Spec) -> Result<usize> {
        if let (Some(device), Some(code)) = (spec.device, spec.fault_code) {
            self.device_log.entry(device).or_default().push((spec.at, spec.category, code));
        }
        self.specs.push(spec);
        Ok(self.specs.len() - 1)
    }

    /// Forgets the last planned ticket (a candidate that did not fit).
    pub(crate) fn pop_spec(&mut self) {
        if let Some(s) = self.specs.pop()
            && let Some(log) = s.device.and_then(|d| self.device_log.get_mut(&d))
        {
            log.retain(|&(t, cat, _)| !(t == s.at && cat == s.category));
        }
    }

    /// The customer's agreement: signature on site, portal click, or callback.
    pub(crate) fn closure(&mut self, f: &mut Flow, on_site: bool, desk: usize) {
        let r: f64 = self.rng.random();
        if on_site && r < 0.35 {
            let cmd = Command::ConfirmClosure { method: Some(ClosureMethod::Signature) };
            self.act(f, Gap::Work(10, 90), Who::Staff(desk), cmd);
        } else if r < 0.65 {
            self.act(f, Gap::Work(30, 1800), Who::Customer, Command::ConfirmClosure { method: None });
        } else {
            let cmd = Command::ConfirmClosure { method: Some(ClosureMethod::Callback) };
            self.act(f, Gap::Work(60, 1500), Who::Staff(desk), cmd);
        }
    }

    /// Adds one ticket's course, with the desk's aftercare of it.
    pub(crate) fn add(&mut self, mut steps: Vec<Step>) -> Result<()> {
        if let Some(tk) = steps.first().map(|s| s.ticket) {
            self.aftercare(tk, &mut steps)?;
        }
        self.steps.extend(steps);
        Ok(())
    }

    /// Three months of tickets, day by day, plus duplicates, repeat reports and complaints.
    pub(crate) fn history(&mut self, days: i64) -> Result<()> {
        let today = self.cal.day(self.now);
        for day in today - days..=today {
            let n = if self.cal.is_workday(day) { self.rng.random_range(5..10) } else { self.rng.random_range(0..2) };
            for _ in 0..n {
                let (at, in_hours) = self.registration_time(day);
                if at > self.now - 10 * MIN {
                    continue;
                }
                let customer = self.pick_customer();
                let tk = self.new_ticket(at, in_hours, customer)?;
                let steps = self.course(tk, Shape::default())?;
                self.add(steps)?;
                self.maybe_duplicate(tk)?;
                self.maybe_repeat(tk)?;
            }
        }
        self.complaints()?;
        Ok(())
    }

    /// The same fault reported again through another channel shortly after: cancelled as a duplicate.
    pub(crate) fn maybe_duplicate(&mut self, tk: usize) -> Result<()> {
        let s = self.specs[tk].clone();
        if s.device.is_none() || s.fate != Fate::Normal || !self.rng.random_bool(0.035) {
            return Ok(());
        }
        let mut d = s.clone();
        d.at = s.at + self.minutes(15, 120) * MIN;
        if d.at > self.now - 30 * MIN {
            return Ok(());
        }
        let org = self.org;
        let c = &org.customers[s.customer];
        if self.rng.random_bool(0.5) {
            d.registrant = Who::Customer;
            d.channel = Channel::Portal;
            d.contact = c.contacts[0].clone();
            d.window_pending = false;
        } else {
            d.registrant = Who::Staff(self.desk()?);
            d.channel = Channel::Email;
            d.contact = pick(&mut self.rng, &c.contacts.clone()).clone();
            d.window_pending = c.has_window && d.contact.0 != c.contacts[0].0;
        }
        d.fate = Fate::Duplicate;
        d.refers_to = Some(tk);
        let dup = self.push_spec(d)?;
        let steps = self.course(dup, Shape::default())?;
        self.add(steps)?;
        Ok(())
    }

    /// The same device with the same fault again some days after closure (DOMAIN §5).
    pub(crate) fn maybe_repeat(&mut self, tk: usize) -> Result<()> {
        let s = self.specs[tk].clone();
        if s.device.is_none() || s.fate != Fate::Normal || !self.rng.random_bool(0.06) {
            return Ok(());
        }
        let at = self.cal.work_add(s.last_at, self.minutes(600, 9000) * MIN);
        if at - s.at > 27 * DAY || at > self.now - HOUR {
            return Ok(());
        }
        let mut r = s.clone();
        r.at = at;
        r.description = format!("{}（上次维修后再次出现）", s.description);
        r.repeat = true;
        r.troubled = false;
        let org = self.org;
        let c = &org.customers[s.customer];
        let (registrant, contact, pending, channel) = self.intake(s.customer, true, s.rank == 1)?;
        r.registrant = registrant;
        r.contact = if matches!(registrant, Who::Customer) { c.contacts[0].clone() } else { contact };
        r.window_pending = pending && !matches!(registrant, Who::Customer);
        r.channel = channel;
        let idx = self.push_spec(r)?;
        let steps = self.course(idx, Shape::default())?;
        self.add(steps)?;
        Ok(())
    }

    /// Complaints about troubled tickets, one per customer, a few days after they ended.
    pub(crate) fn complaints(&mut self) -> Result<()> {
        let mut seen = HashSet::new();
        let candidates: Vec<usize> = (0..self.specs.len())
            .filter(|&i| {
                let s = &self.specs[i];
                s.troubled && s.fate == Fate::Normal && s.last_at < self.now - 6 * DAY
            })
            .collect();
        let mut made = 0;
        for i in candidates {
            if made >= 4 || !seen.insert(self.specs[i].customer) {
                continue;
            }
            let s = self.specs[i].clone();
            let (category, desc, resolution) = COMPLAINTS[made % COMPLAINTS.len()];
            let at = self.cal.work_add(s.last_at, self.minutes(60, 2000) * MIN);
            let org = self.org;
            let c = &org.customers[s.customer];
            let (registrant, channel) = if made % 2 == 0 {
                (Who::Customer, Channel::Portal)
            } else {
                (Who::Staff(self.desk()?), Channel::Phone)
            };
            let spec = Spec {
                at,
                registrant,
                customer: s.customer,
                contact: c.contacts[0].clone(),
                window_pending: false,
                channel,
                kind: Kind::Complaint,
                category,
                device: None,
                fault_code: None,
                description: desc.to_owned(),
                occurred_before: self.minutes(60, 600),
                impact: "客户对服务过程不满，涉及客户关系维护".to_owned(),
                expected: Some(("希望三天内给出书面答复与整改措施", 3 * DAY)),
                departments: Vec::new(),
                refers_to: Some(i),
                rank: 2,
                plan: "调阅原工单处理记录，与相关工程师核实情况",
                resolution,
                part: None,
                on_site: false,
                fate: Fate::Normal,
                repeat: false,
                troubled: false,
                last_at: at,
            };
            let idx = self.push_spec(spec)?;
            let steps = self.course(idx, Shape::default())?;
            self.add(steps)?;
            made += 1;
        }
        Ok(())
    }
}
