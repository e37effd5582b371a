//! The demo's qualified engineers and work orders across departments (issue 13): each
//! engineer's certificates by product line or model and their training, the people of the
//! logistics, production and R&D departments, and work orders on a few open tickets (a
//! replacement unit shipped by 物流, an overdue analysis for 研发 whose owner and the
//! ticket's engineer were told, a production record check already done).
//!
//! Qualifications are entered after the history ran (dispatch in the history predates
//! them, as it would in a service desk that starts keeping certificates today).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use aftersales_app::work_orders::{OverdueCheck, StatusChange};
use aftersales_app::{Actor, App, Result};
use aftersales_domain::qualification::{QualificationInput, TrainingInput, TrainingResult};
use aftersales_domain::role::Role;
use aftersales_domain::user::UserInput;
use aftersales_domain::work_order::{WorkOrderInput, WorkOrderStatus};
use jiff::ToSpan;

use crate::org::Org;
use crate::run::Live;
use crate::time::{DAY, HOUR};
use crate::{demo_error, ts};

/// (engineer, scope, certificate, number prefix, days until expiry; negative: expired).
const QUALIFICATIONS: &[(&str, &str, &str, &str, i64)] = &[
    ("eng.zhang", "bizhub", "柯尼卡美能达 bizhub 系列认证维修工程师", "KM-SH", 420),
    ("eng.zhang", "HP LaserJet", "惠普 LaserJet 授权服务工程师", "HPAS", 300),
    ("eng.wang", "imageRUNNER", "佳能 imageRUNNER 认证服务工程师", "CN-IR", 510),
    ("eng.wang", "bizhub", "柯尼卡美能达 bizhub 系列认证维修工程师", "KM-SH", 95),
    ("eng.li", "RICOH IM", "理光 IM 系列技术认证", "RC-GZ", 380),
    ("eng.li", "HP LaserJet", "惠普 LaserJet 授权服务工程师", "HPAS", 250),
    ("eng.chen", "Apeos", "富士胶片 Apeos 维修技术认证", "FF-SZ", 600),
    ("eng.chen", "HP Color LaserJet Pro M454dw", "惠普彩色激光打印机维修认证", "HPCL", -20),
    ("eng.chen", "Brother HL", "兄弟 HL 系列服务认证", "BR-GZ", 330),
    ("eng.liu", "bizhub", "柯尼卡美能达 bizhub 系列认证维修工程师", "KM-BJ", 200),
    ("eng.liu", "Epson SureColor", "爱普生 SureColor 大幅面认证工程师", "EP-BJ", 450),
    ("eng.yang", "imageRUNNER", "佳能 imageRUNNER 认证服务工程师", "CN-IR", 150),
    ("eng.yang", "Zebra ZT411", "斑马 ZT 系列工业打印机认证", "ZB-BJ", 700),
    ("eng.huang", "SIMATIC S7-1500", "西门子 SIMATIC S7-1500 认证工程师", "SIE-SH", 540),
    ("eng.huang", "FANUC", "发那科数控系统维修认证", "FA-SH", 365),
    ("eng.song", "三菱 MELSEC", "三菱电机 MELSEC iQ-F 认证", "MI-BJ", 410),
    ("eng.song", "HEIDENHAIN TNC 640", "海德汉 TNC 640 维修认证", "HH-BJ", 280),
    ("eng.zhao", "FANUC", "发那科数控系统维修认证", "FA-GZ", 480),
    ("eng.zhao", "SIMATIC S7-1500", "西门子 SIMATIC S7-1500 认证工程师", "SIE-GZ", 60),
];

/// (engineer, course, days ago, result).
const TRAINING: &[(&str, &str, i64, TrainingResult)] = &[
    ("eng.zhang", "bizhub C300i 定影单元拆装与校准", 40, TrainingResult::Passed),
    ("eng.wang", "imageRUNNER ADVANCE 网络扫描配置", 65, TrainingResult::Passed),
    ("eng.li", "RICOH IM C3000 纸路故障诊断", 30, TrainingResult::Passed),
    ("eng.chen", "惠普彩色激光打印机成像系统", 120, TrainingResult::Failed),
    ("eng.liu", "Epson SureColor 喷头清洗与更换", 55, TrainingResult::Passed),
    ("eng.yang", "Zebra ZT411 碳带与打印头保养", 21, TrainingResult::Attended),
    ("eng.huang", "SIMATIC S7-1500 固件升级与故障诊断", 75, TrainingResult::Passed),
    ("eng.song", "海德汉 TNC 640 五轴联动调试", 90, TrainingResult::Passed),
    ("eng.zhao", "发那科 0i-MF 伺服报警处理", 14, TrainingResult::Passed),
    ("eng.ma", "客户现场服务礼仪与安全规范", 45, TrainingResult::Attended),
];

/// The cooperating departments' people: (username, name, department code).
const DEPARTMENT_STAFF: &[(&str, &str, &str)] =
    &[("logistics1", "韩冬", "logistics"), ("production1", "彭丽", "production"), ("rnd1", "邓文", "rnd")];

/// Qualifications, training, department people and work orders, with the clock at `now`
/// (moved back for what happened earlier, then to `now` again).
pub(crate) async fn create(
    app: &App,
    org: &Org,
    live: &[Option<Live>],
    clock: &Arc<AtomicI64>,
    now: i64,
) -> Result<()> {
    clock.store(now, Ordering::Relaxed);
    let supervisor = &org.actors[org.staff("supervisor1")?];
    let today = ts(now)?.to_zoned(app.settings().time_zone.clone()).date();
    for (i, (who, scope, certificate, prefix, days)) in QUALIFICATIONS.iter().enumerate() {
        let user = org.actors[org.staff(who)?].id();
        let input = QualificationInput {
            scope: (*scope).into(),
            certificate: (*certificate).into(),
            certificate_no: format!("{prefix}-{}{:04}", today.year() - 1, 1207 + i * 37),
            expires_on: Some(today.checked_add(days.days()).map_err(|e| demo_error(format!("date: {e}")))?),
        };
        app.add_qualification(supervisor, user, &input).await?;
    }
    for (who, course, ago, outcome) in TRAINING {
        let user = org.actors[org.staff(who)?].id();
        let taken_on = today.checked_sub(ago.days()).map_err(|e| demo_error(format!("date: {e}")))?;
        let input = TrainingInput { course: (*course).into(), taken_on: Some(taken_on), outcome: Some(*outcome) };
        app.add_training(supervisor, user, &input).await?;
    }
    let mut people = Vec::new();
    for (username, name, _) in DEPARTMENT_STAFF {
        let input = UserInput {
            username: Some((*username).into()),
            display_name: Some((*name).into()),
            // Read-only staff: they see the desk and report on the work orders they own.
            role: Some(Role::DataSpecialist),
            ..UserInput::default()
        };
        people.push(app.create_user(Some(&org.actors[org.staff("admin")?]), &input).await?.id);
    }
    let &[logistics, production, rnd] = people.as_slice() else {
        return Err(demo_error("department staff".into()));
    };
    work_orders(app, org, live, clock, now, [logistics, production, rnd]).await
}

async fn work_orders(
    app: &App,
    org: &Org,
    live: &[Option<Live>],
    clock: &Arc<AtomicI64>,
    now: i64,
    [logistics, production, rnd]: [i64; 3],
) -> Result<()> {
    let dispatcher = &org.actors[org.staff("dispatch1")?];
    // Open tickets an engineer is working on, oldest first, with their device.
    let mut open: Vec<_> = live
        .iter()
        .flatten()
        .map(|l| &l.ticket)
        .filter(|t| t.status.is_being_worked() && t.first_line_id.is_some() && t.device_model.is_some())
        .collect();
    open.sort_by_key(|t| t.registered_at);
    let at = |ms: i64| clock.store(ms, Ordering::Relaxed);
    let engineer = |t: &aftersales_domain::ticket::Ticket| -> Option<&Actor> {
        t.first_line_id.and_then(|id| org.by_user.get(&id)).map(|&i| &org.actors[i])
    };

    // 物流: a replacement unit while the customer's device goes back for repair.
    if let Some(t) = open.iter().rev().find(|t| t.registered_at.as_millisecond() < now - 2 * HOUR) {
        at(now - HOUR);
        let model = t.device_model.clone().unwrap_or_default();
        let input = WorkOrderInput {
            department: "logistics".into(),
            owner_id: Some(logistics),
            needed: format!("为客户调拨一台 {model} 备用机并安排上门交付，故障机随车返回维修中心检修"),
            resources: vec!["备用机出库单（上海中心仓）".into(), "装箱清单及设备交接单".into()],
            deadline: Some(ts(now + DAY)?),
        };
        let w = app.open_work_order(dispatcher, t.id, &input).await?;
        at(now - 20 * 60_000);
        let owner = actor_of(org, app, logistics).await?;
        app.add_work_order_progress(
            &owner,
            w.work_order.id,
            "已从上海中心仓备货，顺丰今日 16:00 前发出，单号另行告知工程师",
        )
        .await?;
    }

    // 研发: a fault-code analysis that passed its deadline (its owner and the engineer are told).
    if let Some(t) = open.iter().find(|t| t.registered_at.as_millisecond() < now - 3 * DAY) {
        let start = t.registered_at.as_millisecond() + 2 * HOUR;
        at(start);
        let code = t.fault_code.clone().unwrap_or_else(|| "—".into());
        let input = WorkOrderInput {
            department: "rnd".into(),
            owner_id: Some(rnd),
            needed: format!("分析报警代码 {code} 的控制板日志，确认是否为已知固件问题，并给出处理建议"),
            resources: vec!["现场导出的控制板日志（工程师已上传）".into(), "故障样件：主控板一块".into()],
            deadline: Some(ts(start + DAY)?),
        };
        let w = app.open_work_order(dispatcher, t.id, &input).await?;
        at(start + 4 * HOUR);
        let owner = actor_of(org, app, rnd).await?;
        app.add_work_order_progress(&owner, w.work_order.id, "已收到日志，正在实验室复现，初步怀疑固件版本过旧")
            .await?;
        if let Some(e) = engineer(t) {
            at(start + 5 * HOUR);
            app.add_work_order_progress(e, w.work_order.id, "已向客户说明需研发分析，预计两天内给出结论").await?;
        }
    }

    // 生产: a production-batch record check, done.
    if let Some(t) = open.iter().rev().nth(1) {
        at(now - 3 * HOUR);
        let input = WorkOrderInput {
            department: "production".into(),
            owner_id: Some(production),
            needed: "核对该设备同批次关键部件的生产及出厂检验记录，确认是否存在批次性问题".into(),
            resources: vec!["设备序列号与出厂日期".into()],
            deadline: Some(ts(now + 2 * DAY)?),
        };
        let w = app.open_work_order(dispatcher, t.id, &input).await?;
        at(now - HOUR);
        let owner = actor_of(org, app, production).await?;
        let w = app
            .add_work_order_progress(&owner, w.work_order.id, "同批次 200 台出厂检验记录均正常，未发现批次性问题")
            .await?;
        let done = StatusChange { status: WorkOrderStatus::Done, version: w.work_order.version };
        app.set_work_order_status(&owner, w.work_order.id, &done).await?;
    }
    at(now);
    // The overdue work order's notice, as the worker would have raised it.
    while app.run_jobs::<OverdueCheck>("demo", 100).await?.done == 100 {}
    Ok(())
}

async fn actor_of(org: &Org, app: &App, id: i64) -> Result<Actor> {
    match org.by_user.get(&id) {
        Some(&i) => Ok(org.actors[i].clone()),
        None => Ok(Actor { user: app.get_user(&Actor::operator(), id).await? }),
    }
}
