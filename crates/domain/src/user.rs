//! People who sign in: staff with a role (DOMAIN §1), and customer contacts tied to
//! their organization.

use serde::{Deserialize, Serialize};

use crate::Id;
use crate::customer::finish;
use crate::error::text;
use crate::error::{DomainError, Reason};
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
