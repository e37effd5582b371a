//! Customers, contacts and devices. Customer contacts see only their own organization.

use aftersales_domain::customer::{Contact, ContactInput, Customer, CustomerInput, CustomerLevel, Device, DeviceInput};
use aftersales_domain::error::{Conflict, Reason};
use aftersales_domain::permission::{Action, sees_contact_phones};
use aftersales_domain::role::Role;
use aftersales_domain::{DomainError, Id, phone};
use aftersales_storage::{Conn, StorageError, directory, sessions, users};

use crate::users::Page;
use crate::{Actor, App, AppError, Result};

/// The one customer a customer contact may see; `None` for staff.
pub(crate) fn own_customer(actor: &Actor) -> Option<Id> {
    (actor.user.role == Role::CustomerContact).then_some(actor.user.customer_id.unwrap_or(-1))
}

/// A customer record as `actor` reads it: a contact reads their own organization without
/// the service organization's classification of it.
fn for_reader(actor: &Actor, c: Customer) -> Customer {
    if actor.is_customer() { aftersales_domain::customer_view::own_organization(c) } else { c }
}

fn visible(actor: &Actor, customer: Id) -> bool {
    own_customer(actor).is_none_or(|own| own == customer)
}

/// A contact as `actor` may see it: the phone masked for roles that do not call customers
/// (DOMAIN §8, as on tickets).
fn as_seen_by(actor: &Actor, mut k: Contact) -> Contact {
    if !sees_contact_phones(actor.user.role) && actor.user.contact_id != Some(k.id) {
        k.phone = phone::mask(&k.phone);
    }
    k
}

async fn check_customer_refs<C: Conn>(
    conn: &C,
    c: &Customer,
    problems: &mut Vec<(&'static str, Reason)>,
) -> Result<()> {
    if let Some(cal) = c.calendar.as_deref()
        && !aftersales_storage::policy::calendars(conn).await?.iter().any(|k| k.name == cal)
    {
        problems.push(("calendar", Reason::Unknown));
    }
    if !directory::levels(conn).await?.iter().any(|l| l.code == c.level) {
        problems.push(("level", Reason::Unknown));
    }
    if let Some(s) = c.specialist_id {
        match users::user_by_id(conn, s).await? {
            Some(u) if u.role == Role::ProjectSpecialist => {}
            Some(_) => problems.push((
                "specialist_id",
                Reason::Mismatch { detail_en: "is not a project specialist", detail_zh: "不是项目专员" },
            )),
            None => problems.push(("specialist_id", Reason::Unknown)),
        }
    }
    if let Some(w) = c.window_contact_id {
        match directory::contact_by_id(conn, w).await? {
            Some(k) if k.customer_id == c.id && k.left => problems.push((
                "window_contact_id",
                Reason::Mismatch { detail_en: "has left the customer", detail_zh: "已离开该客户单位" },
            )),
            Some(k) if k.customer_id == c.id => {}
            Some(_) => problems.push((
                "window_contact_id",
                Reason::Mismatch {
                    detail_en: "is a contact of another customer", detail_zh: "不是该客户单位的联系人"
                },
            )),
            None => problems.push(("window_contact_id", Reason::Unknown)),
        }
    }
    Ok(())
}

impl App {
    /// The customer levels (客户级别): the service organization's classification of its
    /// customers, never shown to a customer (DOMAIN §8).
    pub async fn customer_levels(&self, actor: &Actor) -> Result<Vec<CustomerLevel>> {
        actor.require_staff(Action::ReadDirectory)?;
        Ok(directory::levels(self.store.read()).await?)
    }

    pub async fn create_customer(&self, actor: &Actor, input: &CustomerInput) -> Result<Customer> {
        actor.require(Action::ManageDirectory)?;
        let mut c = input.check()?;
        if c.window_contact_id.is_some() {
            // The window is one of the customer's own contacts, which do not exist yet.
            return Err(DomainError::field(
                "window_contact_id",
                Reason::Mismatch {
                    detail_en: "can be set once the customer has contacts",
                    detail_zh: "请先添加联系人，再指定客户窗口",
                },
            )
            .into());
        }
        let tx = self.store.write().await?;
        let mut problems = Vec::new();
        check_customer_refs(&*tx, &c, &mut problems).await?;
        AppError::unless_invalid(problems)?;
        c.id = directory::insert_customer(&*tx, &c, self.now()).await?;
        tx.commit().await?;
        Ok(c)
    }

    /// Replaces a customer's fields (including its window contact and specialist).
    pub async fn update_customer(&self, actor: &Actor, id: Id, input: &CustomerInput) -> Result<Customer> {
        actor.require(Action::ManageDirectory)?;
        let mut c = input.check()?;
        c.id = id;
        let tx = self.store.write().await?;
        directory::customer_by_id(&*tx, id).await?.ok_or_else(|| AppError::not_found("customer", id))?;
        let mut problems = Vec::new();
        check_customer_refs(&*tx, &c, &mut problems).await?;
        AppError::unless_invalid(problems)?;
        directory::update_customer(&*tx, &c).await?;
        tx.commit().await?;
        Ok(c)
    }

    pub async fn get_customer(&self, actor: &Actor, id: Id) -> Result<Customer> {
        actor.require(Action::ReadDirectory)?;
        match directory::customer_by_id(self.store.read(), id).await? {
            Some(c) if visible(actor, c.id) => Ok(for_reader(actor, c)),
            _ => Err(AppError::not_found("customer", id)),
        }
    }

    /// The regions customers are in (for filters), sorted.
    pub async fn customer_regions(&self, actor: &Actor) -> Result<Vec<String>> {
        actor.require(Action::ReadDirectory)?;
        if own_customer(actor).is_some() {
            return Ok(Vec::new());
        }
        Ok(directory::customer_regions(self.store.read()).await?)
    }

    /// Customers by name, short name or a contact's phone (the registration form's search).
    pub async fn search_customers(&self, actor: &Actor, q: Option<&str>, page: Page) -> Result<(Vec<Customer>, u64)> {
        actor.require(Action::ReadDirectory)?;
        let phones = if aftersales_domain::permission::searches_phone_fragments(actor.user.role) {
            directory::PhoneMatch::Part
        } else {
            directory::PhoneMatch::Whole
        };
        let (found, total) =
            directory::search_customers(self.store.read(), q, phones, own_customer(actor), page.limit(), page.offset())
                .await?;
        Ok((found.into_iter().map(|c| for_reader(actor, c)).collect(), total))
    }

    pub async fn create_contact(&self, actor: &Actor, customer: Id, input: &ContactInput) -> Result<Contact> {
        actor.require(Action::ManageDirectory)?;
        let mut k = input.check(customer)?;
        let tx = self.store.write().await?;
        directory::customer_by_id(&*tx, customer).await?.ok_or_else(|| AppError::not_found("customer", customer))?;
        k.id = directory::insert_contact(&*tx, &k, self.now()).await?;
        tx.commit().await?;
        Ok(as_seen_by(actor, k))
    }

    /// Corrects a contact's name, phone, e-mail or department (it stays with its customer).
    pub async fn update_contact(&self, actor: &Actor, id: Id, input: &ContactInput) -> Result<Contact> {
        actor.require(Action::ManageDirectory)?;
        let tx = self.store.write().await?;
        let before = directory::contact_by_id(&*tx, id).await?.ok_or_else(|| AppError::not_found("contact", id))?;
        let mut k = input.check(before.customer_id)?;
        k.id = id;
        k.is_window = before.is_window;
        k.left = before.left;
        directory::update_contact(&*tx, &k).await?;
        tx.commit().await?;
        Ok(as_seen_by(actor, k))
    }

    /// Records that a contact has left the customer (离职 / 调岗), or is back. One who left
    /// stays on record for the history of their requests, cannot be the window (a window
    /// who leaves must be replaced first), and their portal accounts are deactivated with
    /// their sessions ended; coming back does not reactivate an account by itself.
    pub async fn set_contact_left(&self, actor: &Actor, id: Id, left: bool) -> Result<Contact> {
        actor.require(Action::ManageDirectory)?;
        let tx = self.store.write().await?;
        let mut k = directory::contact_by_id(&*tx, id).await?.ok_or_else(|| AppError::not_found("contact", id))?;
        if left && k.is_window {
            return Err(DomainError::from(Conflict::WindowLeaving).into());
        }
        directory::set_contact_left(&*tx, id, left.then(|| self.now())).await?;
        if left {
            // Links in mails they received no longer act for the customer.
            aftersales_storage::links::revoke(&*tx, None, Some(id), None, self.now()).await?;
            for user in users::users_of_contact(&*tx, id).await? {
                if let Some(mut u) = users::user_by_id(&*tx, user).await? {
                    u.active = false;
                    users::update_user(&*tx, &u).await?;
                    sessions::delete_sessions_of_user_except(&*tx, user, None).await?;
                }
            }
        }
        tx.commit().await?;
        k.left = left;
        Ok(as_seen_by(actor, k))
    }

    /// One contact (a customer contact sees only their own organization's; the phone is
    /// masked for roles that do not call customers).
    pub async fn contact(&self, actor: &Actor, id: Id) -> Result<Contact> {
        actor.require(Action::ReadDirectory)?;
        match directory::contact_by_id(self.store.read(), id).await? {
            Some(k) if visible(actor, k.customer_id) => Ok(as_seen_by(actor, k)),
            _ => Err(AppError::not_found("contact", id)),
        }
    }

    /// A customer's contacts, phones masked as for [`App::contact`].
    pub async fn contacts(&self, actor: &Actor, customer: Id) -> Result<Vec<Contact>> {
        let c = self.get_customer(actor, customer).await?;
        let list = directory::contacts_of(self.store.read(), &c).await?;
        Ok(list.into_iter().map(|k| as_seen_by(actor, k)).collect())
    }

    pub async fn create_device(&self, actor: &Actor, input: &DeviceInput) -> Result<Device> {
        actor.require(Action::ManageDirectory)?;
        let mut d = input.check()?;
        let tx = self.store.write().await?;
        if directory::customer_by_id(&*tx, d.customer_id).await?.is_none() {
            return Err(DomainError::field("customer_id", Reason::Unknown).into());
        }
        d.id = match directory::insert_device(&*tx, &d, self.now()).await {
            Ok(id) => id,
            Err(StorageError::Duplicate(_)) => return Err(DomainError::field("serial", Reason::Duplicate).into()),
            Err(e) => return Err(e.into()),
        };
        tx.commit().await?;
        Ok(d)
    }

    /// Corrects a device's model, serial number, location, dates or consumable model. A
    /// device stays with its customer (its tickets are that customer's).
    pub async fn update_device(&self, actor: &Actor, id: Id, input: &DeviceInput) -> Result<Device> {
        actor.require(Action::ManageDirectory)?;
        let tx = self.store.write().await?;
        let before = directory::device_by_id(&*tx, id).await?.ok_or_else(|| AppError::not_found("device", id))?;
        let input = DeviceInput { customer_id: input.customer_id.or(Some(before.customer_id)), ..input.clone() };
        let mut d = input.check()?;
        if d.customer_id != before.customer_id {
            return Err(DomainError::field(
                "customer_id",
                Reason::Mismatch {
                    detail_en: "cannot change: a device stays with its customer",
                    detail_zh: "不能更改：设备归属的客户单位不能变更",
                },
            )
            .into());
        }
        d.id = id;
        if directory::device_by_serial(&*tx, &d.serial).await?.is_some_and(|other| other.id != id) {
            return Err(DomainError::field("serial", Reason::Duplicate).into());
        }
        match directory::update_device(&*tx, &d).await {
            Ok(()) => {}
            Err(StorageError::Duplicate(_)) => return Err(DomainError::field("serial", Reason::Duplicate).into()),
            Err(e) => return Err(e.into()),
        }
        tx.commit().await?;
        Ok(d)
    }

    pub async fn get_device(&self, actor: &Actor, id: Id) -> Result<Device> {
        actor.require(Action::ReadDirectory)?;
        match directory::device_by_id(self.store.read(), id).await? {
            Some(d) if visible(actor, d.customer_id) => Ok(d),
            _ => Err(AppError::not_found("device", id)),
        }
    }

    /// Finds a device by serial number when the customer does not know the model (seed 000).
    pub async fn device_by_serial(&self, actor: &Actor, serial: &str) -> Result<Device> {
        actor.require(Action::ReadDirectory)?;
        match directory::device_by_serial(self.store.read(), serial).await? {
            Some(d) if visible(actor, d.customer_id) => Ok(d),
            _ => Err(AppError::not_found("device", serial)),
        }
    }

    pub async fn devices(
        &self,
        actor: &Actor,
        customer: Option<Id>,
        serial_prefix: Option<&str>,
        page: Page,
    ) -> Result<Vec<Device>> {
        actor.require(Action::ReadDirectory)?;
        let customer = match (own_customer(actor), customer) {
            (Some(own), Some(c)) if own != c => return Ok(Vec::new()),
            (Some(own), _) => Some(own),
            (None, c) => c,
        };
        Ok(directory::devices(self.store.read(), customer, serial_prefix, page.limit(), page.offset()).await?)
    }
}

/// Names to show beside ids on a page: people's display names and customers' short names.
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub users: std::collections::HashMap<Id, String>,
    pub customers: std::collections::HashMap<Id, String>,
}

impl Names {
    /// The person's display name; empty for none or unknown.
    pub fn user(&self, id: impl MaybeId) -> &str {
        id.maybe_id().and_then(|id| self.users.get(&id)).map_or("", String::as_str)
    }

    /// The customer's short name; empty for unknown or not visible.
    pub fn customer(&self, id: impl MaybeId) -> &str {
        id.maybe_id().and_then(|id| self.customers.get(&id)).map_or("", String::as_str)
    }
}

/// An id or none, however deeply borrowed (templates pass their arguments by reference).
pub trait MaybeId {
    fn maybe_id(&self) -> Option<Id>;
}

impl MaybeId for Id {
    fn maybe_id(&self) -> Option<Id> {
        Some(*self)
    }
}

impl MaybeId for Option<Id> {
    fn maybe_id(&self) -> Option<Id> {
        *self
    }
}

impl<T: MaybeId + ?Sized> MaybeId for &T {
    fn maybe_id(&self) -> Option<Id> {
        (**self).maybe_id()
    }
}

impl App {
    /// The display names of these people (anyone who may read tickets may see who works on
    /// them: the portal shows the engineer's name) and the short names of these customers
    /// (only the contact's own customer for a contact).
    pub async fn names(&self, actor: &Actor, user_ids: &[Id], customer_ids: &[Id]) -> Result<Names> {
        actor.require(Action::ReadTicket)?;
        let conn = self.store.read();
        let mut names = Names::default();
        // One read each for the users and the customers (a board of 50 rows names dozens).
        let mut ids = user_ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        for u in users::users_by_ids(conn, &ids).await? {
            names.users.insert(u.id, u.display_name);
        }
        let mut ids: Vec<Id> = customer_ids.iter().copied().filter(|id| visible(actor, *id)).collect();
        ids.sort_unstable();
        ids.dedup();
        for c in directory::customers_by_ids(conn, &ids).await? {
            names.customers.insert(c.id, c.short_name);
        }
        Ok(names)
    }
}
