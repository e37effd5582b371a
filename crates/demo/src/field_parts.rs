//! Spare parts in the demo (issue 13): a central store (中心库) and a van stock for each
//! hardware engineer, a catalog of the parts the demo's faults need (copier and printer
//! parts first: 定影组件, 搓纸轮, 硒鼓, 转印带 …) with real-looking part numbers and prices,
//! and requisitions that follow the tickets: filed when the engineer waits for parts,
//! approved by the supervisor when dear, issued by the parts keeper (which ends the wait),
//! fitted with their serials when the ticket is resolved, the faulty part returned. One
//! requisition is rejected at the end, so the list shows every state.

use std::collections::HashMap;

use aftersales_app::parts::{DecisionInput, IssueInput, RequisitionInput, ReturnInput, StockInput, UseInput};
use aftersales_app::tickets::Command;
use aftersales_app::{Actor, App, AppError, Result};
use aftersales_domain::error::Conflict;
use aftersales_domain::parts::{
    MovementKind, Part, PartInput, PartsProblem, RequisitionStatus, WarehouseInput, WarehouseKind,
};
use aftersales_domain::ticket::{Status, Ticket};
use aftersales_domain::{DomainError, Id};

use crate::data::{Family, MODELS};
use crate::org::Org;
use crate::time::DAY;

/// The catalog: (part number, name, unit, price in fen, families it fits (none: any),
/// serial-tracked, stock received into the central store).
type CatalogRow = (&'static str, &'static str, &'static str, i64, &'static [Family], bool, i64);

#[rustfmt::skip]
const CATALOG: &[CatalogRow] = &[
    ("FC6-7083-000", "搓纸轮", "个", 3_500, &[Family::Mfp, Family::Printer], false, 40),
    ("A0ED-5821-01", "分页垫", "个", 4_500, &[Family::Mfp], false, 30),
    ("A4Y5-R701-00", "双面器导轮", "个", 3_800, &[Family::Mfp], false, 20),
    ("A0ED-R72211", "定影单元", "套", 128_000, &[Family::Mfp], true, 8),
    ("A95W-0Y3-C", "成像单元（青）", "套", 86_000, &[Family::Mfp], true, 8),
    ("A95W-0RD-K", "感光鼓组件", "套", 52_000, &[Family::Mfp], true, 10),
    ("A92W-R711-ITB", "转印带", "条", 145_000, &[Family::Mfp], true, 5),
    ("A4FJ-HDD-320", "硬盘组件", "个", 95_000, &[Family::Mfp], true, 5),
    ("RM2-5741-000CN", "搓纸轮套件", "套", 12_000, &[Family::Printer], false, 20),
    ("RM2-5692-000CN", "定影组件", "套", 68_000, &[Family::Printer], true, 10),
    ("CF237A", "原装硒鼓", "支", 89_000, &[Family::Printer], false, 15),
    ("RM2-5745-000CN", "转印辊", "根", 16_000, &[Family::Printer], false, 15),
    ("C13S210115", "清洁单元", "个", 42_000, &[Family::Wide], false, 10),
    ("1816754-ENC", "编码器光栅条", "条", 26_000, &[Family::Wide], false, 8),
    ("P1058930-009", "打印头", "个", 235_000, &[Family::Label], true, 5),
    ("P1058930-145", "检测开关", "个", 6_500, &[Family::Label], false, 10),
    ("6GK5008-0BA10-1AB2", "工业交换机模块", "台", 380_000, &[Family::Plc], true, 3),
    ("6ES7521-1BH00-0AB0", "DI16 输入模块", "块", 165_000, &[Family::Plc], true, 4),
    ("FX3U-32BL", "PLC 后备电池", "个", 9_500, &[Family::Plc], false, 20),
    ("A06B-6240-H105", "伺服放大器", "台", 1_280_000, &[Family::Cnc], true, 2),
    ("A660-2005-T505", "主轴编码器电缆", "根", 78_000, &[Family::Cnc], false, 6),
    ("RS232-DB25-5M", "屏蔽通讯线", "根", 8_500, &[Family::Cnc], false, 10),
];

/// What a van carries: (part number, quantity).
const VAN_STOCK: &[(&str, i64)] = &[("FC6-7083-000", 4), ("A0ED-5821-01", 2), ("RM2-5741-000CN", 2)];

/// The demo's parts: who keeps and approves, where they are, and the catalog by name.
pub(crate) struct Parts {
    keeper: Actor,
    supervisor: Actor,
    central: Id,
    by_name: HashMap<&'static str, Part>,
    now: i64,
}

fn demo(e: String) -> AppError {
    crate::demo_error(e)
}

/// The catalog, the central store with its first delivery, and the hardware engineers'
/// vans with a few fast movers each.
pub(crate) async fn setup(app: &App, org: &Org, now: i64) -> Result<Parts> {
    let keeper = org.actors[org.staff("keeper1")?].clone();
    let supervisor = org.actors[org.staff("supervisor1")?].clone();
    let mut by_name = HashMap::new();
    let mut by_number = HashMap::new();
    for &(number, name, unit, price, families, tracked, _) in CATALOG {
        let models = MODELS.iter().filter(|m| families.contains(&m.1)).map(|m| m.0.to_owned()).collect();
        let input = PartInput {
            number: Some(number.into()),
            name: Some(name.into()),
            unit: Some(unit.into()),
            price_fen: Some(price),
            models: Some(models),
            serial_tracked: Some(tracked),
            active: Some(true),
        };
        let part = app.create_part(&keeper, &input).await?;
        by_number.insert(number, part.id);
        by_name.insert(name, part);
    }
    let wh = |name: String, kind, owner| WarehouseInput {
        name: Some(name),
        kind: Some(kind),
        owner_id: owner,
        active: None,
    };
    let central = app.create_warehouse(&keeper, &wh("中心库".into(), WarehouseKind::Central, None)).await?.id;
    for &(number, .., stock) in CATALOG {
        receive(app, &keeper, by_number[number], central, stock, "供应商到货入库").await?;
    }
    for e in org.engineers.iter().filter(|e| e.group == "hardware" && !e.second_line) {
        let name = format!("{}车载库存", org.actors[e.actor].user.display_name);
        let van = app.create_warehouse(&keeper, &wh(name, WarehouseKind::Van, Some(e.user_id))).await?.id;
        for &(number, n) in VAN_STOCK {
            let input = StockInput {
                kind: Some(MovementKind::Transfer),
                part_id: Some(by_number[number]),
                warehouse_id: Some(central),
                to_warehouse_id: Some(van),
                quantity: Some(n),
                reason: Some("车载库存补货".into()),
            };
            app.move_stock(&keeper, &input).await?;
        }
    }
    Ok(Parts { keeper, supervisor, central, by_name, now })
}

async fn receive(app: &App, keeper: &Actor, part: Id, warehouse: Id, n: i64, why: &str) -> Result<()> {
    let input = StockInput {
        kind: Some(MovementKind::Receive),
        part_id: Some(part),
        warehouse_id: Some(warehouse),
        quantity: Some(n),
        reason: Some(why.into()),
        ..StockInput::default()
    };
    app.move_stock(keeper, &input).await.map(|_| ())
}

/// A serial number of the look of `part`'s maker, from the ticket and a salt.
fn serial(part: &Part, ticket: Id, salt: i64) -> String {
    let prefix: String = part.number.chars().filter(char::is_ascii_alphanumeric).take(4).collect();
    format!("{prefix}{:08}", (ticket * 7_919 + salt * 104_729) % 100_000_000)
}

impl Parts {
    /// What the ticket's step means for its parts, before the step is taken: a wait for
    /// parts files the requisition; a resume from that wait is the parts' arrival (approved
    /// if needed and issued, which resumes the ticket: `true`, the step is done); a
    /// resolution records the parts fitted.
    pub(crate) async fn before(
        &self,
        app: &App,
        actor: &Actor,
        t: &Ticket,
        cmd: &Command,
        part: Option<&str>,
    ) -> Result<bool> {
        match cmd {
            Command::WaitForParts { .. } => {
                let part = part.and_then(|p| self.by_name.get(p)).ok_or_else(|| demo(format!("no part {part:?}")))?;
                let input = RequisitionInput {
                    part_id: Some(part.id),
                    quantity: Some(1),
                    note: Some(format!("现场确认{}损坏，申请更换", part.name)),
                };
                app.request_parts(actor, t.id, &input).await?;
                Ok(false)
            }
            // The engineer resumes the ticket as the plan says; the keeper issues the parts
            // when the repair is finished (below), so the history's waits are the plan's.
            Command::Resume { .. } => Ok(false),
            Command::Resolve { .. } => {
                self.settle(app, t).await?;
                self.fit(app, actor, t).await?;
                Ok(false)
            }
            _ => Ok(false),
        }
    }

    /// Approves (when pending) and issues the ticket's open requisitions from the central
    /// store, receiving stock first when it ran out.
    async fn settle(&self, app: &App, t: &Ticket) -> Result<()> {
        for q in self.open(app, t).await? {
            if q.status == RequisitionStatus::Pending {
                let ok = DecisionInput { approve: true, note: Some("设备故障已确认，同意更换".into()) };
                app.decide_requisition(&self.supervisor, q.id, &ok).await?;
            }
            let from = IssueInput { warehouse_id: Some(self.central) };
            match app.issue_requisition(&self.keeper, q.id, &from).await {
                Err(AppError::Domain(DomainError::Conflict(Conflict::Parts(PartsProblem::InsufficientStock {
                    ..
                })))) => {
                    receive(app, &self.keeper, q.part_id, self.central, 10, "补货入库").await?;
                    app.issue_requisition(&self.keeper, q.id, &from).await?;
                }
                other => {
                    other?;
                }
            }
        }
        Ok(())
    }

    async fn open(&self, app: &App, t: &Ticket) -> Result<Vec<aftersales_domain::parts::Requisition>> {
        let list = app.ticket_requisitions(&self.keeper, t.id).await?;
        Ok(list.into_iter().map(|r| r.requisition).filter(|q| q.status.is_open()).collect())
    }

    /// The parts issued for the ticket are fitted (serials for tracked parts); the faulty
    /// parts come back, except on the last week's tickets, whose return is still due.
    async fn fit(&self, app: &App, actor: &Actor, t: &Ticket) -> Result<()> {
        for row in app.ticket_requisitions(&self.keeper, t.id).await? {
            let q = row.requisition;
            if q.status != RequisitionStatus::Issued || q.engineer_id != actor.id() {
                continue;
            }
            let part = self.by_name.values().find(|p| p.id == q.part_id).ok_or_else(|| demo("no part".into()))?;
            let input = if part.serial_tracked {
                UseInput {
                    quantity: Some(1),
                    serial: Some(serial(part, t.id, 1)),
                    faulty_serial: Some(serial(part, t.id, 2)),
                }
            } else {
                UseInput { quantity: Some(q.outstanding()), ..UseInput::default() }
            };
            let q = app.use_parts(actor, q.id, &input).await?;
            if q.faulty_outstanding() > 0 && app.now().as_millisecond() < self.now - 7 * DAY {
                let back = ReturnInput {
                    quantity: Some(q.faulty_outstanding()),
                    faulty: true,
                    faulty_serial: input.faulty_serial.clone(),
                    note: Some("旧件已交回中心库".into()),
                };
                app.return_parts(actor, q.id, &back).await?;
            }
        }
        Ok(())
    }

    /// One requisition rejected by the supervisor: three of a dear part asked for on an
    /// open ticket, where one is what the job needs. The part is the job's own when it is
    /// dear enough to need approval, else the dearest part fitting the device (the demo's
    /// history depends on the day it is made, and some days leave no ticket in progress
    /// whose own part is dear).
    pub(crate) async fn finish(&self, app: &App, org: &Org, open: &[(&Ticket, Option<&'static str>)]) -> Result<()> {
        let dear = |p: &Part| p.price_fen * 3 > app.settings().parts_approval_threshold_fen;
        for (t, part) in open {
            if t.status != Status::InProgress {
                continue;
            }
            let own = part.and_then(|p| self.by_name.get(p)).filter(|p| dear(p));
            let fitting = || {
                self.by_name
                    .values()
                    .filter(|p| dear(p) && p.fits(t.device_model.as_deref()))
                    .max_by(|a, b| (a.price_fen, &a.number).cmp(&(b.price_fen, &b.number)))
            };
            let (Some(engineer), Some(part)) = (t.first_line_id, own.or_else(fitting)) else {
                continue;
            };
            let Some(&i) = org.by_user.get(&engineer) else { continue };
            let input = RequisitionInput { part_id: Some(part.id), quantity: Some(3), note: Some("备用".into()) };
            let q = app.request_parts(&org.actors[i], t.id, &input).await?;
            let no = DecisionInput {
                approve: false,
                note: Some("单次申领数量超出本次维修所需，请按实际更换数量重新申领".into()),
            };
            app.decide_requisition(&self.supervisor, q.id, &no).await?;
            return Ok(());
        }
        Ok(())
    }
}
