//! The organization as created: staff, customers with their contacts, customer users and devices.

use std::collections::{HashMap, HashSet};

use aftersales_app::{Actor, App, Result};
use aftersales_domain::Id;
use aftersales_domain::customer::{ContactInput, CustomerInput, DeviceInput};
use aftersales_domain::role::Role;
use aftersales_domain::user::UserInput;
use jiff::civil::Date;
use rand::Rng;
use rand::rngs::StdRng;

use crate::data::*;
use crate::time::Cal;
use crate::{DEMO_PASSWORD, demo_error, pick};

#[derive(Debug, Clone)]
pub(crate) struct Engineer {
    pub(crate) actor: usize,
    pub(crate) user_id: Id,
    pub(crate) group: &'static str,
    pub(crate) region: &'static str,
    pub(crate) second_line: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Dev {
    pub(crate) id: Id,
    pub(crate) family: Family,
    pub(crate) location: &'static str,
}

#[derive(Debug, Clone)]
pub(crate) struct Cust {
    pub(crate) id: Id,
    pub(crate) level: &'static str,
    pub(crate) region: &'static str,
    pub(crate) profile: Profile,
    /// (contact id, name); the first is the one with a user account (and the window, if any).
    pub(crate) contacts: Vec<(Id, String)>,
    pub(crate) has_window: bool,
    /// Actor index of the customer contact user.
    pub(crate) user: usize,
    /// Actor index of the project specialist.
    pub(crate) specialist: usize,
    pub(crate) devices: Vec<Dev>,
}

#[derive(Debug)]
pub(crate) struct Org {
    pub(crate) actors: Vec<Actor>,
    pub(crate) by_user: HashMap<Id, usize>,
    pub(crate) by_name: HashMap<&'static str, usize>,
    pub(crate) engineers: Vec<Engineer>,
    pub(crate) customers: Vec<Cust>,
    /// Category code → (id, handling group code, Chinese name).
    pub(crate) categories: HashMap<String, (Id, String, String)>,
}

impl Org {
    pub(crate) fn staff(&self, username: &str) -> Result<usize> {
        self.by_name.get(username).copied().ok_or_else(|| demo_error(format!("no user {username}")))
    }
}

/// Staff, customers, contacts, customer users and devices.
pub(crate) async fn create(app: &App, rng: &mut StdRng, cal: &Cal, now: i64) -> Result<Org> {
    let hash = aftersales_app::users::hash_password(DEMO_PASSWORD)?;
    let groups: HashMap<Id, String> = {
        let tx_groups = aftersales_storage::catalog::groups(app.store().read()).await?;
        tx_groups.into_iter().map(|g| (g.id, g.code)).collect()
    };
    let group_id = |code: &str| groups.iter().find(|(_, c)| c.as_str() == code).map(|(id, _)| *id);
    let mut org = Org {
        actors: Vec::new(),
        by_user: HashMap::new(),
        by_name: HashMap::new(),
        engineers: Vec::new(),
        customers: Vec::new(),
        categories: HashMap::new(),
    };
    let mut phones = HashSet::new();
    let mut mobile = |rng: &mut StdRng| loop {
        let p = format!("1{}{:09}", pick(rng, &[3, 5, 7, 8, 9]), rng.random_range(0..1_000_000_000u64));
        if phones.insert(p.clone()) {
            break p;
        }
    };
    // Staff added after the demo's first release (the parts keeper) draw their numbers from
    // a stream of their own, so adding a person does not reshuffle the generated history.
    let mut later = <StdRng as rand::SeedableRng>::seed_from_u64(0x5354_4146);
    for (i, &(username, name, role, region, group)) in STAFF.iter().enumerate() {
        let phone = if i < FIRST_RELEASE_STAFF { mobile(rng) } else { mobile(&mut later) };
        let input = UserInput {
            username: Some(username.into()),
            display_name: Some(name.into()),
            role: Some(role),
            email: Some(format!("{username}@service.example.cn")),
            phone: Some(phone),
            region: region.map(Into::into),
            group_id: group.and_then(group_id),
            ..UserInput::default()
        };
        let mut user = input.check()?;
        app.create_user_hashed(&mut user, Some(hash.clone())).await?;
        let i = org.actors.len();
        org.by_user.insert(user.id, i);
        org.by_name.insert(username, i);
        if let (Some(g), Some(r)) = (group, region) {
            let second_line = matches!(role, Role::SecondLineEngineer | Role::TechLead);
            org.engineers.push(Engineer { actor: i, user_id: user.id, group: g, region: r, second_line });
        }
        org.actors.push(Actor { user });
    }
    let admin = org.actors[org.staff("admin")?].clone();
    for c in app.categories(&admin).await? {
        let group = c.group_id.and_then(|g| groups.get(&g)).cloned().unwrap_or_default();
        org.categories.insert(c.code.clone(), (c.id, group, c.name_zh.clone()));
    }

    let mut serials = HashSet::new();
    let mut person = 0usize;
    for (n, &(name, short, region, level, profile, domain, has_window)) in CUSTOMERS.iter().enumerate() {
        let input = CustomerInput {
            name: Some(name.into()),
            short_name: Some(short.into()),
            region: Some(region.into()),
            level: Some(level.into()),
            ..CustomerInput::default()
        };
        let mut customer = app.create_customer(&admin, &input).await?;
        let departments = match profile {
            Profile::Office => DEPARTMENTS_OFFICE,
            Profile::Factory => DEPARTMENTS_FACTORY,
            Profile::Print => DEPARTMENTS_PRINT,
        };
        let mut contacts = Vec::new();
        let mut primary_pinyin = "";
        for k in 0..rng.random_range(2..4) {
            let (pinyin, person_name) = PEOPLE[person % PEOPLE.len()];
            person += 1;
            if k == 0 {
                primary_pinyin = pinyin;
            }
            let input = ContactInput {
                name: Some(person_name.into()),
                phone: Some(mobile(rng)),
                email: Some(format!("{pinyin}{}@{domain}", k + 1)),
                department: Some(departments[k % departments.len()].into()),
                // Some foreign-invested customers' second contact reads English.
                lang: (k == 1 && n % 5 == 4).then_some(aftersales_domain::Lang::En),
            };
            let contact = app.create_contact(&admin, customer.id, &input).await?;
            contacts.push((contact.id, contact.name));
        }
        let specialist = org.staff(match region {
            "华东" => "specialist1",
            "华南" => "specialist2",
            _ => "specialist3",
        })?;
        customer.specialist_id = Some(org.actors[specialist].user.id);
        customer.window_contact_id = has_window.then_some(contacts[0].0);
        let input = CustomerInput {
            name: Some(customer.name.clone()),
            short_name: Some(customer.short_name.clone()),
            region: Some(customer.region.clone()),
            level: Some(customer.level.clone()),
            window_contact_id: customer.window_contact_id,
            specialist_id: customer.specialist_id,
            calendar: customer.calendar.clone(),
        };
        app.update_customer(&admin, customer.id, &input).await?;
        let input = UserInput {
            username: Some(format!("c{:02}.{primary_pinyin}", n + 1)),
            display_name: Some(contacts[0].1.clone()),
            role: Some(Role::CustomerContact),
            email: Some(format!("{primary_pinyin}1@{domain}")),
            customer_id: Some(customer.id),
            contact_id: Some(contacts[0].0),
            ..UserInput::default()
        };
        let mut user = input.check()?;
        app.create_user_hashed(&mut user, Some(hash.clone())).await?;
        let user_actor = org.actors.len();
        org.by_user.insert(user.id, user_actor);
        org.actors.push(Actor { user });

        let families: Vec<Family> = match profile {
            Profile::Office => {
                let mut f = vec![Family::Mfp, Family::Mfp, Family::Printer];
                if rng.random_bool(0.5) {
                    f.push(Family::Printer);
                }
                f
            }
            Profile::Factory => {
                let mut f = vec![Family::Mfp, Family::Plc, Family::Cnc];
                if rng.random_bool(0.5) {
                    f.push(Family::Label);
                }
                if rng.random_bool(0.5) {
                    f.push(if rng.random_bool(0.5) { Family::Plc } else { Family::Cnc });
                }
                f
            }
            Profile::Print => vec![Family::Wide, Family::Wide, Family::Mfp, Family::Printer],
        };
        let mut devices = Vec::new();
        let today = cal.day(now);
        for family in families {
            let models: Vec<_> = MODELS.iter().filter(|m| m.1 == family).collect();
            let &&(model, _, consumable, prefix) = pick(rng, &models);
            let location = *match (profile, family) {
                (Profile::Factory, Family::Plc | Family::Cnc) => pick(rng, LOCATIONS_LINE),
                (_, Family::Label) => pick(rng, LOCATIONS_WAREHOUSE),
                (Profile::Factory, _) => pick(rng, LOCATIONS_PLANT_OFFICE),
                (Profile::Print, _) => pick(rng, LOCATIONS_PRINT),
                _ => pick(rng, LOCATIONS_OFFICE),
            };
            let serial = loop {
                let s = format!("{prefix}{:07}", rng.random_range(0..10_000_000u32));
                if serials.insert(s.clone()) {
                    break s;
                }
            };
            let bought = today - rng.random_range(150..1800);
            let warranty_years = rng.random_range(1..4);
            let input = DeviceInput {
                customer_id: Some(customer.id),
                model: Some(model.into()),
                serial: Some(serial),
                location: Some(location.into()),
                purchase_date: Some(civil_date(bought)?),
                warranty_end: Some(civil_date(bought + 365 * warranty_years)?),
                consumable_model: consumable.map(Into::into),
            };
            let d = app.create_device(&admin, &input).await?;
            devices.push(Dev { id: d.id, family, location });
        }
        org.customers.push(Cust {
            id: customer.id,
            level,
            region,
            profile,
            contacts,
            has_window,
            user: user_actor,
            specialist,
            devices,
        });
    }
    Ok(org)
}

/// The civil date of day number `day` (days since 1970-01-01).
fn civil_date(day: i64) -> Result<Date> {
    let epoch = Date::new(1970, 1, 1).map_err(|e| demo_error(e.to_string()))?;
    epoch.checked_add(jiff::Span::new().days(day)).map_err(|e| demo_error(e.to_string()))
}
