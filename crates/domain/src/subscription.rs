//! Report subscriptions (issue 15, DOMAIN §7): a person has a report delivered on a
//! schedule — daily, weekly or monthly in the service time zone — by e-mail with the Excel
//! file attached, or to a WeCom/DingTalk/Feishu group as a summary with a link.
//!
//! A run covers the last complete period before it: a daily run at 08:00 covers the day
//! before, a weekly run on Monday the week before (Monday to Sunday, the Chinese working
//! week), a monthly run on the 1st the month before. Each period is run once
//! ([`Run::key`] is unique per subscription), and a run whose report is empty is skipped,
//! not sent.

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::error::{DomainError, Reason};
use crate::{Id, Lang, Timestamp};

crate::coded_enum! {
    /// How often a report is delivered.
    pub enum Frequency {
        Daily = ("daily", "每日", "Daily"),
        Weekly = ("weekly", "每周", "Weekly"),
        Monthly = ("monthly", "每月", "Monthly"),
    }
}

crate::coded_enum! {
    /// Where a report goes.
    pub enum Channel {
        /// To the subscriber's e-mail address, the Excel file attached.
        Email = ("email", "邮件（附 Excel）", "E-mail (Excel attached)"),
        /// To a group robot an administrator configured: a summary with a link.
        Robot = ("robot", "群机器人（摘要和链接）", "Group robot (summary and link)"),
    }
}

crate::coded_enum! {
    /// How a run ended (or where it stands).
    pub enum RunState {
        /// Built and waiting for its delivery.
        Pending = ("pending", "待发送", "Waiting to be sent"),
        /// Being sent now.
        Sending = ("sending", "发送中", "Sending"),
        Sent = ("sent", "已发送", "Sent"),
        /// The report had nothing in the period: nothing was sent.
        Skipped = ("skipped", "无数据，未发送", "Empty, not sent"),
        /// Every attempt failed, or the failure cannot be retried.
        Failed = ("failed", "发送失败", "Failed"),
        /// The sender stopped mid-send: it may have arrived; not sent again on its own.
        Uncertain = ("uncertain", "发送结果不明", "Outcome unknown"),
    }
}

/// The hour a run starts at when the subscriber names none (before the working day, so the
/// table is there at the morning meeting).
pub const DEFAULT_HOUR: u8 = 8;

/// A subscription as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Subscription {
    pub id: Id,
    pub user_id: Id,
    /// The report's code (the reports the product has are listed by the API).
    pub report: String,
    pub frequency: Frequency,
    /// The hour of the day (service time zone) a run starts, 0–23.
    pub hour: u8,
    pub channel: Channel,
    /// The robot target's name (channel robot).
    pub target: Option<String>,
    /// The language the report is written in.
    pub lang: Lang,
    pub active: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub created_at: Timestamp,
    /// When the next run starts (none once cancelled).
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub next_run_at: Option<Timestamp>,
}

/// One run of a subscription as recorded: the period it covered, what it found and how its
/// delivery went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunRecord {
    pub id: Id,
    pub subscription_id: Id,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub from: Date,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Date))]
    pub to: Date,
    /// When it was due to run.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub run_at: Timestamp,
    pub state: RunState,
    /// The report's rows in the period (0: skipped).
    pub rows: i64,
    pub title: String,
    /// The few lines a group robot gets.
    pub summary: String,
    /// The Excel file sent (its SHA-256 in the file store).
    #[serde(skip)]
    pub file_sha256: Option<String>,
    pub file_size: Option<i64>,
    pub attempts: i32,
    /// What the last attempt said (the relay's answer, or why it failed).
    pub detail: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>, format = DateTime))]
    pub sent_at: Option<Timestamp>,
}

/// One run: when it starts and the period it covers (both dates included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub at: Timestamp,
    pub from: Date,
    pub to: Date,
}

impl Run {
    /// What makes a run unique for its subscription: its period.
    pub fn key(&self) -> String {
        format!("{}/{}", self.from, self.to)
    }
}

/// The first run of `frequency` at `hour` strictly after `after`, in `tz`.
pub fn next_run(frequency: Frequency, hour: u8, after: Timestamp, tz: &TimeZone) -> Run {
    let local = after.to_zoned(tz.clone());
    let mut day = local.date();
    loop {
        if let Some(run) = run_on(frequency, hour, day, tz)
            && run.at > after
        {
            return run;
        }
        day = day.tomorrow().unwrap_or(day);
    }
}

/// The run on `day`, when `frequency` runs that day.
fn run_on(frequency: Frequency, hour: u8, day: Date, tz: &TimeZone) -> Option<Run> {
    let (from, to) = match frequency {
        Frequency::Daily => {
            let y = day.yesterday().ok()?;
            (y, y)
        }
        Frequency::Weekly if day.weekday() == Weekday::Monday => {
            let to = day.yesterday().ok()?;
            (to.checked_sub(jiff::Span::new().days(6)).ok()?, to)
        }
        Frequency::Monthly if day.day() == 1 => {
            let to = day.yesterday().ok()?;
            (to.first_of_month(), to)
        }
        _ => return None,
    };
    let at = day.at(hour.min(23) as i8, 0, 0, 0).to_zoned(tz.clone()).ok()?.timestamp();
    Some(Run { at, from, to })
}

/// Checks a subscription's fields: the hour is an hour of the day, a robot names its
/// target and an e-mail none.
pub fn check(hour: u8, channel: Channel, target: Option<&str>) -> Result<(), DomainError> {
    if hour > 23 {
        return Err(DomainError::field(
            "hour",
            Reason::Mismatch { detail_en: "must be an hour of the day, 0 to 23", detail_zh: "须为 0～23 点" },
        ));
    }
    match (channel, target.map(str::trim).filter(|t| !t.is_empty())) {
        (Channel::Robot, None) => Err(DomainError::field("target", Reason::Missing)),
        _ => Ok(()),
    }
}

/// Active subscriptions one person may hold: enough for every report at every frequency
/// by mail and to a few groups, and a bound on what one account makes the server send.
pub const MAX_ACTIVE: usize = 40;

/// Whether `new` repeats one of `existing` (the same report, at the same frequency, to the
/// same place): a second would deliver every report twice. The hour and the language do
/// not make it another subscription; change them by cancelling and subscribing again.
/// Beyond that, a person holds at most [`MAX_ACTIVE`] active subscriptions.
pub fn check_against(existing: &[Subscription], new: &Subscription) -> Result<(), DomainError> {
    let active: Vec<&Subscription> = existing.iter().filter(|s| s.active && s.user_id == new.user_id).collect();
    if active.iter().any(|s| {
        s.report == new.report && s.frequency == new.frequency && s.channel == new.channel && s.target == new.target
    }) {
        return Err(DomainError::field("report", Reason::Duplicate));
    }
    if active.len() >= MAX_ACTIVE {
        return Err(DomainError::field(
            "report",
            Reason::Mismatch {
                detail_en: "you hold 40 active subscriptions, the most one person may: cancel one first",
                detail_zh: "您已有 40 个有效订阅，已达上限：请先取消一个",
            },
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(id: Id, report: &str, frequency: Frequency, channel: Channel, target: Option<&str>) -> Subscription {
        Subscription {
            id,
            user_id: 7,
            report: report.into(),
            frequency,
            hour: 8,
            channel,
            target: target.map(Into::into),
            lang: Lang::Zh,
            active: true,
            created_at: Timestamp::UNIX_EPOCH,
            next_run_at: None,
        }
    }

    #[test]
    fn the_same_report_to_the_same_place_twice_is_refused_and_so_is_the_forty_first() {
        let weekly = sub(1, "weekly-engineers", Frequency::Weekly, Channel::Email, None);
        let again = Subscription { hour: 9, ..weekly.clone() };
        assert!(matches!(
            check_against(std::slice::from_ref(&weekly), &again),
            Err(DomainError::Invalid(f)) if f[0] == ("report", Reason::Duplicate)
        ));
        for other in [
            sub(0, "weekly-engineers", Frequency::Monthly, Channel::Email, None),
            sub(0, "weekly-engineers", Frequency::Weekly, Channel::Robot, Some("ops")),
            sub(0, "monthly-service", Frequency::Weekly, Channel::Email, None),
        ] {
            check_against(std::slice::from_ref(&weekly), &other).expect("another report, frequency or place");
        }
        let cancelled = Subscription { active: false, ..weekly.clone() };
        check_against(&[cancelled], &again).expect("a cancelled one does not count");
        let many: Vec<Subscription> = (0..MAX_ACTIVE as i64)
            .map(|i| sub(i, "weekly-engineers", Frequency::Daily, Channel::Robot, Some(&format!("g{i}"))))
            .collect();
        assert!(check_against(&many, &again).is_err(), "the forty-first");
        check_against(&many[1..], &again).expect("the fortieth");
    }

    fn tz() -> TimeZone {
        TimeZone::get("Asia/Shanghai").expect("tz")
    }

    fn at(s: &str) -> Timestamp {
        s.parse::<jiff::civil::DateTime>().expect("datetime").to_zoned(tz()).expect("zoned").timestamp()
    }

    fn d(s: &str) -> Date {
        s.parse().expect("date")
    }

    #[test]
    fn a_daily_run_covers_the_day_before() {
        let r = next_run(Frequency::Daily, 8, at("2026-12-07T07:59"), &tz());
        assert_eq!((r.at, r.from, r.to), (at("2026-12-07T08:00"), d("2026-12-06"), d("2026-12-06")));
        let r = next_run(Frequency::Daily, 8, at("2026-12-07T08:00"), &tz());
        assert_eq!((r.at, r.from), (at("2026-12-08T08:00"), d("2026-12-07")), "strictly after");
    }

    #[test]
    fn a_weekly_run_is_on_monday_for_monday_to_sunday() {
        // 2026-12-09 is a Wednesday.
        let r = next_run(Frequency::Weekly, 9, at("2026-12-09T12:00"), &tz());
        assert_eq!((r.at, r.from, r.to), (at("2026-12-14T09:00"), d("2026-12-07"), d("2026-12-13")));
    }

    #[test]
    fn a_monthly_run_is_on_the_first_for_the_whole_month_before() {
        let r = next_run(Frequency::Monthly, 8, at("2026-12-07T12:00"), &tz());
        assert_eq!((r.at, r.from, r.to), (at("2027-01-01T08:00"), d("2026-12-01"), d("2026-12-31")));
        let r = next_run(Frequency::Monthly, 0, at("2027-02-10T00:00"), &tz());
        assert_eq!((r.from, r.to), (d("2027-02-01"), d("2027-02-28")));
        let r = next_run(Frequency::Monthly, 0, at("2028-02-10T00:00"), &tz());
        assert_eq!(r.to, d("2028-02-29"), "a leap year's February");
    }

    #[test]
    fn runs_follow_each_other_without_gaps_or_overlaps() {
        for f in Frequency::ALL {
            let mut after = at("2026-01-01T00:00");
            let mut last: Option<Run> = None;
            for _ in 0..60 {
                let r = next_run(*f, 8, after, &tz());
                if let Some(l) = last {
                    assert_eq!(l.to.tomorrow().expect("date"), r.from, "{f:?}: periods are contiguous");
                    assert!(r.at > l.at);
                }
                assert!(r.to < r.at.to_zoned(tz()).date(), "{f:?}: a run covers only a finished period");
                after = r.at;
                last = Some(r);
            }
        }
    }

    #[test]
    fn a_robot_needs_its_target_and_the_hour_is_of_a_day() {
        assert!(check(8, Channel::Email, None).is_ok());
        assert!(check(24, Channel::Email, None).is_err());
        assert!(check(8, Channel::Robot, Some("  ")).is_err());
        assert!(check(8, Channel::Robot, Some("运维群")).is_ok());
    }
}
