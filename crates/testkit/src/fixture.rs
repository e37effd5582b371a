//! A small service organization: two customers (one with a designated window), their
//! contacts and devices, and one user of each role the tests need.

use aftersales_app::notices::TargetInput;
use aftersales_app::parts::RequisitionInput;
use aftersales_app::{Actor, App};
use aftersales_domain::catalog::Category;
use aftersales_domain::customer::{Contact, ContactInput, Customer, CustomerInput, Device, DeviceInput};
use aftersales_domain::notice::{Audience, ChannelKind, NoticeKind, Route};
use aftersales_domain::parts::{PartInput, Requisition};
use aftersales_domain::registration::Registration;
use aftersales_domain::role::Role;
use aftersales_domain::user::UserInput;

use crate::actor;

pub struct Org {
    pub admin: Actor,
    pub desk: Actor,
    pub dispatcher: Actor,
    pub supervisor: Actor,
    pub director: Actor,
    /// First line, hardware group, 华东.
    pub eng_east: Actor,
    /// First line, hardware group, 华南.
    pub eng_south: Actor,
    /// Second line, hardware group, 华东.
    pub eng_second: Actor,
    pub specialist: Actor,
    pub pm: Actor,
    pub data: Actor,
    /// 备件管理员: keeps the parts catalog and warehouses, issues parts.
    pub keeper: Actor,
    /// 华东 customer with a designated window contact.
    pub customer_a: Customer,
    /// 华南 customer without a window.
    pub customer_b: Customer,
    pub window_a: Contact,
    pub other_a: Contact,
    pub contact_b: Contact,
    /// Portal users of the contacts above.
    pub portal_window_a: Actor,
    pub portal_other_a: Actor,
    pub portal_b: Actor,
    pub device_a: Device,
    pub device_b: Device,
    pub paper_jam: Category,
    pub hardware_group: i64,
}

async fn user(app: &App, username: &str, name: &str, role: Role, region: Option<&str>, group: Option<i64>) -> Actor {
    let input = UserInput {
        username: Some(username.into()),
        display_name: Some(name.into()),
        role: Some(role),
        region: region.map(Into::into),
        group_id: group,
        email: Some(format!("{username}@example.com")),
        ..UserInput::default()
    };
    actor(app.create_user(None, &input).await.unwrap())
}

async fn portal(app: &App, username: &str, contact: &Contact) -> Actor {
    let input = UserInput {
        username: Some(username.into()),
        display_name: Some(contact.name.clone()),
        role: Some(Role::CustomerContact),
        customer_id: Some(contact.customer_id),
        contact_id: Some(contact.id),
        ..UserInput::default()
    };
    actor(app.create_user(None, &input).await.unwrap())
}

impl Org {
    pub async fn create(app: &App) -> Org {
        let admin = user(app, "admin", "管理员", Role::Admin, None, None).await;
        let groups = app.groups(&admin).await.unwrap();
        let hardware_group = groups.iter().find(|g| g.code == "hardware").unwrap().id;
        let paper_jam = app.categories(&admin).await.unwrap().into_iter().find(|c| c.code == "paper_jam").unwrap();
        let desk = user(app, "desk1", "张敏", Role::DeskAgent, None, None).await;
        let dispatcher = user(app, "dispatch1", "赵强", Role::Dispatcher, None, None).await;
        let supervisor = user(app, "supervisor1", "钱主管", Role::Supervisor, None, None).await;
        let director = user(app, "director1", "孙总监", Role::TechnicalDirector, None, None).await;
        let eng_east = user(app, "eng.east", "周工", Role::FirstLineEngineer, Some("华东"), Some(hardware_group)).await;
        let eng_south =
            user(app, "eng.south", "吴工", Role::FirstLineEngineer, Some("华南"), Some(hardware_group)).await;
        let eng_second =
            user(app, "eng.second", "郑工", Role::SecondLineEngineer, Some("华东"), Some(hardware_group)).await;
        let specialist = user(app, "specialist1", "冯专员", Role::ProjectSpecialist, None, None).await;
        let pm = user(app, "pm1", "陈经理", Role::ProjectManager, None, None).await;
        let data = user(app, "data1", "褚数据", Role::DataSpecialist, None, None).await;
        let keeper = user(app, "keeper1", "蒋备件", Role::PartsKeeper, None, None).await;
        let new_customer = |name: &str, short: &str, region: &str| CustomerInput {
            name: Some(name.into()),
            short_name: Some(short.into()),
            region: Some(region.into()),
            level: Some("A".into()),
            specialist_id: Some(specialist.id()),
            window_contact_id: None,
            calendar: None,
        };
        let mut customer_a =
            app.create_customer(&admin, &new_customer("上海浦江精密机械有限公司", "浦江精密", "华东")).await.unwrap();
        let customer_b =
            app.create_customer(&admin, &new_customer("广州南粤印务有限公司", "南粤印务", "华南")).await.unwrap();
        let contact = |name: &str, phone: &str| ContactInput {
            name: Some(name.into()),
            phone: Some(phone.into()),
            email: None,
            department: Some("行政部".into()),
            lang: None,
        };
        let window_a = app.create_contact(&admin, customer_a.id, &contact("王经理", "13900000001")).await.unwrap();
        let other_a = app.create_contact(&admin, customer_a.id, &contact("李工", "13900000002")).await.unwrap();
        let contact_b = app.create_contact(&admin, customer_b.id, &contact("黄主任", "020-86001234")).await.unwrap();
        customer_a = app
            .update_customer(
                &admin,
                customer_a.id,
                &CustomerInput {
                    window_contact_id: Some(window_a.id),
                    ..new_customer("上海浦江精密机械有限公司", "浦江精密", "华东")
                },
            )
            .await
            .unwrap();
        let device = |customer: i64, serial: &str| DeviceInput {
            customer_id: Some(customer),
            model: Some("bizhub C300i".into()),
            serial: Some(serial.into()),
            location: Some("3楼财务部".into()),
            purchase_date: Some(jiff::civil::date(2023, 6, 1)),
            // Extended warranty: in warranty whenever a test runs (tests on the real clock
            // start work without a quote; fee tests make their own out-of-warranty device).
            warranty_end: Some(jiff::civil::date(2036, 5, 31)),
            consumable_model: Some("TN328K".into()),
        };
        let device_a = app.create_device(&admin, &device(customer_a.id, "A1B2-000123")).await.unwrap();
        let device_b = app.create_device(&admin, &device(customer_b.id, "B7C8-000456")).await.unwrap();
        let portal_window_a = portal(app, "pj.wang", &window_a).await;
        let portal_other_a = portal(app, "pj.li", &other_a).await;
        let portal_b = portal(app, "ny.huang", &contact_b).await;
        Org {
            admin,
            desk,
            dispatcher,
            supervisor,
            director,
            eng_east,
            eng_south,
            eng_second,
            specialist,
            pm,
            data,
            keeper,
            customer_a,
            customer_b,
            window_a,
            other_a,
            contact_b,
            portal_window_a,
            portal_other_a,
            portal_b,
            device_a,
            device_b,
            paper_jam,
            hardware_group,
        }
    }

    /// Notices of `kind` go to `people` (audiences, over channels) and to a WeCom group robot
    /// at `url`, a notify target named `target`, as the administrator sets it up.
    pub async fn route_to_robot(
        &self,
        app: &App,
        kind: NoticeKind,
        (audiences, channels): (Vec<Audience>, Vec<ChannelKind>),
        (target, url): (&str, String),
    ) {
        let input = TargetInput { kind: ChannelKind::WeCom, url, secret: None };
        app.put_notify_target(&self.admin, target, &input).await.unwrap();
        let route = Route { kind, audiences, channels, targets: vec![target.into()], enabled: true, wording: None };
        app.put_notice_route(&self.admin, &route).await.unwrap();
    }

    /// Registers [`Org::registration`] `times` times, as the desk (the second a repeat report).
    pub async fn report(&self, app: &App, at: aftersales_domain::Timestamp, times: usize) {
        let r = self.registration(at);
        for _ in 0..times {
            aftersales_app::Outcome::into_value(app.register(&self.desk, &r, None).await.unwrap())
                .map(|_: aftersales_app::tickets::TicketView| ())
                .unwrap();
        }
    }

    /// An open requisition by `engineer` on ticket `ticket` for a cheap part made for it
    /// (approved when filed), so that the ticket may wait for parts (issue 13).
    pub async fn requisition(&self, app: &App, engineer: &Actor, ticket: i64) -> Requisition {
        let part = PartInput {
            number: Some(format!("RL-{ticket}")),
            name: Some("搓纸轮".into()),
            unit: Some("个".into()),
            price_fen: Some(3_500),
            ..PartInput::default()
        };
        let part = app.create_part(&self.keeper, &part).await.unwrap();
        let input = RequisitionInput { part_id: Some(part.id), quantity: Some(1), note: None };
        app.request_parts(engineer, ticket, &input).await.unwrap()
    }

    /// A complete phone registration for customer B's device, occurring `at`.
    pub fn registration(&self, at: aftersales_domain::Timestamp) -> Registration {
        Registration {
            customer_id: Some(self.customer_b.id),
            contact_id: Some(self.contact_b.id),
            device_serial: Some(self.device_b.serial.to_lowercase()),
            category_id: Some(self.paper_jam.id),
            fault_code: Some("J-7012".into()),
            description: Some("复印时第二纸盒卡纸，面板报警 J-7012，取出后仍反复出现".into()),
            occurred_at: Some(at),
            impact_scope: Some("财务部一台复印机，无法打印报销单".into()),
            ..Registration::default()
        }
    }
}
