//! Choosing the engineer (DOMAIN §1 dispatcher): same region first, then the fewest open
//! tickets in the group, first-line before second-line; and which group a dispatch picks.

use crate::Id;
use crate::role::Line;

/// An engineer who could take the ticket, with what dispatch weighs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(serde::Serialize, serde::Deserialize)]
pub struct Candidate {
    pub user_id: Id,
    pub display_name: String,
    pub region: Option<String>,
    pub line: Line,
    /// Open tickets this engineer currently holds in the group.
    pub open_tickets: i64,
}

/// The group a dispatch hands the ticket to (DOMAIN §2: categories map to groups): the one
/// the dispatcher names, else the category's, else the ticket's own, else (when an engineer
/// is named without a group) that engineer's group.
pub fn group_for(
    requested: Option<Id>,
    category_group: Option<Id>,
    ticket_group: Option<Id>,
    engineer_group: Option<Id>,
) -> Option<Id> {
    // DOMAIN §2: the category's handling group unless the dispatcher chooses another.
    requested.or(category_group).or(ticket_group).or(engineer_group)
}

/// Orders candidates best first for a customer in `region`; ties go to the lower id so the
/// suggestion is stable.
pub fn rank(candidates: &mut [Candidate], region: &str) {
    candidates
        .sort_by_key(|c| (c.region.as_deref() != Some(region), c.open_tickets, c.line == Line::Second, c.user_id));
}

/// The suggested engineer, if any candidate exists.
pub fn suggest(mut candidates: Vec<Candidate>, region: &str) -> Option<Candidate> {
    rank(&mut candidates, region);
    candidates.into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: Id, region: &str, line: Line, open: i64) -> Candidate {
        Candidate { user_id: id, display_name: format!("e{id}"), region: Some(region.into()), line, open_tickets: open }
    }

    #[test]
    fn same_region_beats_lower_load_which_beats_line() {
        let all = vec![
            c(1, "华南", Line::First, 0),
            c(2, "华东", Line::Second, 3),
            c(3, "华东", Line::First, 3),
            c(4, "华东", Line::First, 5),
        ];
        assert_eq!(suggest(all.clone(), "华东").map(|c| c.user_id), Some(3));
        assert_eq!(suggest(all, "华南").map(|c| c.user_id), Some(1));
        assert_eq!(
            suggest(vec![c(5, "华北", Line::Second, 1), c(6, "华北", Line::First, 2)], "华北").map(|c| c.user_id),
            Some(5)
        );
        assert_eq!(suggest(vec![], "华北"), None);
    }
}
