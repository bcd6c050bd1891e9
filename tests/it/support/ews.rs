//! EWS providers pointed at the simulator's Exchange on-premises organisations.

use std::time::Duration;

use calbridge::clock::Clock;
use calbridge::domain::provider::{DetailLevel, EwsAuth};
use calbridge::providers::TimeWindow;
use calbridge::providers::ews::{EwsProvider, EwsSettings, EwsTunables};
use calbridge::simulator::{Scenario, Simulator, SimulatorHandle};
use chrono::{TimeZone, Utc};
use secrecy::SecretString;

pub const FJORDBY_USER: &str = "FJORDBY\\monitor";
pub const FJORDBY_PASSWORD: &str = "Kalender-2026!";
pub const HAVNEN_USER: &str = "svc-calendar@havnen.dk";
pub const HAVNEN_PASSWORD: &str = "Havn-basic-1";

pub fn scenario() -> Scenario {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fjordby-ews-scenario.toml");
    Scenario::from_toml_file(&path).expect("EWS scenario parses")
}

/// Fjordby's server: NTLM and Basic.
pub async fn start() -> SimulatorHandle {
    let mut scenario = scenario();
    scenario.tenants.retain(|t| t.name == "Fjordby Kommune");
    Simulator::start(scenario, "127.0.0.1:0").await.expect("simulator starts")
}

/// Havnens Revision's server, which offers Basic only.
pub async fn start_basic_only() -> SimulatorHandle {
    let mut scenario = scenario();
    scenario.tenants.retain(|t| t.name == "Havnens Revision");
    Simulator::start(scenario, "127.0.0.1:0").await.expect("simulator starts")
}

/// Production limits with short waits, so retry tests take milliseconds.
pub fn quick() -> EwsTunables {
    EwsTunables {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
        retry_base: Duration::from_millis(20),
        retry_cap: Duration::from_secs(10),
        ..EwsTunables::default()
    }
}

pub struct Login<'a> {
    pub username: &'a str,
    pub password: &'a str,
    pub auth: EwsAuth,
}

pub const FJORDBY: Login<'static> =
    Login { username: FJORDBY_USER, password: FJORDBY_PASSWORD, auth: EwsAuth::Auto };
pub const HAVNEN: Login<'static> =
    Login { username: HAVNEN_USER, password: HAVNEN_PASSWORD, auth: EwsAuth::Auto };

pub fn settings(sim: &SimulatorHandle, login: &Login<'_>, detail: DetailLevel) -> EwsSettings {
    EwsSettings {
        url: sim.ews_url(),
        username: login.username.into(),
        password: SecretString::from(login.password),
        auth: login.auth,
        ca_pem: Some(sim.ca_pem().to_owned()),
        detail,
        tunables: quick(),
        allow_private: true,
        clock: Clock::system(),
    }
}

pub fn provider(sim: &SimulatorHandle, login: &Login<'_>, detail: DetailLevel) -> EwsProvider {
    EwsProvider::new(settings(sim, login, detail)).expect("provider builds")
}

/// 36 hours from midnight UTC on 15 March 2030.
pub fn window() -> TimeWindow {
    let start = Utc.with_ymd_and_hms(2030, 3, 15, 0, 0, 0).unwrap();
    TimeWindow::new(start, start + chrono::Duration::hours(36)).unwrap()
}
