//! The switchboard state of a person, as stored, shown and served.

use super::calendar::ShowAs;
use super::stored::stored_enum;

stored_enum! {
    /// The switchboard state.
    pub enum AvailabilityState {
        /// No shown item covers the instant, or the strongest one is shown as free.
        Free = "free",
        Busy = "busy",
        Tentative = "tentative",
        OutOfOffice = "out_of_office",
        WorkingElsewhere = "working_elsewhere",
        /// No data; reserved for callers, never produced by the availability engine.
        Unknown = "unknown",
    }
}

impl From<ShowAs> for AvailabilityState {
    fn from(show_as: ShowAs) -> Self {
        match show_as {
            ShowAs::Free => AvailabilityState::Free,
            ShowAs::Tentative => AvailabilityState::Tentative,
            ShowAs::Busy => AvailabilityState::Busy,
            ShowAs::Oof => AvailabilityState::OutOfOffice,
            ShowAs::WorkingElsewhere => AvailabilityState::WorkingElsewhere,
            ShowAs::Unknown => AvailabilityState::Unknown,
        }
    }
}
