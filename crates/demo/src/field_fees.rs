//! Fees in the demo (seed 003), through the use cases: every out-of-warranty repair of the
//! history was quoted and signed for before its work started, and at the end three tickets
//! show the fee desk today: a repair quoted, approved and paid with its receipt, a quote
//! awaiting the customer, and a consumables replacement confirmed in the portal.

use aftersales_app::fees::{PaymentInput, QuoteDecision};
use aftersales_app::tickets::Command;
use aftersales_app::{Actor, App, Result};
use aftersales_domain::customer::Warranty;
use aftersales_domain::fee::{LineInput, LineKind, PaymentMethod, QuoteInput};
use aftersales_domain::registration::Registration;
use aftersales_domain::ticket::{Channel, Kind, Ticket};

use crate::org::Org;
use crate::{demo_error, fresh};

fn line(kind: LineKind, description: &str, part_no: Option<&str>, quantity: i64, unit_price: i64) -> LineInput {
    LineInput { kind, description: description.into(), part_no: part_no.map(Into::into), quantity, unit_price }
}

/// The quote of a repair: the part named by the plan (if any), labour, travel when on site.
fn repair_quote(part: Option<&str>, on_site: bool) -> QuoteInput {
    let mut lines = Vec::new();
    if let Some(p) = part {
        lines.push(line(LineKind::Part, p, None, 1, 38_000));
    }
    lines.push(line(LineKind::Labour, "检测与维修工时", None, 2, 15_000));
    if on_site {
        lines.push(line(LineKind::Travel, "市内上门交通费", None, 1, 5_000));
    }
    QuoteInput { lines, internal_note: Some("按公司保外收费标准（2024 版）报价".into()) }
}

/// Before an engineer starts chargeable work, its quote is written and signed on paper
/// (the historic tickets; the three of today show the other ways).
pub(crate) async fn before_start(
    app: &App,
    engineer: &Actor,
    t: &Ticket,
    part: Option<&str>,
    on_site: bool,
) -> Result<()> {
    let f = app.fees(engineer, t.id).await?;
    if f.may_start {
        return Ok(());
    }
    let f = app.save_quote(engineer, t.id, &repair_quote(part, on_site)).await?;
    let revision = f.file.current().map(|q| q.revision).unwrap_or(1);
    let d = QuoteDecision { revision, approve: true, reason: None, signed_by: Some(t.contact_name.clone()) };
    app.decide_quote(engineer, t.id, &d).await?;
    Ok(())
}

/// A ticket registered by the desk and worked to the point where the fees are decided.
async fn responded(
    app: &App,
    org: &Org,
    customer: usize,
    device: i64,
    kind: Kind,
    text: (&str, &str),
) -> Result<Ticket> {
    let desk = &org.actors[org.staff("desk1")?];
    let dispatcher = &org.actors[org.staff("dispatch1")?];
    let c = &org.customers[customer];
    let (contact, _) = c.contacts.first().ok_or_else(|| demo_error("a customer without contacts".into()))?;
    let category = org.categories.get(if kind == Kind::Consumables { "drum_toner" } else { "hardware_fault" });
    let r = Registration {
        customer_id: Some(c.id),
        contact_id: Some(*contact),
        channel: Some(Channel::Phone),
        kind: Some(kind),
        category_id: category.map(|x| x.0),
        device_id: Some(device),
        description: Some(text.0.into()),
        occurred_at: Some(app.now() - jiff::SignedDuration::from_hours(3)),
        impact_scope: Some(text.1.into()),
        ..Registration::default()
    };
    let t = fresh(app.register(desk, &r, None).await?)?.ticket;
    let t = act(app, desk, &t, Command::Accept).await?;
    let t =
        act(app, desk, &t, Command::Grade { level: "P3".into(), reason: "单台设备，有替代设备可用".into() }).await?;
    let t = act(app, dispatcher, &t, Command::Dispatch { group_id: None, engineer_id: None }).await?;
    let engineer = engineer_of(org, &t)?;
    act(app, engineer, &t, Command::Respond { note: Some("已电话联系客户，约定上门检测".into()) }).await
}

async fn act(app: &App, who: &Actor, t: &Ticket, cmd: Command) -> Result<Ticket> {
    Ok(fresh(app.act(who, t.id, Some(t.version), &cmd, None).await?)?.ticket.ticket)
}

/// A part line of a quote (issue 13: a quote names catalog parts): the catalog's part named
/// like `hint` that fits `t`'s device, at its catalog price; else the part as described
/// (not every quoted part is stocked), at `unit_price`.
async fn part_line(app: &App, who: &Actor, t: &Ticket, hint: &str, unit_price: i64) -> Result<LineInput> {
    let model = t.device_model.as_deref();
    let part = app.parts(who).await?.into_iter().find(|p| p.active && p.fits(model) && p.name.contains(hint));
    Ok(match part {
        Some(p) => line(LineKind::Part, &p.name, Some(&p.number), 1, p.price_fen),
        None => line(LineKind::Part, hint, None, 1, unit_price),
    })
}

fn engineer_of<'a>(org: &'a Org, t: &Ticket) -> Result<&'a Actor> {
    let id = t.first_line_id.ok_or_else(|| demo_error("no first-line engineer".into()))?;
    Ok(&org.actors[*org.by_user.get(&id).ok_or_else(|| demo_error(format!("no user {id}")))?])
}

/// The first device of a customer with the warranty asked for (and a consumable model for
/// consumables), judged today.
async fn device_where(app: &App, org: &Org, warranty: Warranty, consumable: bool) -> Result<Option<(usize, i64)>> {
    let today = app.now().to_zoned(app.settings().time_zone.clone()).date();
    for (i, c) in org.customers.iter().enumerate() {
        for d in &c.devices {
            let Some(dev) = aftersales_storage::directory::device_by_id(app.store().read(), d.id).await? else {
                continue;
            };
            let (w, _) = dev.warranty_with_term(today, app.settings().warranty_months);
            if w == warranty && (!consumable || dev.consumable_model.is_some()) {
                return Ok(Some((i, d.id)));
            }
        }
    }
    Ok(None)
}

/// The three tickets that show today's fee desk; how many were made (each needs a device
/// of its kind).
pub(crate) async fn create(app: &App, org: &Org) -> Result<usize> {
    let mut made = 0;
    let desk = &org.actors[org.staff("desk1")?];
    if let Some((customer, device)) = device_where(app, org, Warranty::OutOfWarranty, false).await? {
        // Quoted, signed on site, repaired and paid by WeChat: the receipt prints.
        let text = ("设备开机后主板指示灯闪烁，面板报 C-2551，无法复印和打印", "行政部一台复印机停用，影响全部门打印");
        let t = responded(app, org, customer, device, Kind::Fault, text).await?;
        let engineer = engineer_of(org, &t)?;
        let quote = QuoteInput {
            lines: vec![
                line(LineKind::Part, "主控板（含固件升级）", None, 1, 168_000),
                line(LineKind::Labour, "主板更换与功能调试", None, 2, 15_000),
                line(LineKind::Travel, "市内上门交通费", None, 1, 5_000),
            ],
            internal_note: Some("主板为调拨件，成本价已核".into()),
        };
        let f = app.save_quote(engineer, t.id, &quote).await?;
        let revision = f.file.current().map(|q| q.revision).unwrap_or(1);
        let signed = QuoteDecision { revision, approve: true, reason: None, signed_by: Some(t.contact_name.clone()) };
        let f = app.decide_quote(engineer, t.id, &signed).await?;
        let t = act(app, engineer, &t, Command::Start { plan: Some("更换主控板并升级固件".into()) }).await?;
        let t = act(
            app,
            engineer,
            &t,
            Command::Resolve {
                resolution: "更换主控板并升级固件至最新版本，复印、打印、扫描测试正常".into()
            },
        )
        .await?;
        let total = f.remaining.unwrap_or_default();
        let pay = PaymentInput {
            method: PaymentMethod::Wechat,
            amount: total,
            reference: Some("4200002158202412061835274416".into()),
            note: None,
        };
        app.record_payment(desk, t.id, &pay).await?;
        made += 1;
    }
    if let Some((customer, device)) = device_where(app, org, Warranty::OutOfWarranty, false).await? {
        // Quoted this morning; the customer has not answered yet.
        let text = ("定影部位异响并有焦糊味，打印件字迹一擦就掉", "财务部打印机，报销单据暂改用其他打印机");
        let t = responded(app, org, customer, device, Kind::Fault, text).await?;
        let engineer = engineer_of(org, &t)?;
        let quote = QuoteInput {
            lines: vec![
                part_line(app, engineer, &t, "定影", 98_000).await?,
                line(LineKind::Labour, "更换定影组件", None, 1, 15_000),
            ],
            internal_note: None,
        };
        app.save_quote(engineer, t.id, &quote).await?;
        made += 1;
    }
    if let Some((customer, device)) = device_where(app, org, Warranty::InWarranty, true).await? {
        // Consumables: the plan and its fees approved by the customer's contact in the portal.
        let text = ("碳粉即将用尽，打印件整体发淡，申请更换碳粉盒与废粉盒", "市场部彩色打印");
        let t = responded(app, org, customer, device, Kind::Consumables, text).await?;
        let engineer = engineer_of(org, &t)?;
        let model = aftersales_storage::directory::device_by_id(app.store().read(), device)
            .await?
            .and_then(|d| d.consumable_model)
            .unwrap_or_default();
        let quote = QuoteInput {
            lines: vec![
                line(LineKind::Part, &format!("原装碳粉盒 {model}"), None, 2, 46_000),
                line(LineKind::Part, "废粉盒", None, 1, 8_500),
                line(LineKind::Labour, "耗材更换与打印测试", None, 1, 5_000),
            ],
            internal_note: None,
        };
        let f = app.save_quote(engineer, t.id, &quote).await?;
        let revision = f.file.current().map(|q| q.revision).unwrap_or(1);
        let contact = &org.actors[org.customers[customer].user];
        let approve = QuoteDecision { revision, approve: true, reason: None, signed_by: None };
        app.customer_decide_quote(contact, t.id, &approve).await?;
        let t = act(app, engineer, &t, Command::Start { plan: Some("上门更换碳粉盒与废粉盒".into()) }).await?;
        act(app, engineer, &t, Command::Resolve { resolution: "已更换碳粉盒与废粉盒，打印浓度恢复正常".into() })
            .await?;
        made += 1;
    }
    Ok(made)
}
