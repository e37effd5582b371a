//! Choosing the engineer (DOMAIN §1 dispatcher; seed 003: only qualified staff do the
//! work) and which group a dispatch picks.
//!
//! Hard filters come first ([`rank`]): an engineer who is not available (deactivated, or
//! on leave once calendars say so) or not qualified for the device's model is never
//! suggested, and a second-line engineer is suggested for a dispatch only when no
//! first-line engineer passes. Among those who pass, a score decides: same region as the
//! customer, fewer tickets in hand, more slack before their own nearest deadline.

use serde::{Deserialize, Serialize};

use crate::role::Line;
use crate::{Id, Lang, Timestamp, coded_enum};

coded_enum! {
    /// Why an engineer cannot take work now.
    pub enum Unavailability {
        Inactive = ("inactive", "已停用", "Deactivated"),
        OnLeave = ("on_leave", "休假中", "On leave"),
        OffDuty = ("off_duty", "非值班", "Off duty"),
    }
}

/// An engineer who could take the ticket, with what dispatch weighs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Candidate {
    pub user_id: Id,
    pub display_name: String,
    pub region: Option<String>,
    pub line: Line,
    /// Open tickets this engineer currently holds in the group.
    pub open_tickets: i64,
    /// Whether the engineer can take work now; `unavailable` says why not.
    pub available: bool,
    pub unavailable: Option<Unavailability>,
    /// The scopes (models or product lines) of the engineer's valid qualifications that
    /// cover the ticket's device model.
    pub qualified_for: Vec<String>,
    /// The nearest running deadline among the tickets the engineer holds.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub nearest_due_at: Option<Timestamp>,
}

/// What the ticket asks of its engineer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    /// The customer's region (地域).
    pub region: String,
    /// The device model when a qualification is required for it: the organization keeps
    /// qualifications for that model (a model nobody holds any qualification for is not
    /// restricted, or every dispatch would stop before the first certificate is entered).
    pub qualified_model: Option<String>,
    /// Whether first-line engineers go first (a dispatch); a second-line request asks
    /// second-line engineers only.
    pub first_line_first: bool,
    pub now: Timestamp,
}

/// Why an engineer passes the filters and how they score, as the dispatcher reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fit {
    SameRegion,
    OtherRegion {
        region: Option<String>,
    },
    Load {
        open_tickets: i64,
    },
    Qualified {
        scope: String,
    },
    /// Minutes before the nearest deadline among the engineer's own tickets (none: no
    /// running deadline).
    Slack {
        minutes: Option<i64>,
    },
}

impl Fit {
    pub fn text(&self, lang: Lang) -> String {
        match (self, lang) {
            (Fit::SameRegion, Lang::Zh) => "同区域".into(),
            (Fit::SameRegion, Lang::En) => "same region".into(),
            (Fit::OtherRegion { region: Some(r) }, Lang::Zh) => format!("跨区域（{r}）"),
            (Fit::OtherRegion { region: Some(r) }, Lang::En) => format!("other region ({r})"),
            (Fit::OtherRegion { region: None }, Lang::Zh) => "未设区域".into(),
            (Fit::OtherRegion { region: None }, Lang::En) => "no region".into(),
            (Fit::Load { open_tickets }, Lang::Zh) => format!("在手 {open_tickets} 单"),
            (Fit::Load { open_tickets }, Lang::En) => format!("{open_tickets} open"),
            (Fit::Qualified { scope }, Lang::Zh) => format!("具备 {scope} 资质"),
            (Fit::Qualified { scope }, Lang::En) => format!("qualified for {scope}"),
            (Fit::Slack { minutes: None }, Lang::Zh) => "无临近时限".into(),
            (Fit::Slack { minutes: None }, Lang::En) => "no deadline pending".into(),
            (Fit::Slack { minutes: Some(m) }, Lang::Zh) if *m < 0 => "名下工单已超时".into(),
            (Fit::Slack { minutes: Some(m) }, Lang::En) if *m < 0 => "has an overdue ticket".into(),
            (Fit::Slack { minutes: Some(m) }, Lang::Zh) => format!("最近时限剩 {} 小时", m / 60),
            (Fit::Slack { minutes: Some(m) }, Lang::En) => format!("nearest deadline in {} h", m / 60),
        }
    }
}

/// Why an engineer was filtered out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Exclusion {
    Unavailable {
        why: Unavailability,
    },
    NotQualified {
        model: String,
    },
    /// A first-line engineer passes, so a second-line one is not suggested for a dispatch.
    SecondLineHeldBack,
}

impl Exclusion {
    pub fn text(&self, lang: Lang) -> String {
        match (self, lang) {
            (Exclusion::Unavailable { why }, _) => why.label(lang).into(),
            (Exclusion::NotQualified { model }, Lang::Zh) => format!("不具备 {model} 资质"),
            (Exclusion::NotQualified { model }, Lang::En) => format!("not qualified for {model}"),
            (Exclusion::SecondLineHeldBack, Lang::Zh) => "二线工程师，一线优先".into(),
            (Exclusion::SecondLineHeldBack, Lang::En) => "second line: first line goes first".into(),
        }
    }
}

/// A candidate who passed the filters, with their score and its reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ranked {
    pub candidate: Candidate,
    pub score: i64,
    pub fits: Vec<Fit>,
    /// The reasons in Chinese, joined as the dispatcher reads them
    /// (`同区域 · 在手 2 单 · 具备 HP M4 资质`).
    pub summary_zh: String,
    pub summary_en: String,
}

/// A candidate the hard filters took out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Excluded {
    pub candidate: Candidate,
    pub why: Vec<Exclusion>,
    pub summary_zh: String,
    pub summary_en: String,
}

/// The candidates split by the hard filters: those who pass, best first, and the rest.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ranking {
    pub ranked: Vec<Ranked>,
    pub excluded: Vec<Excluded>,
}

fn join(parts: impl Iterator<Item = String>) -> String {
    parts.collect::<Vec<_>>().join(" · ")
}

/// The score among engineers who pass the filters: same region 50, load up to 40 (10 less
/// per ticket in hand), slack up to 10 (full at 8 hours or more before their nearest
/// deadline, none when a ticket of theirs is overdue).
fn score(c: &Candidate, need: &Need) -> (i64, Vec<Fit>) {
    let mut fits = Vec::new();
    let mut score = 0;
    if c.region.as_deref() == Some(need.region.as_str()) {
        score += 50;
        fits.push(Fit::SameRegion);
    } else {
        fits.push(Fit::OtherRegion { region: c.region.clone() });
    }
    score += (40 - 10 * c.open_tickets).max(0);
    fits.push(Fit::Load { open_tickets: c.open_tickets });
    if let Some(scope) = c.qualified_for.first()
        && need.qualified_model.is_some()
    {
        fits.push(Fit::Qualified { scope: scope.clone() });
    }
    let slack = c.nearest_due_at.map(|d| d.duration_since(need.now).as_mins());
    score += match slack {
        None => 10,
        Some(m) => (m.clamp(0, 480) * 10) / 480,
    };
    fits.push(Fit::Slack { minutes: slack });
    (score, fits)
}

/// Applies the hard filters, then orders those who pass best first (ties to the lower id,
/// so the suggestion is stable).
pub fn rank(candidates: Vec<Candidate>, need: &Need) -> Ranking {
    let mut passing = Vec::new();
    let mut excluded = Vec::new();
    for c in candidates {
        let mut why = Vec::new();
        if !c.available {
            why.push(Exclusion::Unavailable { why: c.unavailable.unwrap_or(Unavailability::Inactive) });
        }
        if let Some(model) = &need.qualified_model
            && c.qualified_for.is_empty()
        {
            why.push(Exclusion::NotQualified { model: model.clone() });
        }
        if why.is_empty() {
            passing.push(c);
        } else {
            excluded.push((c, why));
        }
    }
    // DOMAIN §1: first line before second line; a second-line engineer is suggested for a
    // dispatch only when no first-line engineer passes.
    if need.first_line_first && passing.iter().any(|c| c.line == Line::First) {
        let (first, second): (Vec<_>, Vec<_>) = passing.into_iter().partition(|c| c.line == Line::First);
        passing = first;
        excluded.extend(second.into_iter().map(|c| (c, vec![Exclusion::SecondLineHeldBack])));
    }
    let mut ranked: Vec<Ranked> = passing
        .into_iter()
        .map(|c| {
            let (score, fits) = score(&c, need);
            Ranked {
                summary_zh: join(fits.iter().map(|f| f.text(Lang::Zh))),
                summary_en: join(fits.iter().map(|f| f.text(Lang::En))),
                candidate: c,
                score,
                fits,
            }
        })
        .collect();
    ranked.sort_by_key(|r| (std::cmp::Reverse(r.score), r.candidate.user_id));
    excluded.sort_by_key(|(c, _)| c.user_id);
    Ranking {
        ranked,
        excluded: excluded
            .into_iter()
            .map(|(candidate, why)| Excluded {
                summary_zh: join(why.iter().map(|w| w.text(Lang::Zh))),
                summary_en: join(why.iter().map(|w| w.text(Lang::En))),
                candidate,
                why,
            })
            .collect(),
    }
}

impl Ranking {
    /// The best `n` who pass the filters.
    pub fn top(&self, n: usize) -> &[Ranked] {
        &self.ranked[..self.ranked.len().min(n)]
    }

    /// Why nobody passes, counted by reason (`2 人不具备 HP M4 资质；1 人已停用`); none when
    /// someone does.
    pub fn why_none(&self, lang: Lang) -> Option<String> {
        if !self.ranked.is_empty() {
            return None;
        }
        if self.excluded.is_empty() {
            return Some(match lang {
                Lang::Zh => "该处理组没有工程师".into(),
                Lang::En => "the group has no engineer".into(),
            });
        }
        let mut counts: Vec<(String, usize)> = Vec::new();
        for e in &self.excluded {
            for w in &e.why {
                let t = w.text(lang);
                match counts.iter_mut().find(|(k, _)| *k == t) {
                    Some((_, n)) => *n += 1,
                    None => counts.push((t, 1)),
                }
            }
        }
        Some(
            counts
                .into_iter()
                .map(|(t, n)| match lang {
                    Lang::Zh => format!("{n} 人{t}"),
                    Lang::En => format!("{n} {t}"),
                })
                .collect::<Vec<_>>()
                .join(if lang == Lang::Zh { "；" } else { "; " }),
        )
    }
}

/// The suggested engineer, if anyone passes the filters.
pub fn suggest(candidates: Vec<Candidate>, need: &Need) -> Option<Candidate> {
    rank(candidates, need).ranked.into_iter().next().map(|r| r.candidate)
}

/// The group a dispatch hands the ticket to (DOMAIN §2: categories map to groups): the one
/// the dispatcher names, else the category's, else the ticket's own, else (when an engineer
/// is named without a group) that engineer's group.
pub fn group_for(
    requested: Option<Id>,
    category_group: Option<Id>,
    ticket_group: Option<Id>,
    engineer_group: Option<Id>,
) -> Option<Id> {
    // DOMAIN §2: the category's handling group unless the dispatcher chooses another.
    requested.or(category_group).or(ticket_group).or(engineer_group)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use jiff::SignedDuration;

    fn now() -> Timestamp {
        Timestamp::from_second(1_773_550_800).unwrap()
    }

    fn c(id: Id, region: &str, line: Line, open: i64) -> Candidate {
        Candidate {
            user_id: id,
            display_name: format!("e{id}"),
            region: Some(region.into()),
            line,
            open_tickets: open,
            available: true,
            unavailable: None,
            qualified_for: Vec::new(),
            nearest_due_at: None,
        }
    }

    fn need(region: &str) -> Need {
        Need { region: region.into(), qualified_model: None, first_line_first: true, now: now() }
    }

    fn ids(r: &Ranking) -> Vec<Id> {
        r.ranked.iter().map(|r| r.candidate.user_id).collect()
    }

    #[test]
    fn same_region_beats_lower_load() {
        let all = vec![c(1, "华南", Line::First, 0), c(3, "华东", Line::First, 3), c(4, "华东", Line::First, 5)];
        assert_eq!(suggest(all.clone(), &need("华东")).map(|c| c.user_id), Some(3));
        assert_eq!(suggest(all, &need("华南")).map(|c| c.user_id), Some(1));
        assert_eq!(suggest(vec![], &need("华北")), None);
    }

    #[test]
    fn an_idle_second_line_engineer_is_not_suggested_for_a_paper_jam_while_first_line_can_go() {
        let r = rank(vec![c(5, "华北", Line::Second, 0), c(6, "华北", Line::First, 3)], &need("华北"));
        assert_eq!(ids(&r), [6]);
        assert_eq!(r.excluded[0].why, [Exclusion::SecondLineHeldBack]);
        // With nobody on the first line, the second line is suggested.
        assert_eq!(suggest(vec![c(5, "华北", Line::Second, 0)], &need("华北")).map(|c| c.user_id), Some(5));
    }

    #[test]
    fn unqualified_and_unavailable_engineers_are_filtered_before_any_score_and_the_reasons_are_counted() {
        let mut qualified = c(2, "华南", Line::First, 2);
        qualified.qualified_for = vec!["HP M4".into()];
        let mut away = c(3, "华东", Line::First, 0);
        away.qualified_for = vec!["HP M4".into()];
        away.available = false;
        away.unavailable = Some(Unavailability::OnLeave);
        let all = vec![c(1, "华东", Line::First, 0), qualified, away];
        let n = Need { qualified_model: Some("HP M4".into()), ..need("华东") };
        let r = rank(all.clone(), &n);
        assert_eq!(ids(&r), [2]);
        assert_eq!(r.ranked[0].summary_zh, "跨区域（华南） · 在手 2 单 · 具备 HP M4 资质 · 无临近时限");
        assert_eq!(r.excluded[1].summary_zh, "休假中");
        let none = rank(all.into_iter().filter(|c| c.user_id != 2).collect(), &n);
        assert_eq!(none.why_none(Lang::Zh).as_deref(), Some("1 人不具备 HP M4 资质；1 人休假中"));
        assert!(r.why_none(Lang::Zh).is_none());
    }

    #[test]
    fn the_summary_reads_as_the_dispatcher_expects_and_slack_breaks_a_tie() {
        let mut busy = c(1, "华东", Line::First, 2);
        busy.nearest_due_at = Some(now() + SignedDuration::from_mins(30));
        busy.qualified_for = vec!["HP M4".into()];
        let mut free = c(2, "华东", Line::First, 2);
        free.qualified_for = vec!["HP M4".into()];
        let n = Need { qualified_model: Some("HP M4".into()), ..need("华东") };
        let r = rank(vec![busy, free], &n);
        assert_eq!(ids(&r), [2, 1]);
        assert!(r.ranked[0].summary_zh.starts_with("同区域 · 在手 2 单 · 具备 HP M4 资质"));
        assert_eq!(r.top(1).len(), 1);
    }
}
