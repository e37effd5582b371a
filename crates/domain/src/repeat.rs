//! Repeat report (重复报修, DOMAIN §5): the same device with the same fault again within a
//! configurable window is flagged, linked to the earlier ticket, and put before the
//! project specialist at once.

use crate::ticket::Status;
use crate::{Id, Timestamp};

/// Default window in days when the configuration does not set one.
pub const DEFAULT_WINDOW_DAYS: i64 = 30;

/// An earlier ticket of the same device, as the rule needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prior {
    pub id: Id,
    pub fault_code: Option<String>,
    pub category_id: Option<Id>,
    pub registered_at: Timestamp,
    pub status: Status,
}

fn same_code(a: Option<&str>, b: Option<&str>) -> bool {
    match (a.map(str::trim), b.map(str::trim)) {
        (Some(a), Some(b)) => !a.is_empty() && a.eq_ignore_ascii_case(b),
        _ => false,
    }
}

/// The most recent earlier ticket of the same device that this report repeats: same fault
/// code or same category, registered within `window_days` before `now`, not cancelled.
pub fn find<'a>(
    fault_code: Option<&str>,
    category_id: Option<Id>,
    now: Timestamp,
    window_days: i64,
    priors: &'a [Prior],
) -> Option<&'a Prior> {
    let since = now - jiff::SignedDuration::from_hours(24 * window_days);
    priors
        .iter()
        .filter(|p| p.status != Status::Cancelled && p.registered_at >= since && p.registered_at <= now)
        .filter(|p| {
            same_code(fault_code, p.fault_code.as_deref()) || (category_id.is_some() && category_id == p.category_id)
        })
        .max_by_key(|p| (p.registered_at, p.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(id: Id, code: Option<&str>, cat: Option<Id>, at: &str, status: Status) -> Prior {
        Prior { id, fault_code: code.map(Into::into), category_id: cat, registered_at: at.parse().expect("ts"), status }
    }

    #[test]
    fn same_code_or_category_within_the_window_is_a_repeat() {
        let now: Timestamp = "2024-03-31T00:00:00Z".parse().expect("ts");
        let priors = vec![
            p(1, Some("E02"), None, "2024-03-01T00:00:00Z", Status::Closed),
            p(2, Some("E05"), Some(7), "2024-03-20T00:00:00Z", Status::Closed),
            p(3, Some("e02"), None, "2024-02-01T00:00:00Z", Status::Closed),
            p(4, Some("E02"), None, "2024-03-25T00:00:00Z", Status::Cancelled),
        ];
        assert_eq!(find(Some("E02"), None, now, 30, &priors).map(|p| p.id), Some(1));
        assert_eq!(find(Some("E09"), Some(7), now, 30, &priors).map(|p| p.id), Some(2));
        assert_eq!(find(Some("E02"), None, now, 10, &priors).map(|p| p.id), None);
        assert_eq!(find(None, None, now, 90, &priors), None);
        assert_eq!(find(Some("e02"), None, now, 90, &priors).map(|p| p.id), Some(1));
    }
}
