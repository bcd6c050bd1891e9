//! Tests of the availability engine: table-driven cases, properties and DST days.

mod cases;
mod dst;
mod fixtures;
mod properties;
mod rules_serde;
