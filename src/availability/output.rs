//! What the engine tells the switchboard and the portal.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::domain::AvailabilityState;
use crate::domain::calendar::ShowAs;

/// Someone's availability at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Availability {
    /// False iff a shown item covering the instant makes the person unavailable.
    pub available: bool,
    /// Decided by the strongest shown item covering the instant.
    pub state: AvailabilityState,
    /// When unavailable: the end of the merged unavailable block, i.e. when the person is really
    /// free again. When available: the start of the next unavailable block, if any.
    pub until: Option<DateTime<Utc>>,
    /// The earliest instant strictly after the evaluated one at which `available`, `state`,
    /// `until` or `appointment` changes; `None` if they never change within the given items.
    pub next_change_at: Option<DateTime<Utc>>,
    /// What the receptionist may see of the strongest shown item covering the instant.
    pub appointment: Option<VisibleAppointment>,
    /// Which item and rule produced this result.
    pub explanation: Explanation,
}

impl Availability {
    /// For callers that have no calendar data for a person (e.g. never synchronised). The engine
    /// never produces this: it needs items to say anything.
    pub fn unknown() -> Availability {
        Availability {
            available: true,
            state: AvailabilityState::Unknown,
            until: None,
            next_change_at: None,
            appointment: None,
            explanation: Explanation::NoCalendarData,
        }
    }

    /// Whether `self` and `other` say the same to the receptionist: `available`, `state`,
    /// `until` and `appointment`. This is the comparison `next_change_at` is defined by.
    pub fn same_outcome(&self, other: &Availability) -> bool {
        self.available == other.available
            && self.state == other.state
            && self.until == other.until
            && self.appointment == other.appointment
    }
}

/// An appointment as the receptionist may see it.
///
/// For a private appointment `private` is true and subject and location are always `None`
/// ("Private appointment"). They are also `None` when the tenant switched them off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisibleAppointment {
    /// Subject, if the tenant shows subjects and the item is not private.
    pub subject: Option<String>,
    /// Location, if the tenant shows locations and the item is not private.
    pub location: Option<String>,
    /// The item is private.
    pub private: bool,
    /// Start of the item.
    pub start: DateTime<Utc>,
    /// End of the item (exclusive).
    pub end: DateTime<Utc>,
    /// The item's show-as.
    pub show_as: ShowAs,
    /// The item is an all-day item.
    pub all_day: bool,
}

/// Why the engine produced its result, as data for the portal to render in any language.
///
/// It carries no subject or location, so it is safe for private items. It depends only on
/// `available`, `state`, `until` and `appointment`, so it changes no more often than they do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Explanation {
    /// The caller had no calendar data ([`Availability::unknown`]).
    NoCalendarData,
    /// No shown item covers the instant: free, and available.
    NoShownItemCoversNow,
    /// The strongest shown item covering the instant decides the state and its rule makes the
    /// person unavailable.
    ShownItemMakesUnavailable {
        /// The deciding item.
        item: ExplainedItem,
        /// The rule applied to it.
        rule: AppliedRule,
    },
    /// The strongest shown item covering the instant decides the state, and neither its rule nor
    /// that of any other covering item makes the person unavailable.
    ShownItemKeepsAvailable {
        /// The deciding item.
        item: ExplainedItem,
        /// The rule applied to it.
        rule: AppliedRule,
    },
    /// The strongest shown item decides the state but its rule keeps the person available; a
    /// weaker shown item covering the instant makes them unavailable (e.g. out of office is
    /// shown but not unavailable, and there is a busy meeting at the same time).
    OverlappingItemMakesUnavailable {
        /// The deciding item.
        item: ExplainedItem,
        /// The rule applied to it.
        rule: AppliedRule,
    },
}

/// The item an explanation refers to, without subject or location.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExplainedItem {
    /// Start of the item.
    pub start: DateTime<Utc>,
    /// End of the item (exclusive).
    pub end: DateTime<Utc>,
    /// The item's show-as.
    pub show_as: ShowAs,
    /// The item is private.
    pub private: bool,
    /// The item is an all-day item.
    pub all_day: bool,
}

/// The show-as rule that was applied, after normalisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedRule {
    /// The show-as value whose rule applied.
    pub show_as: ShowAs,
    /// Items with this show-as are shown (always true for a deciding item).
    pub shown: bool,
    /// Items with this show-as make the person unavailable.
    pub makes_unavailable: bool,
}
