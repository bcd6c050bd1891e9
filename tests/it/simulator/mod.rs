//! The Microsoft 365 simulator, driven over HTTP exactly as calbridge's Graph client drives it.

mod batch;
mod calendar_view;
mod control;
mod faults;
mod get_schedule;
mod groups;
mod shapes;
mod throttling;
mod token;
