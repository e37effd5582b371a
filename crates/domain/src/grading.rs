//! Grading (问题分级, DOMAIN §3): the scheme is data (levels, names, clock lengths,
//! counting mode), every grading is reviewed by a supervisor, lowering a priority needs a
//! supervisor's approval, and a customer's objection goes to the technical director.

use serde::{Deserialize, Serialize};

use crate::clock::{ClockKind, ServicePolicy};
use crate::coded_enum;
use crate::error::{Conflict, DomainError, Field, Reason};
use crate::lifecycle::Step;
use crate::role::Role;
use crate::ticket::{GradingDispute, GradingReview, Ticket};
use crate::{Id, Timestamp};

coded_enum! {
    /// Whether a clock counts every minute or only working time of the business calendar.
    pub enum Counting {
        WallClock = ("wall_clock", "自然时间", "Wall-clock time"),
        WorkingTime = ("working_time", "工作时间", "Working time"),
    }
}

/// One level of a grading scheme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Level {
    /// Short code shown on tickets, e.g. `P1`.
    pub code: String,
    /// 1 is the most urgent; ranks are 1..=n without gaps.
    pub rank: i32,
    pub name_zh: String,
    pub name_en: String,
    /// Which problems belong here (影响范围).
    pub scope: String,
    pub urgency: String,
    pub respond_minutes: i64,
    pub resolve_minutes: i64,
    pub counting: Counting,
    pub default_owner: String,
}

/// A whole grading scheme: any number of levels (seed 000 has four, seed 002 three).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GradingScheme {
    pub levels: Vec<Level>,
}

// One row of a scheme table reads best as one call with the table's columns in order.
#[allow(clippy::too_many_arguments)]
fn level(
    code: &str,
    rank: i32,
    names: (&str, &str),
    scope: &str,
    urgency: &str,
    minutes: (i64, i64),
    counting: Counting,
    owner: &str,
) -> Level {
    Level {
        code: code.into(),
        rank,
        name_zh: names.0.into(),
        name_en: names.1.into(),
        scope: scope.into(),
        urgency: urgency.into(),
        respond_minutes: minutes.0,
        resolve_minutes: minutes.1,
        counting,
        default_owner: owner.into(),
    }
}

const HOUR: i64 = 60;

/// The most levels a scheme has (a form beyond this is refused, never cut short).
pub const MAX_LEVELS: usize = 50;

impl GradingScheme {
    /// DOMAIN §3 default table (seed 000, template 2).
    pub fn default_four_level() -> GradingScheme {
        use Counting::WallClock;
        GradingScheme {
            levels: vec![
                level(
                    "P1",
                    1,
                    ("紧急", "Urgent"),
                    "核心业务中断、产线停机",
                    "极高",
                    (2 * HOUR, 24 * HOUR),
                    WallClock,
                    "技术经理",
                ),
                level(
                    "P2",
                    2,
                    ("重要", "Important"),
                    "部分功能异常、效率下降",
                    "高",
                    (4 * HOUR, 48 * HOUR),
                    WallClock,
                    "高级工程师",
                ),
                level("P3", 3, ("一般", "General"), "咨询、改进建议", "中", (8 * HOUR, 72 * HOUR), WallClock, "工程师"),
                level(
                    "P4",
                    4,
                    ("低频", "Low"),
                    "文档、使用技巧",
                    "低",
                    (24 * HOUR, 5 * 24 * HOUR),
                    WallClock,
                    "客服专员",
                ),
            ],
        }
    }

    /// Seed 002's three levels (urgent 2 h / 24 h; general 4 h / 3 working days; low 5
    /// working days), with a working day of 8 hours. Shows the scheme is data.
    pub fn seed_002_three_level() -> GradingScheme {
        use Counting::{WallClock, WorkingTime};
        GradingScheme {
            levels: vec![
                level(
                    "紧急",
                    1,
                    ("紧急", "Urgent"),
                    "影响生产或使用",
                    "高",
                    (2 * HOUR, 24 * HOUR),
                    WallClock,
                    "技术组长",
                ),
                level(
                    "一般",
                    2,
                    ("一般", "General"),
                    "部分功能异常",
                    "中",
                    (4 * HOUR, 3 * 8 * HOUR),
                    WorkingTime,
                    "工程师",
                ),
                level("低", 3, ("低", "Low"), "咨询、建议", "低", (8 * HOUR, 5 * 8 * HOUR), WorkingTime, "客服专员"),
            ],
        }
    }

    /// Checks a scheme an administrator submits; names every problem.
    pub fn validate(&self) -> Result<(), DomainError> {
        let mut fields: Vec<(Field, Reason)> = Vec::new();
        for (_, field, reason) in self.problems() {
            if !fields.iter().any(|(f, r)| *f == field && *r == reason) {
                fields.push((field, reason));
            }
        }
        if fields.is_empty() { Ok(()) } else { Err(DomainError::Invalid(fields)) }
    }

    /// Every problem [`GradingScheme::validate`] refuses, each with the index in `levels` of
    /// the level it is about (`None`: the table as a whole), so a form can name the row.
    pub fn problems(&self) -> Vec<(Option<usize>, Field, Reason)> {
        let mut problems: Vec<(Option<usize>, Field, Reason)> = Vec::new();
        if self.levels.is_empty() {
            problems.push((None, "levels", Reason::Missing));
        }
        if self.levels.len() > MAX_LEVELS {
            // Nothing more is checked of a table that long.
            problems.push((
                None,
                "levels",
                Reason::Malformed { expected_en: "at most 50 rows", expected_zh: "最多 50 行" },
            ));
            return problems;
        }
        let mut ranks: Vec<i32> = self.levels.iter().map(|l| l.rank).collect();
        ranks.sort_unstable();
        if ranks.iter().enumerate().any(|(i, &r)| i64::from(r) != i as i64 + 1) {
            problems.push((
                None,
                "levels",
                Reason::Malformed {
                    expected_en: "ranks 1, 2, … n without gaps or repeats",
                    expected_zh: "级别序号为 1、2……n，不重复、不跳号",
                },
            ));
        }
        for (i, l) in self.levels.iter().enumerate() {
            let code = l.code.trim();
            if code.is_empty() || code.chars().count() > 16 {
                problems.push((
                    Some(i),
                    "levels.code",
                    Reason::Malformed { expected_en: "1 to 16 characters", expected_zh: "1 至 16 个字符" },
                ));
            }
        }
        for (i, l) in self.levels.iter().enumerate() {
            // The first level with a code keeps it; a later one repeats it.
            if !l.code.trim().is_empty() && self.levels[..i].iter().any(|o| o.code.trim() == l.code.trim()) {
                problems.push((Some(i), "levels.code", Reason::Duplicate));
            }
        }
        for (i, l) in self.levels.iter().enumerate() {
            if l.name_zh.trim().is_empty() || l.name_en.trim().is_empty() {
                problems.push((Some(i), "levels.name", Reason::Missing));
            }
        }
        for (i, l) in self.levels.iter().enumerate() {
            if l.respond_minutes <= 0 || l.resolve_minutes < l.respond_minutes {
                problems.push((
                    Some(i),
                    "levels.minutes",
                    Reason::Malformed {
                        expected_en: "positive minutes, resolve no shorter than respond",
                        expected_zh: "正的分钟数，解决时限不短于响应时限",
                    },
                ));
            }
        }
        problems
    }

    /// A fingerprint of the whole scheme, what an edit form posts as the scheme it was based
    /// on (the scheme has no numbered versions): any change to any level changes it, the
    /// order levels are listed in does not.
    pub fn revision(&self) -> i64 {
        let mut levels: Vec<&Level> = self.levels.iter().collect();
        levels.sort_by(|a, b| (a.rank, &a.code).cmp(&(b.rank, &b.code)));
        // FNV-1a over the fields, each ended by a separator no text field holds.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for b in bytes.iter().chain(&[0x1f]) {
                hash ^= u64::from(*b);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        };
        for l in levels {
            eat(l.code.as_bytes());
            eat(&l.rank.to_le_bytes());
            eat(l.name_zh.as_bytes());
            eat(l.name_en.as_bytes());
            eat(l.scope.as_bytes());
            eat(l.urgency.as_bytes());
            eat(&l.respond_minutes.to_le_bytes());
            eat(&l.resolve_minutes.to_le_bytes());
            eat(l.counting.code().as_bytes());
            eat(l.default_owner.as_bytes());
        }
        // Positive, so it reads as a plain number in a form.
        (hash >> 1) as i64
    }

    pub fn level(&self, code: &str) -> Option<&Level> {
        self.levels.iter().find(|l| l.code == code)
    }

    /// The scheme as it is in force under `policy` (DOMAIN §3): the respond and resolve
    /// columns are the policy's response and resolution lengths for each level (the rule a
    /// ticket of that level gets without a customer level), so the scheme and the policy
    /// never disagree. The policy is the one source of the deadlines; a level the policy
    /// has no rule for keeps the scheme's own column.
    pub fn with_deadlines_of(&self, policy: &ServicePolicy) -> GradingScheme {
        // DOMAIN §3: each clock's length is data, kept once (in the service policy).
        let mut scheme = self.clone();
        for l in &mut scheme.levels {
            if let Some(r) = policy.rule(ClockKind::Response, Some(&l.code), None) {
                l.respond_minutes = r.minutes;
            }
            if let Some(r) = policy.rule(ClockKind::Resolution, Some(&l.code), None) {
                l.resolve_minutes = r.minutes;
            }
        }
        scheme
    }
}

coded_enum! {
    pub enum ChangeRequestStatus {
        Pending = ("pending", "待审批", "Pending"),
        Approved = ("approved", "已批准", "Approved"),
        Rejected = ("rejected", "已驳回", "Rejected"),
    }
}

/// A request to lower a ticket's priority, waiting for a supervisor (DOMAIN §3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PriorityChangeRequest {
    pub id: Id,
    pub ticket_id: Id,
    pub from_level: Option<String>,
    pub to_level: String,
    pub reason: String,
    pub requested_by: Id,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub requested_at: Timestamp,
    pub status: ChangeRequestStatus,
    pub decided_by: Option<Id>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub decided_at: Option<Timestamp>,
    pub decision_note: Option<String>,
}

impl PriorityChangeRequest {
    /// A request to lower `t` to `level`, asked by `by` (DOMAIN §3: lowering a priority
    /// needs a supervisor's approval). One pending downgrade per ticket at a time:
    /// `pending` are the ticket's requests still awaiting a decision.
    pub fn ask(
        t: &Ticket,
        level: &Level,
        reason: &str,
        by: Id,
        at: Timestamp,
        pending: &[PriorityChangeRequest],
    ) -> Result<PriorityChangeRequest, DomainError> {
        // DOMAIN §3: one pending downgrade at a time.
        if pending.iter().any(|q| q.ticket_id == t.id && q.status == ChangeRequestStatus::Pending) {
            return Err(Conflict::ChangePending.into());
        }
        Ok(PriorityChangeRequest {
            id: 0,
            ticket_id: t.id,
            from_level: t.priority.clone(),
            to_level: level.code.clone(),
            reason: reason_text(reason)?,
            requested_by: by,
            requested_at: at,
            status: ChangeRequestStatus::Pending,
            decided_by: None,
            decided_at: None,
            decision_note: None,
        })
    }

    /// A supervisor's decision (DOMAIN §3), once. A rejection tells the requester why (the
    /// ticket keeps its level against their judgement); an approval may stand without a note.
    pub fn decide(&mut self, approve: bool, note: Option<&str>, by: Id, at: Timestamp) -> Result<(), DomainError> {
        if self.status != ChangeRequestStatus::Pending {
            return Err(Conflict::AlreadyDecided { status: self.status }.into());
        }
        let note = note.map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned);
        // DOMAIN §3: a rejection needs a note.
        if !approve && note.is_none() {
            return Err(DomainError::field("note", Reason::Missing));
        }
        self.status = if approve { ChangeRequestStatus::Approved } else { ChangeRequestStatus::Rejected };
        self.decided_by = Some(by);
        self.decided_at = Some(at);
        self.decision_note = note;
        Ok(())
    }

    /// The request as its history entry reads: `P2 → P3：reason`.
    pub fn summary(&self) -> String {
        format!("{} → {}：{}", self.from_level.clone().unwrap_or_default(), self.to_level, self.reason)
    }
}

/// What a grading did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GradeOutcome {
    /// The ticket now has the new level (awaiting review unless a supervisor graded it).
    Applied,
    /// A downgrade by someone who is not a supervisor: nothing changed yet; a
    /// [`PriorityChangeRequest`] must be approved first.
    NeedsApproval,
}

fn reason_text(reason: &str) -> Result<String, DomainError> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(DomainError::field("reason", Reason::Missing));
    }
    if r.chars().count() > 1000 {
        return Err(DomainError::field("reason", Reason::TooLong { max: 1000 }));
    }
    Ok(r.to_owned())
}

/// Supervisors (and administrators) approve downgrades and need no review of their own gradings.
pub fn is_supervisor(role: Role) -> bool {
    matches!(role, Role::Supervisor | Role::Admin)
}

impl Ticket {
    /// Would moving to `level` lower the priority?
    pub fn is_downgrade(&self, level: &Level) -> bool {
        self.priority_rank.is_some_and(|current| level.rank > current)
    }

    /// Grades (or regrades) the ticket with a reason (DOMAIN §3).
    pub fn grade(&mut self, level: &Level, reason: &str, by: Role) -> Result<GradeOutcome, DomainError> {
        self.check(Step::Grade)?;
        let reason = reason_text(reason)?;
        if self.priority.as_deref() == Some(level.code.as_str()) {
            return Err(Conflict::SameLevel { level: level.code.clone() }.into());
        }
        if self.is_downgrade(level) && !is_supervisor(by) {
            return Ok(GradeOutcome::NeedsApproval);
        }
        self.set_level(level, reason);
        self.grading_review = if is_supervisor(by) { GradingReview::Approved } else { GradingReview::Pending };
        Ok(GradeOutcome::Applied)
    }

    fn set_level(&mut self, level: &Level, reason: String) {
        self.priority = Some(level.code.clone());
        self.priority_rank = Some(level.rank);
        self.grading_reason = Some(reason);
    }

    /// A supervisor approved a downgrade request: the new level applies, already reviewed.
    pub fn apply_approved_downgrade(&mut self, level: &Level, reason: &str) -> Result<(), DomainError> {
        self.check(Step::Grade)?;
        self.set_level(level, reason_text(reason)?);
        self.grading_review = GradingReview::Approved;
        Ok(())
    }

    /// A supervisor reviews the latest grading.
    pub fn review_grading(&mut self, approve: bool) -> Result<(), DomainError> {
        self.check(Step::ReviewGrading)?;
        if self.grading_review != GradingReview::Pending {
            return Err(Conflict::NoGradingToReview.into());
        }
        self.grading_review = if approve { GradingReview::Approved } else { GradingReview::Rejected };
        Ok(())
    }

    /// The customer objects to the grading; it goes to the technical director.
    pub fn object_to_grading(&mut self, reason: &str) -> Result<(), DomainError> {
        self.check(Step::ObjectToGrading)?;
        reason_text(reason)?;
        if self.priority.is_none() {
            return Err(Conflict::NotGraded.into());
        }
        if self.grading_dispute == GradingDispute::Open {
            return Err(Conflict::DisputeOpen.into());
        }
        self.grading_dispute = GradingDispute::Open;
        Ok(())
    }

    /// The technical director rules: the level they set stands, reviewed.
    pub fn rule_grading_dispute(&mut self, level: &Level, reason: &str) -> Result<(), DomainError> {
        self.check(Step::RuleGradingDispute)?;
        let reason = reason_text(reason)?;
        if self.grading_dispute != GradingDispute::Open {
            return Err(Conflict::NoDispute.into());
        }
        self.set_level(level, reason);
        self.grading_review = GradingReview::Approved;
        self.grading_dispute = GradingDispute::Ruled;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ticket::Status;
    use crate::ticket::tests_support::ticket;

    fn graded(code: &str) -> Ticket {
        let scheme = GradingScheme::default_four_level();
        let mut t = ticket();
        t.status = Status::Accepted;
        t.grade(scheme.level(code).expect("level"), "初判", Role::DeskAgent).expect("grade");
        t
    }

    #[test]
    fn default_and_three_level_schemes_are_valid() {
        GradingScheme::default_four_level().validate().expect("4 levels");
        GradingScheme::seed_002_three_level().validate().expect("3 levels");
    }

    #[test]
    fn invalid_schemes_name_the_problem() {
        let mut s = GradingScheme::default_four_level();
        s.levels[1].rank = 1;
        s.levels[2].code = "P1".into();
        let err = s.validate().expect_err("invalid");
        let fields: Vec<_> = err.fields(crate::Lang::En).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, vec!["levels", "levels.code"]);
    }

    #[test]
    fn problems_name_the_level_they_are_about() {
        let mut s = GradingScheme::default_four_level();
        s.levels[1].resolve_minutes = 60;
        s.levels[3].code = "P1".into();
        s.levels[2].name_en = " ".into();
        let problems: Vec<_> = s.problems().into_iter().map(|(i, f, _)| (i, f)).collect();
        assert_eq!(
            problems,
            vec![(Some(3), "levels.code"), (Some(2), "levels.name"), (Some(1), "levels.minutes")],
            "the first P1 keeps its code; the repeat is named"
        );
        let fields: Vec<_> =
            s.validate().expect_err("invalid").fields(crate::Lang::En).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, vec!["levels.code", "levels.name", "levels.minutes"], "the API's fields are unchanged");
    }

    #[test]
    fn a_scheme_longer_than_the_limit_is_refused() {
        let mut s = GradingScheme::default_four_level();
        let template = s.levels[3].clone();
        for rank in 5..=i32::try_from(MAX_LEVELS).expect("small") {
            s.levels.push(Level { code: format!("P{rank}"), rank, ..template.clone() });
        }
        s.validate().expect("exactly the limit");
        s.levels.push(Level { code: "PX".into(), rank: s.levels.len() as i32 + 1, ..template });
        let err = s.validate().expect_err("too long");
        assert_eq!(err.fields(crate::Lang::Zh), vec![("levels", format!("格式不正确，应为最多 {MAX_LEVELS} 行"))]);
    }

    #[test]
    fn the_respond_and_resolve_columns_are_the_policys() {
        let scheme = GradingScheme::default_four_level();
        let mut policy = ServicePolicy::seed(&scheme);
        for r in policy.rules.iter_mut().filter(|r| r.level.as_deref() == Some("P1")) {
            r.minutes = if r.clock == ClockKind::Response { 2 } else { 600 };
        }
        let shown = scheme.with_deadlines_of(&policy);
        let p1 = shown.level("P1").expect("P1");
        assert_eq!((p1.respond_minutes, p1.resolve_minutes), (2, 600));
        assert_eq!(shown.level("P2"), scheme.level("P2"));
        // Saving the scheme as shown feeds the same lengths back: nothing changes.
        assert_eq!(policy.with_scheme(&shown).rules.len(), policy.rules.len());
        assert!(policy.with_scheme(&shown).rules.iter().all(|r| policy.rules.contains(r)));
    }

    #[test]
    fn the_revision_follows_the_content_not_the_order() {
        let a = GradingScheme::default_four_level();
        let mut b = a.clone();
        b.levels.reverse();
        assert_eq!(a.revision(), b.revision());
        b.levels[0].scope.push('!');
        assert_ne!(a.revision(), b.revision());
        let mut c = a.clone();
        c.levels[0].respond_minutes += 1;
        assert_ne!(a.revision(), c.revision());
        assert!(a.revision() >= 0);
    }

    #[test]
    fn desk_grading_awaits_supervisor_review() {
        let t = graded("P2");
        assert_eq!(t.priority.as_deref(), Some("P2"));
        assert_eq!(t.grading_review, GradingReview::Pending);
    }

    #[test]
    fn downgrade_needs_approval_unless_a_supervisor_does_it() {
        let scheme = GradingScheme::default_four_level();
        let mut t = graded("P1");
        let before = t.clone();
        let p3 = scheme.level("P3").expect("P3");
        assert_eq!(t.grade(p3, "客户称可临时绕过", Role::Dispatcher), Ok(GradeOutcome::NeedsApproval));
        assert_eq!(t, before, "a pending downgrade changes nothing");
        assert_eq!(t.grade(p3, "客户称可临时绕过", Role::Supervisor), Ok(GradeOutcome::Applied));
        assert_eq!((t.priority_rank, t.grading_review), (Some(3), GradingReview::Approved));
        // Raising never needs approval.
        let p1 = scheme.level("P1").expect("P1");
        assert_eq!(t.grade(p1, "产线停机", Role::DeskAgent), Ok(GradeOutcome::Applied));
    }

    #[test]
    fn grading_needs_a_reason_and_a_gradable_state() {
        let scheme = GradingScheme::default_four_level();
        let mut t = ticket();
        assert!(matches!(t.grade(&scheme.levels[0], "x", Role::DeskAgent), Err(DomainError::IllegalTransition { .. })));
        t.status = Status::Accepted;
        assert!(matches!(t.grade(&scheme.levels[0], " ", Role::DeskAgent), Err(DomainError::Invalid(_))));
    }

    #[test]
    fn objection_goes_to_the_director_whose_ruling_stands() {
        let scheme = GradingScheme::default_four_level();
        let mut t = graded("P3");
        t.object_to_grading("产线已停，应为紧急").expect("object");
        assert!(t.object_to_grading("again").is_err());
        t.rule_grading_dispute(scheme.level("P1").expect("P1"), "核实产线停机").expect("rule");
        assert_eq!((t.priority.as_deref(), t.grading_dispute), (Some("P1"), GradingDispute::Ruled));
    }
}
