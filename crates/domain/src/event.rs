//! Ticket history (DESIGN: every change is an event — who, when, what, before → after).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ticket::Ticket;
use crate::{Id, Timestamp};

/// One field's change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Change {
    pub field: String,
    pub before: Value,
    pub after: Value,
}

impl Change {
    /// A field that had no value before (a marker such as the kind of a log entry or notice).
    pub fn added(field: &str, after: impl Into<Value>) -> Change {
        Change { field: field.into(), before: Value::Null, after: after.into() }
    }
}

/// One entry of a ticket's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    pub id: Id,
    pub ticket_id: Id,
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub at: Timestamp,
    pub actor_id: Id,
    /// What happened: `register`, `edit`, a lifecycle step code (`accept`, `dispatch`, …),
    /// `priority_change_requested`, `priority_change_approved`, `priority_change_rejected`,
    /// `repeat_flagged`, `log_added`.
    pub action: String,
    pub changes: Vec<Change>,
    /// The reason or text given with the action, if any.
    pub note: Option<String>,
}

/// Fields that change with every write and say nothing on their own.
const BOOKKEEPING: &[&str] = &["version", "updated_at"];

/// The fields that differ between two states of a ticket, by field name.
pub fn diff(before: &Ticket, after: &Ticket) -> Vec<Change> {
    let (Ok(Value::Object(b)), Ok(Value::Object(a))) = (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return Vec::new();
    };
    a.iter()
        .filter(|(k, _)| !BOOKKEEPING.contains(&k.as_str()))
        .filter_map(|(k, av)| {
            let bv = b.get(k).cloned().unwrap_or(Value::Null);
            (bv != *av).then(|| Change { field: k.clone(), before: bv, after: av.clone() })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ticket::tests_support::ticket;

    #[test]
    fn diff_lists_only_changed_fields() {
        let before = ticket();
        let mut after = before.clone();
        after.accept(9, "2024-03-15T02:00:00Z".parse().expect("ts")).expect("accept");
        after.version += 1;
        let fields: Vec<_> = diff(&before, &after).into_iter().map(|c| c.field).collect();
        assert_eq!(fields, vec!["accepted_at", "accepted_by", "status"]);
    }
}
