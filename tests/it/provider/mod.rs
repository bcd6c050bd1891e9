//! The Graph calendar provider against the Microsoft 365 simulator.

mod contract;
mod ews;
mod ews_contract;
mod free_busy;
mod full;
mod groups;
mod limits;
mod retries;
mod secrets;
mod token;
