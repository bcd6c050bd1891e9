//! `calbridge demo`: portal, scheduler and the Microsoft 365 simulator in one process, on a
//! fresh database in a temporary folder, with a seeded tenant to look at.

mod people;

use std::net::SocketAddr;

use anyhow::Context;
use secrecy::SecretString;
use uuid::Uuid;

use crate::clock::Clock;
use crate::config::{Config, DatabaseTarget};
use crate::jobs::{Scheduler, SchedulerOptions};
use crate::secrets::MasterKey;
use crate::services::credentials::GraphInput;
use crate::services::directory::UserInput;
use crate::services::tenants::TenantInput;
use crate::services::{self, Actor, AppState};
use crate::simulator::scenario::{EwsAuthScheme, EwsSpec};
use crate::simulator::{AppRole, Scenario, Simulator, SimulatorHandle, TenantSpec};
use crate::startup::{Application, build_state};

pub const OPERATOR: &str = "operator@calbridge.demo";
pub const ADMIN: &str = "it@nordlys-radgivning.dk";
pub const RECEPTIONIST: &str = "reception@nordlys-radgivning.dk";
/// One password for every demo login; it only ever guards a throwaway database.
pub const PASSWORD: &str = "demo-kalender-2026";

/// The second company's admin, who connects Microsoft 365 in the portal.
pub const NEWCOMER_ADMIN: &str = "it@fjordvej-tandlaeger.dk";
/// What that admin copies from "their" app registration in the simulated Entra.
pub const NEWCOMER_DIRECTORY_ID: &str = "2b7e4c1a-8d3f-4e6b-9a0c-5f1d2e3c4b5a";
pub const NEWCOMER_CLIENT_ID: &str = "9c8d7e6f-5a4b-4c3d-8e2f-1a0b9c8d7e6f";
pub const NEWCOMER_SECRET: &str = "Fj8Q~demo.newcomer_secret.value";

/// The third company's Exchange on-premises: its Monitor account as the script creates it.
pub const ONPREM_ADMIN: &str = "it@fjordby.dk";
pub const ONPREM_MONITOR: &str = "FJORDBY\\calbridge-monitor";
const ONPREM_MONITOR_PASSWORD: &str = "Fjordby-Monitor-2026!";
const ONPREM_DIRECTORY_ID: &str = "4d9e8f7a-6b5c-4a3d-9e2f-1b0c9d8e7f6a";
const ONPREM_CLIENT_ID: &str = "1e2d3c4b-5a69-4788-9a0b-c1d2e3f4a5b6";

const DIRECTORY_ID: &str = "6f1c2d3e-4a5b-4c6d-8e7f-90a1b2c3d4e5";
const CLIENT_ID: &str = "3b2a1c0d-9e8f-4a7b-8c6d-5e4f3a2b1c0d";
const CLIENT_SECRET: &str = "Dq8Q~demo.secret_for.the-simulator";

/// The running demo; dropping it deletes the temporary folder.
pub struct Demo {
    pub portal: Application,
    pub scheduler: Scheduler,
    pub simulator: SimulatorHandle,
    pub tenant: Uuid,
    /// An API token of the demo company, for trying the API.
    pub api_token: String,
    dir: tempfile::TempDir,
}

fn scenario() -> anyhow::Result<Scenario> {
    Ok(Scenario {
        simulator: Default::default(),
        tenants: vec![
            TenantSpec {
                name: "Nordlys Rådgivning A/S".into(),
                directory_id: DIRECTORY_ID.parse()?,
                domains: vec![people::DOMAIN.into()],
                client_id: CLIENT_ID.parse()?,
                client_secret: CLIENT_SECRET.into(),
                secret_expires: None,
                role: AppRole::CalendarsRead,
                mailboxes: people::mailboxes(),
                group_member_read: false,
                groups: Vec::new(),
                ews: None,
            },
            TenantSpec {
                name: "Fjordvej Tandlæger ApS".into(),
                directory_id: NEWCOMER_DIRECTORY_ID.parse()?,
                domains: vec![people::NEWCOMER_DOMAIN.into()],
                client_id: NEWCOMER_CLIENT_ID.parse()?,
                client_secret: NEWCOMER_SECRET.into(),
                secret_expires: None,
                role: AppRole::CalendarsRead,
                mailboxes: people::newcomer_mailboxes(),
                group_member_read: true,
                groups: people::newcomer_groups(),
                ews: None,
            },
            TenantSpec {
                name: "Fjordby Kommune".into(),
                directory_id: ONPREM_DIRECTORY_ID.parse()?,
                domains: vec![people::ONPREM_DOMAIN.into()],
                client_id: ONPREM_CLIENT_ID.parse()?,
                client_secret: "not used: Exchange on-premises is reached through EWS".into(),
                secret_expires: None,
                role: AppRole::None,
                mailboxes: people::onprem_mailboxes(),
                group_member_read: false,
                groups: Vec::new(),
                ews: Some(EwsSpec {
                    username: ONPREM_MONITOR.into(),
                    password: ONPREM_MONITOR_PASSWORD.into(),
                    auth: vec![EwsAuthScheme::Ntlm, EwsAuthScheme::Basic],
                }),
            },
        ],
        faults: Vec::new(),
    })
}

/// Starts everything and seeds the demo tenant; `bind` is the portal's address.
pub async fn start(bind: SocketAddr) -> anyhow::Result<Demo> {
    let dir = tempfile::Builder::new()
        .prefix("calbridge-demo-")
        .tempdir()
        .context("creating a temporary folder")?;
    let simulator = Simulator::start(scenario()?, "127.0.0.1:0").await?;
    let mut config = Config::from_lookup(|_| None)?;
    config.bind = bind;
    config.database = DatabaseTarget::Sqlite(dir.path().join("calbridge.db"));
    config.master_key = Some(MasterKey::generate().to_base64());
    config.ms_login_url = simulator.base_url().parse()?;
    config.ms_graph_url = simulator.base_url().parse()?;
    config.sync_interval = std::time::Duration::from_secs(30);
    // Webhooks to a receiver on this machine, for trying them out.
    config.webhook_allow_private = true;
    // The simulated Exchange server is on this machine too.
    config.ews_allow_private = true;
    let state = build_state(config, Clock::system()).await?;
    let tenant = seed(&state).await?;
    seed_onprem(&state, &simulator).await?;
    let scope = services::tenants::operator_scope(&state, tenant).await?;
    let api_token =
        services::api_tokens::create(&state, &Actor::command_line(), scope, "Demo switchboard")
            .await
            .map_err(|e| anyhow::anyhow!("creating the demo API token: {e}"))?
            .token;
    let portal = Application::start(state.clone(), bind, 2)?;
    let options = SchedulerOptions::from_config(&state.config);
    let scheduler = Scheduler::start(state, options).await?;
    Ok(Demo { portal, scheduler, simulator, tenant, api_token, dir })
}

async fn seed(state: &AppState) -> anyhow::Result<Uuid> {
    let actor = Actor::command_line();
    let password = SecretString::from(PASSWORD);
    services::accounts::create_operator(state, OPERATOR, &password).await?;
    let tenant = services::tenants::create(
        state,
        &actor,
        &TenantInput {
            name: "Nordlys Rådgivning A/S".into(),
            cvr: Some("12345678".into()),
            contact_name: Some("Anne Sørensen".into()),
            contact_email: Some(people::address("anne.sorensen")),
            contact_phone: Some("+45 70 20 30 40".into()),
            licences: "30".into(),
            timezone: Some("Europe/Copenhagen".into()),
            locale: Some("da".into()),
        },
    )
    .await?;
    let scope = services::tenants::operator_scope(state, tenant).await?;
    for (email, role) in [(ADMIN, "tenant_admin"), (RECEPTIONIST, "receptionist")] {
        let invite = services::invites::create(state, &actor, scope, email, role).await?;
        let token = invite.path.trim_start_matches("/invite/").to_owned();
        let acceptance = services::invites::Acceptance {
            display_name: None,
            password: password.clone(),
            password_repeat: password.clone(),
        };
        services::invites::accept(state, &token, acceptance, None)
            .await
            .map_err(|e| anyhow::anyhow!("accepting the demo invitation: {e}"))?;
    }
    for (name, mailbox, department, extension) in people::PEOPLE.iter().chain([&people::MISSING]) {
        let input = UserInput {
            email: people::address(mailbox),
            display_name: Some((*name).into()),
            extension: Some((*extension).into()),
            department: Some((*department).into()),
        };
        services::directory::add(state, &actor, scope, &input, true)
            .await
            .map_err(|e| anyhow::anyhow!("adding a demo user: {e}"))?;
    }
    let graph = GraphInput {
        directory_id: DIRECTORY_ID.into(),
        client_id: CLIENT_ID.into(),
        client_secret: SecretString::from(CLIENT_SECRET),
        secret_expires: None,
        detail: Some("full".into()),
    };
    services::credentials::set_graph(state, &actor, scope, &graph).await?;
    seed_newcomer(state, &actor, &password).await?;
    Ok(tenant)
}

/// A second company whose admin has just accepted the invitation: nothing is connected, so
/// the portal's wizard is where to start.
async fn seed_newcomer(
    state: &AppState,
    actor: &Actor,
    password: &SecretString,
) -> anyhow::Result<()> {
    let input = TenantInput {
        name: "Fjordvej Tandlæger ApS".into(),
        licences: "10".into(),
        timezone: Some("Europe/Copenhagen".into()),
        locale: Some("da".into()),
        ..TenantInput::default()
    };
    let tenant = services::tenants::create(state, actor, &input).await?;
    let scope = services::tenants::operator_scope(state, tenant).await?;
    let invite =
        services::invites::create(state, actor, scope, NEWCOMER_ADMIN, "tenant_admin").await?;
    let token = invite.path.trim_start_matches("/invite/").to_owned();
    let acceptance = services::invites::Acceptance {
        display_name: None,
        password: password.clone(),
        password_repeat: password.clone(),
    };
    services::invites::accept(state, &token, acceptance, None)
        .await
        .map_err(|e| anyhow::anyhow!("accepting the demo invitation: {e}"))?;
    Ok(())
}

/// A municipality on Exchange on-premises, connected through EWS with its own CA certificate
/// (the simulator's), full detail.
async fn seed_onprem(state: &AppState, simulator: &SimulatorHandle) -> anyhow::Result<()> {
    let actor = Actor::command_line();
    let input = TenantInput {
        name: "Fjordby Kommune".into(),
        licences: "10".into(),
        timezone: Some("Europe/Copenhagen".into()),
        locale: Some("da".into()),
        ..TenantInput::default()
    };
    let tenant = services::tenants::create(state, &actor, &input).await?;
    let scope = services::tenants::operator_scope(state, tenant).await?;
    let invite =
        services::invites::create(state, &actor, scope, ONPREM_ADMIN, "tenant_admin").await?;
    let acceptance = services::invites::Acceptance {
        display_name: None,
        password: SecretString::from(PASSWORD),
        password_repeat: SecretString::from(PASSWORD),
    };
    let token = invite.path.trim_start_matches("/invite/").to_owned();
    services::invites::accept(state, &token, acceptance, None)
        .await
        .map_err(|e| anyhow::anyhow!("accepting the demo invitation: {e}"))?;
    for (name, mailbox, department, extension) in people::ONPREM_PEOPLE {
        let user = UserInput {
            email: people::onprem_address(mailbox),
            display_name: Some(name.into()),
            extension: Some(extension.into()),
            department: Some(department.into()),
        };
        services::directory::add(state, &actor, scope, &user, true)
            .await
            .map_err(|e| anyhow::anyhow!("adding a demo user: {e}"))?;
    }
    let typed = services::ews_connection::EwsTyped {
        url: simulator.ews_url(),
        username: ONPREM_MONITOR.into(),
        auth: "auto".into(),
        detail: "full".into(),
        ca_pem: simulator.ca_pem().to_owned(),
        test_mailbox: String::new(),
    };
    let password = SecretString::from(ONPREM_MONITOR_PASSWORD);
    services::ews_connection::set_ews(state, &actor, scope, &typed, password).await?;
    services::onboarding::finish(state, &actor, scope).await?;
    Ok(())
}

/// Waits for ctrl-c, or for SIGTERM where there is such a thing.
async fn stopped() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
        tokio::select! {
            interrupted = tokio::signal::ctrl_c() => interrupted.context("waiting for ctrl-c")?,
            _ = terminate.recv() => {}
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await.context("waiting for ctrl-c")
    }
}

/// What the demo prints once it is up.
pub fn banner(demo: &Demo) -> String {
    let url = format!("http://{}", demo.portal.addr());
    format!(
        "calbridge demo is running at {url}\n\
         \n  operator       {OPERATOR:<36} {PASSWORD}\
         \n  tenant admin   {ADMIN:<36} {PASSWORD}\
         \n  receptionist   {RECEPTIONIST:<36} {PASSWORD}\n\
         \nA second company is not connected yet. Sign in as {NEWCOMER_ADMIN} ({PASSWORD}),\
         \nfollow the setup, and enter these values from its app registration:\
         \n  Directory (tenant) ID     {NEWCOMER_DIRECTORY_ID}\
         \n  Application (client) ID   {NEWCOMER_CLIENT_ID}\
         \n  Client secret (Value)     {NEWCOMER_SECRET}\
         \n  a mailbox to test with    {}\
         \nThen, optionally, Settings, Sync from an Entra group (GroupMember.Read.All is granted):\
         \n  Entra group object ID     {}\n\
         \nA third company, Fjordby Kommune, runs Exchange Server on-premises, read through EWS\
         \n(NTLM, with its own CA certificate). Sign in as {ONPREM_ADMIN} ({PASSWORD}) and open\
         \nSettings, Calendar connection.\n\
         \nThe API, with the demo company's token (for live changes, add /stream):\
         \n  curl -H 'Authorization: Bearer {}' {url}/api/v1/presence\n\
         \nMicrosoft 365 simulator: {} (control API under /_simulator); Exchange EWS: {}\
         \nThe database lives in {} and is deleted on exit. Press ctrl-c to stop.",
        people::newcomer_address(people::NEWCOMERS[0].1),
        people::NEWCOMER_GROUP_ID,
        demo.api_token,
        demo.simulator.base_url(),
        demo.simulator.ews_url(),
        demo.dir.path().display()
    )
}

impl Demo {
    /// Serves until ctrl-c or SIGTERM (what `timeout`, systemd and container runtimes send),
    /// then shuts down in order; dropping the demo afterwards deletes its folder.
    pub async fn serve_until_stopped(self) -> anyhow::Result<()> {
        let handle = self.portal.handle();
        let server = tokio::spawn(self.portal.run_until_stopped());
        stopped().await?;
        self.scheduler.shutdown().await;
        handle.stop(true).await;
        let _ = server.await;
        self.simulator.stop().await;
        Ok(())
    }
}
