//! Pure rules of the after-sales service desk (DOMAIN.md §1–§3, §6).
//!
//! Nothing here does I/O, is async, or knows about a database: the `app` crate loads
//! state, asks these rules what may happen, and stores what they decided. Each module is
//! named after the thing in DOMAIN.md it holds, so `grading` holds §3, `lifecycle` the
//! ticket state machine, `registration` the intake checks of seed 000 template 1.

pub mod attachment;
pub mod audience;
pub mod calendar;
pub mod callback;
pub mod catalog;
pub mod clock;
pub mod customer;
pub mod customer_link;
pub mod customer_view;
pub mod dispatch;
pub mod error;
pub mod event;
pub mod fee;
pub mod grading;
pub mod lang;
pub mod lifecycle;
pub mod notice;
pub mod parts;
pub mod permission;
pub mod phone;
pub mod qualification;
pub mod registration;
pub mod repeat;
pub mod reporting;
pub mod role;
pub mod service_report;
pub mod session;
pub mod subscription;
pub mod text;
pub mod ticket;
pub mod ticket_no;
pub mod user;
pub mod visit;
pub mod work_order;
pub mod working_calendar;
pub mod worklog;

pub use error::{DomainError, Field};
pub use lang::Lang;

/// Instants are UTC timestamps; the service time zone decides civil dates (ticket numbers).
pub type Timestamp = jiff::Timestamp;

/// Identifier of any stored record.
pub type Id = i64;

/// Declares a closed set of string-coded values with Chinese and English labels.
///
/// Codes are the API and database spelling; labels are what people read (DOMAIN.md terms).
#[macro_export]
macro_rules! coded_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = ($code:literal, $zh:literal, $en:literal) ),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $code)] $variant ),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable code used in the API and the database.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            /// The label people read, in their language.
            pub fn label(self, lang: $crate::Lang) -> &'static str {
                match (self, lang) {
                    $( ($name::$variant, $crate::Lang::Zh) => $zh, ($name::$variant, $crate::Lang::En) => $en, )+
                }
            }

            /// Parses a code; `None` when it is not one of [`Self::ALL`].
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}
