//! Each report's screen as [`Sheet`]s: one function per report, read by the page, the CSV,
//! the Excel file and the subscriptions alike, so they cannot disagree. Next to each sheet,
//! the drill-down of each cell ([`Links`]: the query of the tickets behind it).

use aftersales_domain::clock::ClockKind;
use aftersales_domain::{Lang, Timestamp};
use aftersales_export::{Cell, Chart, ChartKind, Column, Kind, Sheet};

use super::{Measure, ReportFile, ReportFilter, ReportKind, ReportScreen};

/// Per row (and the totals row last), per column: the drill-down query of the cell, when
/// it has one (`report=…&measure=…&from=…&to=…&engineer=…`).
pub type Links = Vec<Vec<Option<String>>>;

fn w(lang: Lang, zh: &str, en: &str) -> String {
    if lang == Lang::Zh { zh.to_owned() } else { en.to_owned() }
}

fn opt_num(v: Option<f64>) -> Cell {
    v.map_or(Cell::Empty, Cell::Num)
}

fn opt_pct(v: Option<f64>) -> Cell {
    v.map_or(Cell::Empty, Cell::Percent)
}

fn period_note(f: &ReportFilter, lang: Lang) -> String {
    match lang {
        Lang::Zh => format!("统计期间：{} 至 {}", f.period.from, f.period.to),
        Lang::En => format!("Period: {} to {}", f.period.from, f.period.to),
    }
}

/// The base query of a report's cells: the report, its period and its filters.
fn base(kind: ReportKind, f: &ReportFilter) -> String {
    let mut q = format!("report={}&from={}&to={}", kind.code(), f.period.from, f.period.to);
    if let Some(c) = f.customer {
        q.push_str(&format!("&customer={c}"));
    }
    if let Some(r) = &f.region {
        q.push_str(&format!("&region={}", enc(r)));
    }
    if let Some(e) = f.engineer {
        q.push_str(&format!("&engineer={e}"));
    }
    if let Some(c) = f.category {
        q.push_str(&format!("&category={c}"));
    }
    if let Some(p) = &f.priority {
        q.push_str(&format!("&priority={}", enc(p)));
    }
    q
}

/// Percent-encodes a query value (UTF-8 bytes outside the unreserved set).
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn m(q: &str, measure: Measure) -> Option<String> {
    Some(format!("{q}&measure={}", measure.code()))
}

fn civil(t: Option<Timestamp>, tz: &jiff::tz::TimeZone) -> Cell {
    t.map_or(Cell::Empty, |t| Cell::DateTime(t.to_zoned(tz.clone()).datetime()))
}

/// The sheets of a report and each sheet's drill-down links.
pub fn report_sheets(screen: &ReportScreen, lang: Lang, tz: &jiff::tz::TimeZone) -> Vec<(Sheet, Links)> {
    match screen {
        ReportScreen::DailyNotices { filter, days } => {
            let mut rows = Vec::new();
            let mut links = Vec::new();
            for (day, list) in days {
                for r in list {
                    let kinds: Vec<&str> = r.notices.iter().map(|k| k.label(lang)).collect();
                    let status = aftersales_domain::ticket::Status::from_code(&r.status)
                        .map(|s| s.label(lang).to_owned())
                        .unwrap_or_default();
                    rows.push(vec![
                        Cell::Date(*day),
                        Cell::text(r.number.clone()),
                        Cell::text(r.customer.clone()),
                        civil(r.accepted_at, tz),
                        Cell::text(r.description.clone()),
                        Cell::text(kinds.join("、")),
                        Cell::text(status),
                        r.first_line.clone().into(),
                        r.second_line.clone().into(),
                        r.desk_note.clone().into(),
                        r.manager_note.clone().into(),
                    ]);
                    let mut l = vec![None; 11];
                    l[1] = Some(format!("ticket={}", r.ticket_id));
                    links.push(l);
                }
            }
            let n = rows.len() as i64;
            let sheet = Sheet {
                name: w(lang, "每日未结案暨通告", "Daily notices"),
                title: ReportKind::DailyNotices.title(lang).to_owned(),
                notes: vec![period_note(filter, lang)],
                columns: vec![
                    Column::new(w(lang, "日期", "Date"), Kind::Date),
                    Column::new(w(lang, "报修单编号", "Ticket no."), Kind::Text),
                    Column::new(w(lang, "客户简称", "Customer"), Kind::Text),
                    Column::new(w(lang, "接受报修时间", "Accepted at"), Kind::DateTime),
                    Column::new(w(lang, "报修事件描述", "Description"), Kind::Text),
                    Column::new(w(lang, "通告类型", "Notices"), Kind::Text),
                    Column::new(w(lang, "状态", "Status"), Kind::Text),
                    Column::new(w(lang, "一线技术人员", "First line"), Kind::Text),
                    Column::new(w(lang, "二线支持人员", "Second line"), Kind::Text),
                    Column::new(w(lang, "客服说明现况", "Desk status note"), Kind::Text),
                    Column::new(w(lang, "项目经理说明现况", "PM status note"), Kind::Text),
                ],
                rows,
                totals: Some(vec![Cell::text(w(lang, "合计", "Total")), Cell::Int(n)]),
                charts: Vec::new(),
            };
            let mut totals = vec![None; 11];
            totals[1] = None;
            links.push(totals);
            vec![(sheet, links)]
        }
        ReportScreen::WeeklyEngineers(r) => {
            let q = base(ReportKind::WeeklyEngineers, &r.filter);
            let measures = [
                None,
                Some(Measure::All),
                Some(Measure::Resolved),
                Some(Measure::ResponseTimeout),
                Some(Measure::SecondLine),
                Some(Measure::SameDay),
                Some(Measure::CustomerUnclosed),
                Some(Measure::Repeat),
                Some(Measure::ThreeDays),
                None,
                Some(Measure::OnTime),
                None,
                None,
                None,
            ];
            let line = |l: &super::EngineerLine, total: bool| {
                vec![
                    if total { Cell::text(w(lang, "合计", "Total")) } else { Cell::text(l.engineer.clone()) },
                    Cell::Int(l.dispatches),
                    opt_num(l.mttr_hours),
                    Cell::Int(l.response_timeout),
                    Cell::Int(l.second_line),
                    Cell::Int(l.same_day),
                    Cell::Int(l.customer_unclosed),
                    Cell::Int(l.repeat),
                    Cell::Int(l.three_days),
                    Cell::Num(l.per_week),
                    opt_pct(l.action_index),
                    opt_pct(l.capability_index),
                    l.praise.into(),
                    l.complaints.into(),
                ]
            };
            let link = |l: &super::EngineerLine| -> Vec<Option<String>> {
                let q = match l.engineer_id {
                    Some(e) if r.filter.engineer.is_none() => format!("{q}&engineer={e}"),
                    _ => q.clone(),
                };
                measures.iter().map(|x| x.and_then(|x| m(&q, x))).collect()
            };
            let mut links: Links = r.rows.iter().map(link).collect();
            let mut notes = vec![period_note(&r.filter, lang), r.weights.describe(lang)];
            notes.push(w(
                lang,
                "行动力指数 = 响应准时次数 / 总派工数；平均故障修复时间按派工至解决的工作时间计",
                "Action index = on-time responses / total dispatches; mean time to repair counts working time from dispatch to resolution",
            ));
            if r.rows.iter().all(|l| l.praise.is_none()) {
                notes.push(w(
                    lang,
                    "表扬、投诉：回访记录尚未接入，暂不统计",
                    "Praise and complaints: not yet recorded from callbacks",
                ));
            }
            let sheet = Sheet {
                name: w(lang, "每周报修事件分析", "Weekly per engineer"),
                title: ReportKind::WeeklyEngineers.title(lang).to_owned(),
                notes,
                columns: vec![
                    Column::new(w(lang, "一线技术人员", "Engineer"), Kind::Text),
                    Column::new(w(lang, "总派工数", "Dispatches"), Kind::Integer),
                    Column::new(w(lang, "平均故障修复时间（小时）", "Mean time to repair (h)"), Kind::Decimal),
                    Column::new(w(lang, "响应超时次数", "Response timeouts"), Kind::Integer),
                    Column::new(w(lang, "找二线支持次数", "Second-line calls"), Kind::Integer),
                    Column::new(w(lang, "当天未结案次数", "Same-day unclosed"), Kind::Integer),
                    Column::new(w(lang, "客户未结案次数", "Customer unclosed"), Kind::Integer),
                    Column::new(w(lang, "重复报修次数", "Repeat reports"), Kind::Integer),
                    Column::new(w(lang, "三天未结案次数", "3-day unclosed"), Kind::Integer),
                    Column::new(w(lang, "平均每周派单量", "Dispatches per week"), Kind::Decimal),
                    Column::new(w(lang, "行动力指数", "Action index"), Kind::Percent),
                    Column::new(w(lang, "技术能力指数", "Technical capability index"), Kind::Percent),
                    Column::new(w(lang, "表扬", "Praise"), Kind::Integer),
                    Column::new(w(lang, "投诉", "Complaints"), Kind::Integer),
                ],
                rows: r.rows.iter().map(|l| line(l, false)).collect(),
                totals: r.totals.as_ref().map(|t| line(t, true)),
                charts: vec![Chart {
                    title: w(lang, "派工数与响应超时", "Dispatches and response timeouts"),
                    kind: ChartKind::Column,
                    categories: 0,
                    series: vec![1, 3],
                }],
            };
            if let Some(t) = &r.totals {
                links.push(link(t));
            }
            vec![(sheet, links)]
        }
        ReportScreen::MonthlyRegions(r) => {
            let q = base(ReportKind::MonthlyRegions, &r.filter);
            let ncat = r.categories.len();
            let line = |l: &super::RegionLine, total: bool| {
                let mut v = vec![
                    if total { Cell::text(w(lang, "合计", "Total")) } else { Cell::text(l.region.clone()) },
                    Cell::text(l.customer.clone()),
                    Cell::Int(l.tickets),
                ];
                v.extend(l.by_category.iter().map(|n| Cell::Int(*n)));
                v.extend([
                    Cell::Num(l.hours),
                    opt_num(l.avg_hours),
                    Cell::Int(l.below_standard),
                    opt_pct(l.compliance),
                ]);
                v
            };
            let link = |l: &super::RegionLine| -> Vec<Option<String>> {
                let q = match l.customer_id {
                    Some(c) if r.filter.customer.is_none() => format!("{q}&customer={c}"),
                    _ => q.clone(),
                };
                let mut v = vec![None, None, m(&q, Measure::All)];
                for c in &r.categories {
                    v.push(match c.id {
                        Some(id) if r.filter.category.is_none() => m(&format!("{q}&category={id}"), Measure::All),
                        Some(_) => m(&q, Measure::All),
                        None => m(&format!("{q}&uncategorised=true"), Measure::All),
                    });
                }
                v.extend([m(&q, Measure::Resolved), m(&q, Measure::Resolved), m(&q, Measure::BelowStandard), None]);
                v
            };
            let mut columns = vec![
                Column::new(w(lang, "地域", "Region"), Kind::Text),
                Column::new(w(lang, "客户简称", "Customer"), Kind::Text),
                Column::new(w(lang, "客户报修数量", "Tickets"), Kind::Integer),
            ];
            columns.extend(r.categories.iter().map(|c| Column::new(c.name.clone(), Kind::Integer)));
            columns.extend([
                Column::new(w(lang, "派工花费时数", "Hours spent"), Kind::Decimal),
                Column::new(w(lang, "平均每次报修花费时间（小时）", "Average hours per repair"), Kind::Decimal),
                Column::new(w(lang, "未达服务标准的报修事件数", "Below standard"), Kind::Integer),
                Column::new(w(lang, "平均达标率", "Compliance rate"), Kind::Percent),
            ]);
            let mut links: Links = r.rows.iter().map(link).collect();
            links.push(link(&r.totals));
            let main = Sheet {
                name: w(lang, "每月报修事件分析", "Monthly by region"),
                title: ReportKind::MonthlyRegions.title(lang).to_owned(),
                notes: vec![
                    period_note(&r.filter, lang),
                    w(
                        lang,
                        "未达服务标准：响应超时或当天未结案；派工花费时数按派工至解决的工作时间计",
                        "Below standard: response timeout or not closed the same day; hours count working time from dispatch to resolution",
                    ),
                ],
                columns,
                rows: r.rows.iter().map(|l| line(l, false)).collect(),
                totals: Some(line(&r.totals, true)),
                charts: (ncat > 0)
                    .then(|| Chart {
                        title: w(lang, "各客户报修数量", "Tickets per customer"),
                        kind: ChartKind::Bar,
                        categories: 1,
                        series: vec![2],
                    })
                    .into_iter()
                    .collect(),
            };
            let important = Sheet {
                name: w(lang, "重要报修事件", "Important tickets"),
                title: w(lang, "重要报修事件的文字简述", "Important tickets"),
                notes: vec![w(
                    lang,
                    "最高级别或已通告项目经理、总经理的报修",
                    "The most urgent level, or escalated to the PM and GM",
                )],
                columns: vec![
                    Column::new(w(lang, "报修单编号", "Ticket no."), Kind::Text),
                    Column::new(w(lang, "客户简称", "Customer"), Kind::Text),
                    Column::new(w(lang, "简述", "Summary"), Kind::Text),
                    Column::new(w(lang, "状态", "Status"), Kind::Text),
                ],
                rows: r
                    .important
                    .iter()
                    .map(|i| {
                        vec![
                            Cell::text(i.number.clone()),
                            Cell::text(i.customer.clone()),
                            Cell::text(i.gist.clone()),
                            Cell::text(i.status.clone()),
                        ]
                    })
                    .collect(),
                totals: None,
                charts: Vec::new(),
            };
            let ilinks: Links =
                r.important.iter().map(|i| vec![Some(format!("ticket={}", i.ticket_id)), None, None, None]).collect();
            vec![(main, links), (important, ilinks)]
        }
        ReportScreen::MonthlyService(r) => {
            let q = base(ReportKind::MonthlyService, &r.filter);
            let s = &r.summary;
            let h = |min: Option<f64>| min.map(|v| v / 60.0);
            let hi = |min: Option<i64>| min.map(|v| v as f64 / 60.0);
            let mut rows = vec![
                vec![Cell::text(w(lang, "问题数量（登记）", "Tickets registered")), Cell::Int(s.registered)],
                vec![Cell::text(w(lang, "已解决", "Resolved")), Cell::Int(s.resolved)],
                vec![Cell::text(w(lang, "已结案", "Closed")), Cell::Int(s.closed)],
                vec![
                    Cell::text(w(lang, "平均解决时长（工作小时）", "Average resolution (working h)")),
                    opt_num(h(s.avg_resolution_work_min)),
                ],
                vec![
                    Cell::text(w(lang, "P90 解决时长（工作小时）", "P90 resolution (working h)")),
                    opt_num(hi(s.p90_resolution_work_min)),
                ],
                vec![
                    Cell::text(w(lang, "平均解决时长（自然小时）", "Average resolution (calendar h)")),
                    opt_num(h(s.avg_resolution_cal_min)),
                ],
                vec![
                    Cell::text(w(lang, "P90 解决时长（自然小时）", "P90 resolution (calendar h)")),
                    opt_num(hi(s.p90_resolution_cal_min)),
                ],
                vec![Cell::text(w(lang, "客户投诉", "Complaints")), Cell::Int(r.complaints)],
            ];
            let mut links: Links = vec![
                vec![None, m(&q, Measure::All)],
                vec![None, m(&q, Measure::Resolved)],
                vec![None, None],
                vec![None, m(&q, Measure::Resolved)],
                vec![None, m(&q, Measure::Resolved)],
                vec![None, m(&q, Measure::Resolved)],
                vec![None, m(&q, Measure::Resolved)],
                vec![None, m(&q, Measure::Complaint)],
            ];
            let overview = Sheet {
                name: w(lang, "月度概况", "Overview"),
                title: ReportKind::MonthlyService.title(lang).to_owned(),
                notes: vec![
                    period_note(&r.filter, lang),
                    w(
                        lang,
                        "解决时长按受理至解决计；P90 为九成工单的解决时长不超过此值",
                        "Resolution counts from acceptance; P90: nine in ten were resolved within it",
                    ),
                ],
                columns: vec![
                    Column::new(w(lang, "指标", "Measure"), Kind::Text),
                    Column::new(w(lang, "数值", "Value"), Kind::Decimal),
                ],
                rows: std::mem::take(&mut rows),
                totals: None,
                charts: Vec::new(),
            };
            links.truncate(overview.rows.len());
            // Priority split.
            let mut prow = Vec::new();
            let mut plinks: Links = Vec::new();
            for (level, n) in &s.by_priority {
                let label = if level == "none" { w(lang, "未分级", "Ungraded") } else { level.clone() };
                prow.push(vec![Cell::text(label), Cell::Int(*n)]);
                plinks.push(vec![None, m(&format!("{q}&priority={}", enc(level)), Measure::All)]);
            }
            let ptotal: i64 = s.by_priority.values().sum();
            plinks.push(vec![None, m(&q, Measure::All)]);
            let priority = Sheet {
                name: w(lang, "分级分布", "Priority"),
                title: w(lang, "分级分布", "Tickets by priority"),
                notes: vec![period_note(&r.filter, lang)],
                columns: vec![
                    Column::new(w(lang, "级别", "Level"), Kind::Text),
                    Column::new(w(lang, "问题数量", "Tickets"), Kind::Integer),
                ],
                rows: prow,
                totals: Some(vec![Cell::text(w(lang, "合计", "Total")), Cell::Int(ptotal)]),
                charts: vec![Chart {
                    title: w(lang, "分级分布", "By priority"),
                    kind: ChartKind::Pie,
                    categories: 0,
                    series: vec![1],
                }],
            };
            // Satisfaction.
            let mut srows = Vec::new();
            let mut slinks: Links = Vec::new();
            for (code, measure) in
                [("satisfied", Measure::Satisfied), ("basic", Measure::Basic), ("dissatisfied", Measure::Dissatisfied)]
            {
                srows.push(vec![
                    Cell::text(measure.label(lang)),
                    Cell::Int(s.satisfaction.get(code).copied().unwrap_or(0)),
                ]);
                slinks.push(vec![None, m(&q, measure)]);
            }
            let stotal: i64 = s.satisfaction.values().sum();
            slinks.push(vec![None, None]);
            let satisfaction = Sheet {
                name: w(lang, "客户满意度", "Satisfaction"),
                title: w(lang, "客户满意度", "Customer satisfaction"),
                notes: vec![w(lang, "本期结案工单的回访结果", "Surveys of the tickets closed in the period")],
                columns: vec![
                    Column::new(w(lang, "评价", "Answer"), Kind::Text),
                    Column::new(w(lang, "工单数", "Tickets"), Kind::Integer),
                ],
                rows: srows,
                totals: Some(vec![Cell::text(w(lang, "合计", "Total")), Cell::Int(stotal)]),
                charts: vec![Chart {
                    title: w(lang, "客户满意度", "Satisfaction"),
                    kind: ChartKind::Pie,
                    categories: 0,
                    series: vec![1],
                }],
            };
            // SLA compliance per clock.
            let crow: Vec<Vec<Cell>> = r
                .clocks
                .iter()
                .filter(|c| c.settled > 0)
                .map(|c| {
                    vec![Cell::text(c.clock.label(lang)), Cell::Int(c.settled), Cell::Int(c.missed), opt_pct(c.rate)]
                })
                .collect();
            let clinks: Links = r
                .clocks
                .iter()
                .filter(|c| c.settled > 0)
                .map(|c| {
                    vec![
                        None,
                        m(&q, Measure::Resolved),
                        m(&format!("{q}&clock={}", clock_code(c.clock)), Measure::ClockMissed),
                        None,
                    ]
                })
                .collect();
            let sla = Sheet {
                name: w(lang, "时限达标率", "SLA compliance"),
                title: w(lang, "各项时限达标率", "Compliance per deadline"),
                notes: vec![w(
                    lang,
                    "本期解决工单中已结束计时的各项时限",
                    "Clocks that settled on the tickets resolved in the period",
                )],
                columns: vec![
                    Column::new(w(lang, "时限", "Clock"), Kind::Text),
                    Column::new(w(lang, "计时工单", "Settled"), Kind::Integer),
                    Column::new(w(lang, "未达标", "Missed"), Kind::Integer),
                    Column::new(w(lang, "达标率", "Compliance"), Kind::Percent),
                ],
                rows: crow,
                totals: None,
                charts: Vec::new(),
            };
            // High-frequency problems.
            let dash = || w(lang, "（未填）", "(none)");
            let prob_rows: Vec<Vec<Cell>> = r
                .problems
                .iter()
                .map(|p| {
                    vec![
                        Cell::text(p.model.clone().unwrap_or_else(dash)),
                        Cell::text(p.fault_code.clone().unwrap_or_else(dash)),
                        Cell::Int(p.tickets),
                    ]
                })
                .collect();
            let prob_links: Links = r
                .problems
                .iter()
                .map(|p| {
                    let q = format!(
                        "{q}&model={}&fault_code={}",
                        enc(p.model.as_deref().unwrap_or("")),
                        enc(p.fault_code.as_deref().unwrap_or(""))
                    );
                    vec![None, None, m(&q, Measure::Problem)]
                })
                .collect();
            let problems = Sheet {
                name: w(lang, "高频问题", "Frequent problems"),
                title: w(lang, "高频问题（设备型号 + 报警代码）", "High-frequency problems (model + fault code)"),
                notes: vec![period_note(&r.filter, lang)],
                columns: vec![
                    Column::new(w(lang, "设备型号", "Model"), Kind::Text),
                    Column::new(w(lang, "报警代码", "Fault code"), Kind::Text),
                    Column::new(w(lang, "问题数量", "Tickets"), Kind::Integer),
                ],
                rows: prob_rows,
                totals: None,
                charts: Vec::new(),
            };
            let improvements = Sheet {
                name: w(lang, "改进措施", "Improvements"),
                title: w(lang, "改进措施", "Improvement actions"),
                notes: match (&r.improvements.author, r.improvements.updated_at) {
                    (Some(a), Some(t)) => vec![match lang {
                        Lang::Zh => format!("{a} 填写于 {}", t.to_zoned(tz.clone()).strftime("%Y-%m-%d %H:%M")),
                        Lang::En => format!("Written by {a} at {}", t.to_zoned(tz.clone()).strftime("%Y-%m-%d %H:%M")),
                    }],
                    _ => vec![w(lang, "本月尚未填写", "Not written for this month yet")],
                },
                columns: vec![Column::new(w(lang, "改进措施", "Actions"), Kind::Text)],
                rows: r
                    .improvements
                    .body
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(|l| vec![Cell::text(l.to_owned())])
                    .collect(),
                totals: None,
                charts: Vec::new(),
            };
            let ilinks = vec![vec![None]; improvements.rows.len()];
            vec![
                (overview, links),
                (priority, plinks),
                (satisfaction, slinks),
                (sla, clinks),
                (problems, prob_links),
                (improvements, ilinks),
            ]
        }
        ReportScreen::DeskCompliance(r) => {
            let q = base(ReportKind::DeskCompliance, &r.filter);
            let line = |l: &super::DeskLine, total: bool| {
                vec![
                    if total { Cell::text(w(lang, "合计", "Total")) } else { Cell::text(l.agent.clone()) },
                    Cell::Int(l.registered),
                    Cell::Int(l.late_registration),
                    Cell::Int(l.incomplete),
                    Cell::Int(l.late_dispatch),
                    Cell::Int(l.late_report),
                    Cell::Int(l.amount_yuan),
                ]
            };
            let link = |l: &super::DeskLine| -> Vec<Option<String>> {
                let q = match l.agent_id {
                    Some(a) => format!("{q}&desk={a}"),
                    None => q.clone(),
                };
                vec![
                    None,
                    m(&q, Measure::All),
                    m(&q, Measure::DeskLateRegistration),
                    m(&q, Measure::DeskIncomplete),
                    m(&q, Measure::DeskLateDispatch),
                    m(&q, Measure::DeskLateReport),
                    None,
                ]
            };
            let mut links: Links = r.rows.iter().map(link).collect();
            links.push(link(&r.totals));
            let d = &r.rules;
            let sheet = Sheet {
                name: w(lang, "客服考核", "Desk compliance"),
                title: ReportKind::DeskCompliance.title(lang).to_owned(),
                notes: vec![
                    period_note(&r.filter, lang),
                    match lang {
                        Lang::Zh => format!(
                            "登记后 {} 分钟内未受理为登记不及时，受理后 {} 分钟内未派工为派工不及时；登记不及时或不完整每次 {} 元，派工不及时每次 {} 元，报告发布不及时每次 {} 元",
                            d.accept_within_minutes,
                            d.dispatch_within_minutes,
                            d.registration_yuan,
                            d.dispatch_yuan,
                            d.report_yuan
                        ),
                        Lang::En => format!(
                            "Registered late: not accepted within {} min; dispatched late: not within {} min of acceptance; {} yuan per late or incomplete registration, {} per late dispatch, {} per late report",
                            d.accept_within_minutes,
                            d.dispatch_within_minutes,
                            d.registration_yuan,
                            d.dispatch_yuan,
                            d.report_yuan
                        ),
                    },
                ],
                columns: vec![
                    Column::new(w(lang, "客服专员", "Desk agent"), Kind::Text),
                    Column::new(w(lang, "登记报修数", "Registered"), Kind::Integer),
                    Column::new(w(lang, "登记不及时", "Registered late"), Kind::Integer),
                    Column::new(w(lang, "登记不完整", "Incomplete"), Kind::Integer),
                    Column::new(w(lang, "派工不及时", "Dispatched late"), Kind::Integer),
                    Column::new(w(lang, "报告发布不及时", "Reports late"), Kind::Integer),
                    Column::new(w(lang, "扣款（元）", "Amount (yuan)"), Kind::Integer),
                ],
                rows: r.rows.iter().map(|l| line(l, false)).collect(),
                totals: Some(line(&r.totals, true)),
                charts: Vec::new(),
            };
            vec![(sheet, links)]
        }
    }
}

fn clock_code(k: ClockKind) -> &'static str {
    k.code()
}

/// A report as a file: its sheets, a summary for a chat robot, and whether it is empty.
pub(super) fn file(screen: &ReportScreen, lang: Lang, tz: &jiff::tz::TimeZone) -> ReportFile {
    let kind = screen.kind();
    let f = screen.filter();
    let title = format!("{} {} – {}", kind.title(lang), f.period.from, f.period.to);
    let (summary, is_empty) = match screen {
        ReportScreen::DailyNotices { days, .. } => {
            let n: usize = days.iter().map(|(_, r)| r.len()).sum();
            (
                match lang {
                    Lang::Zh => format!("{title}\n有通告的工单 {n} 张"),
                    Lang::En => format!("{title}\n{n} tickets with notices"),
                },
                n == 0,
            )
        }
        ReportScreen::WeeklyEngineers(r) => {
            let t = r.totals.clone();
            let d = t.as_ref().map_or(0, |t| t.dispatches);
            let rt = t.as_ref().map_or(0, |t| t.response_timeout);
            let ai = t.as_ref().and_then(|t| t.action_index).map(|v| format!("{:.1}%", v * 100.0)).unwrap_or_default();
            (
                match lang {
                    Lang::Zh => format!("{title}\n总派工数 {d}，响应超时 {rt} 次\n行动力指数 {ai}"),
                    Lang::En => format!("{title}\n{d} dispatches, {rt} response timeouts\nAction index {ai}"),
                },
                r.rows.is_empty(),
            )
        }
        ReportScreen::MonthlyRegions(r) => {
            let c = r.totals.compliance.map(|v| format!("{:.1}%", v * 100.0)).unwrap_or_default();
            (
                match lang {
                    Lang::Zh => format!(
                        "{title}\n报修 {} 张，未达服务标准 {} 张\n平均达标率 {c}",
                        r.totals.tickets, r.totals.below_standard
                    ),
                    Lang::En => format!(
                        "{title}\n{} tickets, {} below standard\nCompliance {c}",
                        r.totals.tickets, r.totals.below_standard
                    ),
                },
                r.rows.is_empty(),
            )
        }
        ReportScreen::MonthlyService(r) => {
            let avg = r.summary.avg_resolution_work_min.map(|v| format!("{:.1}", v / 60.0)).unwrap_or_default();
            (
                match lang {
                    Lang::Zh => format!(
                        "{title}\n问题数量 {}，已解决 {}\n平均解决时长 {avg} 工作小时",
                        r.summary.registered, r.summary.resolved
                    ),
                    Lang::En => format!(
                        "{title}\n{} tickets, {} resolved\nAverage resolution {avg} working hours",
                        r.summary.registered, r.summary.resolved
                    ),
                },
                r.summary.registered == 0 && r.summary.resolved == 0 && r.summary.closed == 0,
            )
        }
        ReportScreen::DeskCompliance(r) => (
            match lang {
                Lang::Zh => format!(
                    "{title}\n登记 {} 张，派工不及时 {} 次\n扣款合计 {} 元",
                    r.totals.registered, r.totals.late_dispatch, r.totals.amount_yuan
                ),
                Lang::En => format!(
                    "{title}\n{} registered, {} late dispatches\n{} yuan in total",
                    r.totals.registered, r.totals.late_dispatch, r.totals.amount_yuan
                ),
            },
            r.rows.is_empty(),
        ),
    };
    let sheets = report_sheets(screen, lang, tz).into_iter().map(|(s, _)| s).collect();
    ReportFile { title, sheets, summary, is_empty }
}
