//! Registering a request (登记报修): the lookups and intake checks, the window, repeats.

use super::*;

/// A registration after its lookups and checks, before it is stored.
struct Prepared {
    r: Registration,
    customer: aftersales_domain::customer::Customer,
    device: Option<aftersales_domain::customer::Device>,
    category: Option<Category>,
    complaint_about: Option<Id>,
    checked: registration::Checked,
    window_confirmation: WindowConfirmation,
}

impl App {
    /// The bounds of `occurred_at` for a problem reported at `reported_at` on `device`: its
    /// purchase date starts in the service time zone.
    pub(crate) fn occurred_bounds(
        &self,
        reported_at: Timestamp,
        horizon_days: Option<i64>,
        device: Option<&aftersales_domain::customer::Device>,
    ) -> registration::OccurredBounds {
        let purchased = device
            .and_then(|d| d.purchase_date)
            .and_then(|day| day.to_zoned(self.settings.time_zone.clone()).ok())
            .map(|z| z.timestamp());
        registration::OccurredBounds { reported_at, horizon_days, purchased }
    }

    /// Looks up and checks a registration without storing it: the customer, contact, device,
    /// category and complained-about ticket it names, the form's rules (registration::check),
    /// and whether the window must confirm it (seed 004). Every problem is reported at once.
    async fn prepare(&self, actor: &Actor, input: &Registration, now: Timestamp) -> Result<Prepared> {
        let mut r = input.clone();
        let is_contact = actor.user.role == Role::CustomerContact;
        if is_contact {
            // A customer registers for their own organization, as themselves.
            let own = actor.user.customer_id;
            if r.customer_id.is_some() && r.customer_id != own {
                return Err(AppError::invalid("customer_id", Reason::Unknown));
            }
            r.customer_id = own;
            r.contact_id = actor.user.contact_id.or(r.contact_id);
        }
        // Directory lookups read reference data from the pool, outside the serialized write
        // section; foreign keys still refuse a row that vanished meanwhile.
        let conn = self.store.read();
        let mut problems: Vec<(Field, Reason)> = Vec::new();
        let customer = match r.customer_id {
            Some(id) => {
                let c = directory::customer_by_id(conn, id).await?;
                if c.is_none() {
                    problems.push(("customer_id", Reason::Unknown));
                }
                c
            }
            None => None,
        };
        if let Some(cid) = r.contact_id {
            match directory::contact_by_id(conn, cid).await? {
                Some(k) if k.left && customer.as_ref().is_some_and(|c| c.id == k.customer_id) => problems.push((
                    "contact_id",
                    Reason::Mismatch {
                        detail_en: "has left the customer; take the caller's name and phone instead",
                        detail_zh: "已离职或调岗，请改为填写来电人姓名和电话",
                    },
                )),
                Some(k) if customer.as_ref().is_some_and(|c| c.id == k.customer_id) => {
                    r.contact_name = r.contact_name.filter(|n| !n.trim().is_empty()).or(Some(k.name));
                    r.contact_phone = r.contact_phone.filter(|p| !p.trim().is_empty()).or(Some(k.phone));
                }
                Some(_) if customer.is_some() => problems.push((
                    "contact_id",
                    Reason::Mismatch {
                        detail_en: "is a contact of another customer",
                        detail_zh: "不是该客户单位的联系人",
                    },
                )),
                Some(_) => {}
                None => problems.push(("contact_id", Reason::Unknown)),
            }
        }
        let device = match (r.device_id, r.device_serial.as_deref().map(str::trim).filter(|s| !s.is_empty())) {
            (Some(id), _) => {
                let d = directory::device_by_id(conn, id).await?;
                if d.is_none() {
                    problems.push(("device_id", Reason::Unknown));
                }
                d
            }
            (None, Some(serial)) => {
                let d = directory::device_by_serial(conn, serial).await?;
                if d.is_none() {
                    problems.push(("device_serial", Reason::Unknown));
                }
                d
            }
            (None, None) => None,
        };
        if let (Some(d), Some(c)) = (&device, &customer)
            && d.customer_id != c.id
        {
            let field = if r.device_id.is_some() { "device_id" } else { "device_serial" };
            // A customer contact is not told that the device exists elsewhere.
            problems.push(if is_contact {
                (field, Reason::Unknown)
            } else {
                (
                    field,
                    Reason::Mismatch {
                        detail_en: "belongs to another customer", detail_zh: "不属于该客户单位"
                    },
                )
            });
        }
        let category: Option<Category> = match r.category_id {
            Some(id) => match catalog::category_by_id(conn, id).await? {
                Some(c) if c.active => Some(c),
                _ => {
                    problems.push(("category_id", Reason::Unknown));
                    None
                }
            },
            None => None,
        };
        let complaint_about = match r.complaint_about.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(number) => match tickets::by_number(conn, number).await? {
                Some(t) if customer.as_ref().is_some_and(|c| c.id == t.customer_id) => Some(t.id),
                _ => {
                    problems.push(("complaint_about", Reason::Unknown));
                    None
                }
            },
            None => None,
        };
        let bounds = self.occurred_bounds(now, Some(self.settings.occurred_horizon_days), device.as_ref());
        let checked = match registration::check(&r, &bounds) {
            Ok(c) if problems.is_empty() => c,
            Ok(_) => return Err(DomainError::Invalid(problems).into()),
            Err(DomainError::Invalid(mut more)) => {
                // Report lookups and form problems together, without repeating a field.
                more.retain(|(f, _)| !problems.iter().any(|(p, _)| p == f));
                problems.extend(more);
                return Err(DomainError::Invalid(problems).into());
            }
            Err(e) => return Err(e.into()),
        };
        let Some(customer) = customer else { return Err(AppError::invalid("customer_id", Reason::Unknown)) };
        // DOMAIN §2 (seed 004): a request from anyone but the designated window waits for it.
        let window_confirmation = registration::window_confirmation(customer.window_contact_id, r.contact_id);
        Ok(Prepared { r, customer, device, category, complaint_about, checked, window_confirmation })
    }

    /// The earlier ticket a registration would repeat (DOMAIN §5: same device, same fault code
    /// or category, within the repeat window).
    async fn repeat_of<C: Conn>(&self, conn: &C, p: &Prepared, now: Timestamp) -> Result<Option<Id>> {
        let Some(d) = &p.device else { return Ok(None) };
        let window = self.settings.repeat_window_days;
        let since = now - jiff::SignedDuration::from_hours(24 * window);
        let priors = tickets::priors_for_device(conn, d.id, since).await?;
        // Every ticket read here was registered before this one, whatever its instant says:
        // another instance's clock may run a little ahead of this one's.
        let now = priors.iter().map(|p| p.registered_at).max().map_or(now, |m| m.max(now));
        Ok(repeat::find(p.checked.fault_code.as_deref(), p.r.category_id, now, window, &priors).map(|p| p.id))
    }

    /// What registering would do, without storing anything (the desk's check before submit):
    /// the form's problems as the usual field errors, else the device found, whether the
    /// caller is the customer's window, and the earlier ticket this would repeat.
    pub async fn check_registration(&self, actor: &Actor, input: &Registration) -> Result<RegistrationCheck> {
        actor.require(Action::RegisterTicket)?;
        let now = self.now();
        let p = self.prepare(actor, input, now).await?;
        let conn = self.store.read();
        let repeat_of = match self.repeat_of(conn, &p, now).await? {
            Some(id) => tickets::by_id(conn, id).await?.map(|t| RepeatHint {
                id: t.id,
                number: t.number.to_string(),
                status: t.status,
                registered_at: t.registered_at,
            }),
            None => None,
        };
        let window_contact = match p.customer.window_contact_id {
            Some(w) => directory::contact_by_id(conn, w).await?.map(|c| c.name),
            None => None,
        };
        let today = now.to_zoned(self.settings.time_zone.clone()).date();
        Ok(RegistrationCheck {
            warranty: p.device.as_ref().map(|d| d.warranty_on(today)),
            device: p.device,
            window_confirmation: p.window_confirmation,
            window_contact,
            repeat_of,
        })
    }

    /// 登记报修: registers a request after the intake checks of seed 000 template 1, and
    /// answers with the staff's view (a customer contact registers with
    /// `App::customer_register`).
    pub async fn register(
        &self,
        actor: &Actor,
        input: &Registration,
        idem: Option<&Idem>,
    ) -> Result<Outcome<TicketView>> {
        actor.require_staff(Action::RegisterTicket)?;
        match self.register_core(actor, input, idem).await? {
            Opened::Replayed { status, body } => Ok(Outcome::Replayed { status, body }),
            Opened::Fresh(tx, t) => {
                let t = self.view_of(present(actor, t)).await?;
                self.commit_with(tx, actor, idem, &t).await?;
                Ok(Outcome::Fresh(t))
            }
        }
    }

    /// Registration up to its commit: the ticket written in the open transaction, or the
    /// answer recorded under the same idempotency key.
    pub(crate) async fn register_core(
        &self,
        actor: &Actor,
        input: &Registration,
        idem: Option<&Idem>,
    ) -> Result<Opened<Ticket>> {
        actor.require(Action::RegisterTicket)?;
        let now = self.now();
        let is_contact = actor.user.role == Role::CustomerContact;
        let p = self.prepare(actor, input, now).await?;
        self.warm().await?;
        // Read before the write turn, which is serialized: the report facts' desk rules.
        let rules = self.desk_rules_in(self.store.read()).await?;
        let tx = self.store.write().await?;
        if let Some((status, body)) = self.replay(&tx, actor, idem).await? {
            return Ok(Opened::Replayed { status, body });
        }
        // DOMAIN §5 repeat report: same device, same fault code or category, within the window.
        // Registrations of one device take turns here, so that two at once on PostgreSQL
        // (several instances) cannot both miss each other and neither be flagged.
        if let Some(d) = &p.device {
            tickets::lock_device(&*tx, d.id).await?;
        }
        // The registration's instant is taken in its turn: one that waited here for another
        // is registered after it (and sees it as the earlier ticket).
        let now = self.now().max(now);
        let repeat_of = self.repeat_of(&*tx, &p, now).await?;
        let Prepared { r, customer, device, category, complaint_about, checked, window_confirmation } = p;
        let day = now.to_zoned(self.settings.time_zone.clone()).date();
        let seq = tickets::next_sequence(&*tx, &format!("{:04}{:02}{:02}", day.year(), day.month(), day.day())).await?;
        let mut t = Ticket::register(TicketNo::new(day, seq), checked, now, actor.id());
        t.contact_id = r.contact_id;
        t.channel = r.channel.unwrap_or(if is_contact { Channel::Portal } else { Channel::Phone });
        t.kind = r.kind.unwrap_or(Kind::Fault);
        t.category_id = category.as_ref().map(|c| c.id);
        t.group_id = category.as_ref().and_then(|c| c.group_id);
        if let Some(d) = &device {
            t.device_id = Some(d.id);
            t.device_model = Some(d.model.clone());
            t.device_serial = Some(d.serial.clone());
        }
        t.expected_by = r.expected_by;
        crate::work_orders::check_departments(&*tx, &r.cooperating_departments, &[]).await?;
        t.cooperating_departments = r.cooperating_departments.clone();
        t.window_confirmation = window_confirmation;
        t.complaint_about = complaint_about;
        if let Some(prior) = repeat_of {
            t.flag_repeat(prior);
        }
        t.id = tickets::insert(&*tx, &t).await?;
        self.record_warranty(&tx, &t, device.as_ref()).await?;
        self.record(&tx, &t, actor, "register", Vec::new(), None).await?;
        if let Some(prior) = repeat_of {
            let earlier = tickets::by_id(&*tx, prior).await?.map(|p| p.number.to_string()).unwrap_or_default();
            let specialist = match customer.specialist_id {
                Some(s) => users::user_by_id(&*tx, s).await?.map(|u| u.display_name),
                None => None,
            };
            let note = match specialist {
                Some(name) => format!("重复报修：与 {earlier} 为同一设备同类故障，已提请项目专员 {name} 处理"),
                None => format!("重复报修：与 {earlier} 为同一设备同类故障，客户未指定项目专员"),
            };
            self.record(&tx, &t, actor, "repeat_flagged", Vec::new(), Some(note)).await?;
            // DOMAIN §5: the project specialist is told at once.
            self.raise(&*tx, &t, &aftersales_domain::notice::on_repeat(&t, &earlier), now).await?;
        }
        // Issue 15: a registered ticket has its report facts from the start.
        self.settle_new_facts(&*tx, &t, &customer.region, &rules, repeat_of.is_some()).await?;
        Ok(Opened::Fresh(tx, t))
    }
}
