//! Validated value types shared by every layer.

pub mod calendar;
pub mod email;
pub mod locale;
pub mod password;
pub mod provider;
pub mod role;
pub mod tenant;
pub mod timezone;

pub use email::Email;
pub use locale::Locale;
pub use role::Role;
