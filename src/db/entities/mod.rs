//! sea-orm entities, one per table. Queries on them live in the repositories next door.

pub mod account;
pub mod api_token;
pub mod audit_event;
pub mod availability;
pub mod availability_history;
pub mod directory_import;
pub mod directory_user;
pub mod group_sync;
pub mod invite;
pub mod notice;
pub mod provider_config;
pub mod scheduler_instance;
pub mod session;
pub mod sync_run;
pub mod sync_state;
pub mod tenant;
pub mod webhook_delivery;
pub mod webhook_endpoint;
