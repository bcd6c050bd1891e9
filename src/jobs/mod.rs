//! Background work: the sync scheduler, the transition timer and housekeeping.

pub mod scheduler;
mod single_instance;

pub use scheduler::{Scheduler, SchedulerOptions};
