//! The management reports (DOMAIN §7) as files: the seam report subscriptions call.
//! (Only the daily table here; the reports branch brings the others.)

use aftersales_domain::permission::Action;
use aftersales_domain::{DomainError, Lang};
use aftersales_export::{Cell, Column, Kind, Sheet};
use serde::{Deserialize, Serialize};

use crate::{Actor, App, Result};

aftersales_domain::coded_enum! {
    /// The reports of DOMAIN §7.
    pub enum ReportKind {
        DailyNotices = ("daily_notices", "每日未结案暨通告总表", "Daily unclosed and notices"),
        WeeklyEngineers = ("weekly_engineers", "每周报修事件分析表", "Weekly per engineer"),
        MonthlyRegions = ("monthly_regions", "每月报修事件分析表", "Monthly by region and customer"),
        MonthlyService = ("monthly_service", "售后服务月度报告", "Monthly service report"),
        DeskCompliance = ("desk_compliance", "客服考核", "Desk compliance"),
    }
}

/// A report made for a period, ready to be sent.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReportFile {
    pub title: String,
    #[serde(skip)]
    pub sheets: Vec<Sheet>,
    pub summary: String,
    pub is_empty: bool,
}

impl App {
    /// Whether `actor` may read `kind` at all.
    pub fn may_read_report(&self, actor: &Actor, kind: ReportKind) -> Result<()> {
        let _ = kind;
        actor.require(Action::ReadTicket)?;
        if actor.is_customer() {
            return Err(DomainError::Forbidden { role: actor.user.role, action: Action::ReadServicePolicy }.into());
        }
        Ok(())
    }

    /// Whether `actor` reads every report (not only their own line of one).
    pub fn reads_every_report(&self, actor: &Actor) -> bool {
        use aftersales_domain::role::Role::*;
        actor.user.active
            && matches!(actor.user.role, Admin | Supervisor | DataSpecialist | ProjectManager | GeneralManager)
    }

    /// The report of `kind` for `from`–`to` as `actor` may read it.
    pub async fn report_file(
        &self,
        actor: &Actor,
        kind: ReportKind,
        from: jiff::civil::Date,
        to: jiff::civil::Date,
        lang: Lang,
    ) -> Result<ReportFile> {
        self.may_read_report(actor, kind)?;
        let mut rows = Vec::new();
        let mut day = from;
        loop {
            for r in self.daily_notices(actor, &day.to_string()).await? {
                rows.push(vec![
                    Cell::Date(day),
                    Cell::Text(r.number),
                    Cell::Text(r.customer),
                    Cell::Text(r.description),
                ]);
            }
            match day.tomorrow() {
                Ok(next) if next <= to => day = next,
                _ => break,
            }
        }
        let title = kind.label(lang).to_owned();
        let n = rows.len();
        Ok(ReportFile {
            title: title.clone(),
            summary: format!("{title}：{from} 至 {to}，{n} 张工单"),
            is_empty: n == 0,
            sheets: vec![Sheet {
                name: title.clone(),
                title,
                notes: vec![format!("{from} — {to}")],
                columns: vec![
                    Column::new("日期", Kind::Date),
                    Column::new("报修单编号", Kind::Text),
                    Column::new("客户简称", Kind::Text),
                    Column::new("报修事件描述", Kind::Text),
                ],
                rows,
                ..Sheet::default()
            }],
        })
    }
}
