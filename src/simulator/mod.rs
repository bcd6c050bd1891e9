//! A Microsoft 365 simulator: the identity platform's token endpoint and the Graph calendar
//! endpoints calbridge uses, and Exchange Web Services for on-premises organisations, speaking
//! Microsoft's documented wire formats, with throttling, latency and fault injection. Used by tests, the demo and benchmarks; never by production.
//!
//! The scenario file and the control API are described in SIMULATOR.md.

pub mod batch;
pub mod calendar;
pub mod control;
pub mod counters;
pub mod ews;
pub mod faults;
pub mod graph;
pub mod scenario;
pub mod server;
pub mod state;
pub mod throttle;
pub mod tls;
pub mod token;

pub use calendar::Sensitivity;
pub use control::{SettingsPatch, SettingsView};
pub use counters::{CountersSnapshot, EwsTallies, Outcome};
pub use faults::{ActiveFault, EndpointKind, FaultEndpoint, FaultKind, FaultSpec, RetryAfter};
pub use scenario::{
    AppRole, BatchOrder, EventPatch, EventSpec, EwsAccess, EwsAuthScheme, EwsSpec, GroupSpec,
    MailboxSpec, RecurrenceSpec, Scenario, SimulatorSettings, TenantSpec, TimeInput,
    WorkingHoursSpec,
};
pub use server::{Simulator, SimulatorHandle, run_standalone};
pub use state::{ControlError, EventInfo, MailboxInfo, NewMailbox, TenantInfo};
pub use throttle::ConcurrencyRecord;
