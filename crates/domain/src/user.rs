//! People who sign in: staff with a role (DOMAIN §1), and customer contacts tied to
//! their organization.

use serde::{Deserialize, Serialize};

use crate::Id;
use crate::customer::finish;
use crate::error::text;
use crate::error::{Conflict, DomainError, Reason};
use crate::role::Role;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: Id,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// 地域 served (engineers: dispatch suggests same-region engineers first).
    pub region: Option<String>,
    /// Handling group (engineers).
    pub group_id: Option<Id>,
    /// For customer contacts: their organization and contact record.
    pub customer_id: Option<Id>,
    pub contact_id: Option<Id>,
    pub active: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    pub username: Option<String>,
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub region: Option<String>,
    pub group_id: Option<Id>,
    pub customer_id: Option<Id>,
    pub contact_id: Option<Id>,
    /// At least 8 characters; omitted means the user signs in with API tokens only.
    pub password: Option<String>,
}

impl UserInput {
    pub fn check(&self) -> Result<User, DomainError> {
        let mut p = Vec::new();
        let username = text(&mut p, "username", self.username.as_deref(), 40, true);
        if let Some(u) = &username
            && !u.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            p.push((
                "username",
                Reason::Malformed { expected_en: "letters, digits and . _ -", expected_zh: "字母、数字及 . _ -" },
            ));
        }
        let display_name = text(&mut p, "display_name", self.display_name.as_deref(), 50, true);
        if self.role.is_none() {
            p.push(("role", Reason::Missing));
        }
        if self.role == Some(Role::CustomerContact) && self.customer_id.is_none() {
            p.push(("customer_id", Reason::Missing));
        }
        if self.role.is_some_and(|r| r != Role::CustomerContact) && self.customer_id.is_some() {
            p.push((
                "customer_id",
                Reason::Mismatch {
                    detail_en: "is only for customer contacts",
                    detail_zh: "仅客户联系人可关联客户单位",
                },
            ));
        }
        if let Some(pw) = &self.password
            && pw.chars().count() < 8
        {
            p.push((
                "password",
                Reason::Malformed { expected_en: "at least 8 characters", expected_zh: "至少 8 个字符" },
            ));
        }
        let email = text(&mut p, "email", self.email.as_deref(), 100, false);
        let phone = text(&mut p, "phone", self.phone.as_deref(), 30, false);
        let region = text(&mut p, "region", self.region.as_deref(), 20, false);
        finish(p, || User {
            id: 0,
            username: username.unwrap_or_default().to_lowercase(),
            display_name: display_name.unwrap_or_default(),
            role: self.role.unwrap_or(Role::DeskAgent),
            email,
            phone,
            region,
            group_id: self.group_id,
            customer_id: self.customer_id,
            contact_id: self.contact_id,
            active: true,
        })
    }
}

/// Changes to an existing user (`PATCH /api/v1/users/{id}`, the administrator's edit page).
/// A field that is absent stays as it is; `null` (or, for text, an empty string) clears an
/// optional field. The username never changes: people sign in with it and events name it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub region: Option<Option<String>>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub group_id: Option<Option<Id>>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub customer_id: Option<Option<Id>>,
    #[serde(default, deserialize_with = "present", skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<i64>))]
    pub contact_id: Option<Option<Id>>,
    /// `false` deactivates the account: its sessions end and its API tokens stop working
    /// (they work again if it is reactivated). Nobody may deactivate themself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
}

/// A field that is present, even as `null`, is `Some(value)`; an absent one stays `None`
/// (through `#[serde(default)]`).
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

impl UserUpdate {
    /// `current` with these changes, checked as [`UserInput::check`] checks a new user.
    pub fn apply(&self, current: &User) -> Result<User, DomainError> {
        fn pick<T: Clone>(change: &Option<T>, now: &T) -> T {
            change.clone().unwrap_or_else(|| now.clone())
        }
        let input = UserInput {
            username: Some(current.username.clone()),
            display_name: Some(pick(&self.display_name, &current.display_name)),
            role: Some(self.role.unwrap_or(current.role)),
            email: pick(&self.email, &current.email),
            phone: pick(&self.phone, &current.phone),
            region: pick(&self.region, &current.region),
            group_id: pick(&self.group_id, &current.group_id),
            customer_id: pick(&self.customer_id, &current.customer_id),
            contact_id: pick(&self.contact_id, &current.contact_id),
            password: None,
        };
        let mut user = input.check()?;
        user.id = current.id;
        user.username = current.username.clone();
        user.active = self.active.unwrap_or(current.active);
        Ok(user)
    }
}

/// Refuses a change an administrator makes to their own account that would lock them out:
/// deactivating themself, or giving up the administrator role (then nobody might be left
/// to undo it).
pub fn check_own_change(before: &User, after: &User) -> Result<(), DomainError> {
    if !after.active {
        return Err(Conflict::SelfDeactivation.into());
    }
    if before.role == Role::Admin && after.role != Role::Admin {
        return Err(Conflict::SelfDemotion.into());
    }
    Ok(())
}

/// A portal account whose contact has left the customer cannot be active (DOMAIN §2: one who
/// left loses the portal): neither reactivated nor kept active by another change. Someone
/// who is back is marked so on the contact first.
pub fn check_contact_not_left(user: &User, contact_left: bool) -> Result<(), DomainError> {
    if user.active && contact_left {
        return Err(Conflict::ContactLeft.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engineer() -> User {
        UserInput {
            username: Some("eng.east".into()),
            display_name: Some("周工".into()),
            role: Some(Role::FirstLineEngineer),
            email: Some("zhou@example.com".into()),
            region: Some("华东".into()),
            group_id: Some(3),
            ..UserInput::default()
        }
        .check()
        .map(|mut u| {
            u.id = 7;
            u
        })
        .expect("user")
    }

    #[test]
    fn an_update_changes_what_it_names_and_clears_with_null() {
        let before = engineer();
        let patch: UserUpdate =
            serde_json::from_str(r#"{"region": "华南", "email": null, "active": false}"#).expect("json");
        let after = patch.apply(&before).expect("valid");
        assert_eq!(after.region.as_deref(), Some("华南"));
        assert_eq!(after.email, None);
        assert_eq!(after.group_id, Some(3), "absent stays");
        assert_eq!((after.id, after.username.as_str(), after.active), (7, "eng.east", false));
        let err = UserUpdate { display_name: Some(" ".into()), ..UserUpdate::default() }.apply(&before);
        assert_eq!(err.expect_err("empty name").fields(crate::Lang::En)[0].0, "display_name");
        let contact = UserUpdate { role: Some(Role::CustomerContact), ..UserUpdate::default() }.apply(&before);
        assert_eq!(contact.expect_err("no customer").fields(crate::Lang::En)[0].0, "customer_id");
        assert!(serde_json::from_str::<UserUpdate>(r#"{"username": "x"}"#).is_err(), "the username stays");
    }

    #[test]
    fn nobody_locks_themself_out() {
        let mut admin = engineer();
        admin.role = Role::Admin;
        let off = User { active: false, ..admin.clone() };
        assert_eq!(check_own_change(&admin, &off).map_err(|e| e.code()), Err("self_lockout"));
        let demoted = User { role: Role::DeskAgent, ..admin.clone() };
        assert_eq!(check_own_change(&admin, &demoted).map_err(|e| e.code()), Err("self_lockout"));
        let renamed = User { display_name: "新名字".into(), ..admin.clone() };
        assert_eq!(check_own_change(&admin, &renamed), Ok(()));
    }

    #[test]
    fn an_account_of_a_contact_who_left_stays_inactive() {
        let portal = engineer();
        assert_eq!(check_contact_not_left(&portal, true).map_err(|e| e.code()), Err("contact_left"));
        assert_eq!(check_contact_not_left(&portal, false), Ok(()));
        let off = User { active: false, ..portal };
        assert_eq!(check_contact_not_left(&off, true), Ok(()));
    }
}
