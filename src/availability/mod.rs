//! Switchboard availability from calendar items: a pure function of the tenant's rules, the
//! person's calendar items and the current instant. No I/O, no clock reads, no panics.
//!
//! - [`evaluate`] answers "is this person available now, until when, and what may the
//!   receptionist see?".
//! - [`day_timeline`] cuts a local day into segments of constant availability for the rules
//!   preview page, by repeatedly asking [`evaluate`].
//! - [`AvailabilityRules`] is the per-tenant configuration, stored as JSON.

mod engine;
mod output;
mod rules;
mod timeline;

#[cfg(test)]
mod tests;

pub use engine::evaluate;
pub use output::{
    AppliedRule, Availability, AvailabilityState, ExplainedItem, Explanation, VisibleAppointment,
};
pub use rules::{AvailabilityRules, ShowAsRule};
pub use timeline::{TimelineSegment, day_timeline, local_day_bounds};
