//! Calendars in, availability out: syncs, transitions, leases and presence, end to end
//! against the Microsoft 365 simulator.

mod cadence;
mod groups;
mod leases;
mod outages;
mod pages;
mod presence;
mod sync;
mod transitions;
