//! The service policy (服务策略, DOMAIN §3): each clock's length and counting by priority
//! level and customer level, in numbered versions.

#[allow(unused_imports)]
use super::*;

/// One row of a service policy: the length and counting of one clock, for one priority
/// level and/or customer level (`None` = any). The most specific row wins: level and
/// customer level, then level, then customer level, then neither.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ClockRule {
    pub clock: ClockKind,
    pub level: Option<String>,
    pub customer_level: Option<String>,
    pub minutes: i64,
    pub counting: Counting,
    /// Ticket states that pause this clock (`waiting_customer`, `waiting_parts`).
    #[serde(default)]
    pub pause_on: Vec<Status>,
}

/// A service policy (服务策略): each clock's length and counting by priority level and
/// customer level (DOMAIN §3: the customer level table decides handling and deadlines).
/// Stored as numbered versions; a ticket keeps the version it was accepted or graded under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ServicePolicy {
    /// Assigned by the store; ignored on input.
    #[serde(default)]
    pub version: i64,
    pub rules: Vec<ClockRule>,
    /// The daily progress message is due before this local time on each working day
    /// (seed 002/004: 17:00).
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "17:00"))]
    pub progress_cutoff: Time,
}

pub(super) const HOUR: i64 = 60;

/// The most rules a policy has (a form beyond this is refused, never cut short).
pub const MAX_RULES: usize = 200;

/// The longest length a rule gives a clock: 366 days.
pub(super) const MAX_RULE_MINUTES: i64 = 60 * 24 * 366;

impl ServicePolicy {
    /// The seed tables: response and resolution per level from the grading scheme (DOMAIN
    /// §3); engineer contact 1 h, plan 2 h, service report 24 h, callback 24 h (seed 002),
    /// re-handling 48 h (DOMAIN §4). Waiting for the customer pauses resolution; waiting for
    /// parts does not by default (the parts are the service side's responsibility), an
    /// administrator may add it.
    pub fn seed(scheme: &GradingScheme) -> ServicePolicy {
        let mut rules = Vec::new();
        for l in &scheme.levels {
            rules.push(rule(ClockKind::Response, Some(&l.code), l.respond_minutes, l.counting, &[]));
            rules.push(rule(
                ClockKind::Resolution,
                Some(&l.code),
                l.resolve_minutes,
                l.counting,
                &[Status::WaitingCustomer],
            ));
        }
        for (clock, minutes) in [
            (ClockKind::EngineerContact, HOUR),
            (ClockKind::Plan, 2 * HOUR),
            (ClockKind::ServiceReport, 24 * HOUR),
            (ClockKind::Callback, 24 * HOUR),
            (ClockKind::Rehandling, 48 * HOUR),
        ] {
            rules.push(rule(clock, None, minutes, Counting::WallClock, &[]));
        }
        ServicePolicy { version: 0, rules, progress_cutoff: Time::constant(17, 0, 0, 0) }
    }

    /// The same policy with the response and resolution rows of every level taken from
    /// `scheme` (used when the grading scheme is edited, so its columns stay the policy's).
    /// Customer-level rows and other clocks are kept; rows of removed levels are dropped.
    pub fn with_scheme(&self, scheme: &GradingScheme) -> ServicePolicy {
        let per_level = |r: &ClockRule| {
            matches!(r.clock, ClockKind::Response | ClockKind::Resolution)
                && r.level.is_some()
                && r.customer_level.is_none()
        };
        let mut rules: Vec<ClockRule> = ServicePolicy::seed(scheme).rules.into_iter().filter(per_level).collect();
        for r in &mut rules {
            // Keep an administrator's pause choices for rows that existed before.
            if let Some(old) = self.rules.iter().find(|o| per_level(o) && o.clock == r.clock && o.level == r.level) {
                r.pause_on = old.pause_on.clone();
            }
        }
        rules.extend(
            self.rules
                .iter()
                .filter(|r| !per_level(r))
                .filter(|r| r.level.as_deref().is_none_or(|l| scheme.level(l).is_some()))
                .cloned(),
        );
        ServicePolicy { version: 0, rules, progress_cutoff: self.progress_cutoff }
    }

    /// The rule for `clock` on a ticket of `level` and `customer_level`.
    pub fn rule(&self, clock: ClockKind, level: Option<&str>, customer_level: Option<&str>) -> Option<&ClockRule> {
        self.rules
            .iter()
            .filter(|r| r.clock == clock)
            .filter(|r| r.level.is_none() || r.level.as_deref() == level)
            .filter(|r| r.customer_level.is_none() || r.customer_level.as_deref() == customer_level)
            .max_by_key(|r| (r.level.is_some() as u8) * 2 + r.customer_level.is_some() as u8)
    }

    /// Checks a policy an administrator submits against the grading scheme and the
    /// customer levels; names every problem.
    pub fn validate(&self, scheme: &GradingScheme, customer_levels: &[String]) -> Result<(), DomainError> {
        let mut fields: Vec<(Field, Reason)> = Vec::new();
        for (_, field, reason) in self.problems(scheme, customer_levels) {
            if !fields.iter().any(|(f, r)| *f == field && *r == reason) {
                fields.push((field, reason));
            }
        }
        if fields.is_empty() { Ok(()) } else { Err(DomainError::Invalid(fields)) }
    }

    /// Every problem [`ServicePolicy::validate`] refuses, each with the index in `rules` of
    /// the rule it is about (`None`: the policy as a whole), so a form can name the row. Of
    /// rules for the same clock, level and customer level, the later ones are the repeats.
    pub fn problems(&self, scheme: &GradingScheme, customer_levels: &[String]) -> Vec<(Option<usize>, Field, Reason)> {
        let mut problems: Vec<(Option<usize>, Field, Reason)> = Vec::new();
        if self.rules.len() > MAX_RULES {
            problems.push((
                None,
                "rules",
                Reason::Malformed { expected_en: "at most 200 rows", expected_zh: "最多 200 行" },
            ));
            // Nothing more is checked of a table that long.
            return problems;
        }
        for (i, r) in self.rules.iter().enumerate() {
            if !r.clock.has_length() {
                problems.push((
                    Some(i),
                    "rules.clock",
                    Reason::Mismatch {
                        detail_en: "arrival is due at the agreed time and progress at the daily cutoff; they take no length",
                        detail_zh: "到场以约定时间为准、进展通报以每日截止时间为准，不设时长",
                    },
                ));
            }
            if !(1..=MAX_RULE_MINUTES).contains(&r.minutes) {
                problems.push((
                    Some(i),
                    "rules.minutes",
                    Reason::Malformed { expected_en: "1 to 527040 minutes", expected_zh: "1 至 527040 分钟" },
                ));
            }
            if r.level.as_deref().is_some_and(|l| scheme.level(l).is_none()) {
                problems.push((Some(i), "rules.level", Reason::Unknown));
            }
            if r.customer_level.as_deref().is_some_and(|c| !customer_levels.iter().any(|k| k == c)) {
                problems.push((Some(i), "rules.customer_level", Reason::Unknown));
            }
            if r.pause_on.iter().any(|s| !matches!(s, Status::WaitingCustomer | Status::WaitingParts)) {
                problems.push((
                    Some(i),
                    "rules.pause_on",
                    Reason::Malformed {
                        expected_en: "waiting_customer or waiting_parts",
                        expected_zh: "等待客户或等待备件",
                    },
                ));
            }
        }
        for (i, r) in self.rules.iter().enumerate() {
            let key = (r.clock, &r.level, &r.customer_level);
            if self.rules[..i].iter().any(|o| (o.clock, &o.level, &o.customer_level) == key) {
                problems.push((Some(i), "rules", Reason::Duplicate));
            }
        }
        let uncovered = scheme.levels.iter().any(|l| {
            [ClockKind::Response, ClockKind::Resolution]
                .into_iter()
                .any(|c| self.rule(c, Some(&l.code), None).is_none())
        });
        if uncovered {
            problems.push((
                None,
                "rules",
                Reason::Mismatch {
                    detail_en: "every level needs a response and a resolution rule",
                    detail_zh: "每个级别都须有响应和解决时限",
                },
            ));
        }
        problems
    }
}

pub(super) fn rule(
    clock: ClockKind,
    level: Option<&str>,
    minutes: i64,
    counting: Counting,
    pause_on: &[Status],
) -> ClockRule {
    ClockRule {
        clock,
        level: level.map(str::to_owned),
        customer_level: None,
        minutes,
        counting,
        pause_on: pause_on.to_vec(),
    }
}

/// Policies by version, for folding a history that spans several.
pub trait Policies {
    fn policy(&self, version: i64) -> Option<&ServicePolicy>;
}

impl Policies for ServicePolicy {
    fn policy(&self, version: i64) -> Option<&ServicePolicy> {
        (self.version == version).then_some(self)
    }
}

impl Policies for BTreeMap<i64, ServicePolicy> {
    fn policy(&self, version: i64) -> Option<&ServicePolicy> {
        self.get(&version)
    }
}

#[cfg(test)]
mod policy_tests {
    use super::*;

    fn levels() -> Vec<String> {
        vec!["A".into(), "B".into()]
    }

    #[test]
    fn problems_name_the_rule_they_are_about() {
        let scheme = GradingScheme::default_four_level();
        let mut p = ServicePolicy::seed(&scheme);
        let mut repeat = p.rules[2].clone();
        repeat.minutes = 30;
        p.rules.push(repeat);
        p.rules[4].level = Some("P9".into());
        p.rules[5].minutes = 0;
        p.rules[6].customer_level = Some("Z".into());
        let problems: Vec<_> = p.problems(&scheme, &levels()).into_iter().map(|(i, f, _)| (i, f)).collect();
        assert_eq!(
            problems,
            vec![
                (Some(4), "rules.level"),
                (Some(5), "rules.minutes"),
                (Some(6), "rules.customer_level"),
                (Some(p.rules.len() - 1), "rules"),
                (None, "rules"),
            ]
        );
        let fields: Vec<_> =
            p.validate(&scheme, &levels()).expect_err("invalid").fields(Lang::En).into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, vec!["rules.level", "rules.minutes", "rules.customer_level", "rules", "rules"]);
    }

    #[test]
    fn a_policy_longer_than_the_limit_is_refused() {
        let scheme = GradingScheme::default_four_level();
        let mut p = ServicePolicy::seed(&scheme);
        let filler = p.rules.last().cloned().expect("seed rules");
        while p.rules.len() <= MAX_RULES {
            p.rules.push(filler.clone());
        }
        let err = p.validate(&scheme, &levels()).expect_err("too long");
        assert_eq!(err.fields(Lang::Zh), vec![("rules", format!("格式不正确，应为最多 {MAX_RULES} 行"))]);
    }
}
