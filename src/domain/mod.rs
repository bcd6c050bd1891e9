//! Validated value types shared by every layer, and the states the database stores.

pub mod calendar;
pub mod email;
pub mod integration;
pub mod locale;
pub mod password;
pub mod presence;
pub mod provider;
pub mod role;
pub(crate) mod stored;
pub mod sync;
pub mod tenant;
pub mod timezone;

pub use email::Email;
pub use locale::Locale;
pub use presence::AvailabilityState;
pub use role::Role;
pub use stored::UnknownValue;
pub use sync::{ErrorCode, FailureReason, SyncOutcome};
