//! The whole world: a calbridge app on its own database, wired to an in-process simulator
//! playing the fixture scenario, with customers (tenants and their Entra directories) and
//! people (directory users and their mailboxes) added as a test needs them.

use std::sync::Arc;
use std::time::Duration;

use calbridge::db::TenantScope;
use calbridge::db::leases;
use calbridge::jobs::{Scheduler, SchedulerOptions};
use calbridge::providers::graph::Tunables;
use calbridge::services::credentials::GraphInput;
use calbridge::services::provider_registry::ProviderRegistry;
use calbridge::services::sync::{self, SyncContext, SyncReport};
use calbridge::services::{self, Actor, AppState};
use calbridge::simulator::scenario::{EwsAuthScheme, EwsSpec};
use calbridge::simulator::{
    AppRole, EventSpec, MailboxSpec, NewMailbox, Simulator, SimulatorHandle, TenantSpec, TimeInput,
};
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use uuid::Uuid;

use super::{TestApp, tenant_scope};

pub struct Customer {
    pub id: Uuid,
    pub directory: String,
    pub domain: String,
}

/// A customer before it connected: the values from its app registration.
pub struct Prospect {
    pub customer: Customer,
    pub client: String,
    pub secret: String,
}

pub struct World {
    pub app: TestApp,
    pub sim: SimulatorHandle,
    /// The app's state with test timings for the Graph client.
    pub state: AppState,
}

/// Short timeouts and retry waits, so failure paths take seconds, not minutes.
pub fn quick_tunables() -> Tunables {
    Tunables {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(2),
        retry_base: Duration::from_millis(50),
        retry_cap: Duration::from_millis(200),
        max_retries: 1,
        // Small member pages, so that any group spans several.
        group_page_size: 3,
        ..Tunables::default()
    }
}

impl World {
    pub async fn new() -> World {
        World::new_with(|_| {}).await
    }

    /// A world whose app has settings of the test's own.
    pub async fn new_with(adjust: impl FnOnce(&mut calbridge::config::Config)) -> World {
        let sim = Simulator::start(super::scenario::contoso(), "127.0.0.1:0").await.unwrap();
        let base = sim.base_url().to_owned();
        let app = TestApp::spawn_with(|c| {
            c.ms_login_url = base.parse().unwrap();
            c.ms_graph_url = base.parse().unwrap();
            adjust(c);
        })
        .await;
        let mut state = app.state.clone();
        state.providers = Arc::new(
            ProviderRegistry::new(&state.config, state.clock.clone())
                .with_tunables(quick_tunables()),
        );
        World { app, sim, state }
    }

    /// A customer with its own Entra directory in the simulator and the connection stored.
    pub async fn customer(&self, name: &str, domain: &str, detail: &str) -> Customer {
        let prospect = self.prospect(name, domain, AppRole::CalendarsRead).await;
        self.connect(prospect, detail).await
    }

    /// A customer whose admin also granted `GroupMember.Read.All` (when `group_member_read`).
    pub async fn group_customer(
        &self,
        name: &str,
        domain: &str,
        group_member_read: bool,
    ) -> Customer {
        let prospect =
            self.prospect_with(name, domain, AppRole::CalendarsRead, group_member_read).await;
        self.connect(prospect, "free_busy").await
    }

    async fn connect(&self, prospect: Prospect, detail: &str) -> Customer {
        let input = GraphInput {
            directory_id: prospect.customer.directory.clone(),
            client_id: prospect.client,
            client_secret: SecretString::from(prospect.secret),
            secret_expires: None,
            detail: Some(detail.into()),
        };
        services::credentials::set_graph(
            &self.state,
            &Actor::command_line(),
            tenant_scope(prospect.customer.id),
            &input,
        )
        .await
        .unwrap();
        prospect.customer
    }

    /// A customer that registered an app in its Entra directory (granted `role`) but has
    /// not connected calbridge yet: what its admin will type into the portal.
    pub async fn prospect(&self, name: &str, domain: &str, role: AppRole) -> Prospect {
        self.prospect_with(name, domain, role, false).await
    }

    async fn prospect_with(
        &self,
        name: &str,
        domain: &str,
        role: AppRole,
        group_member_read: bool,
    ) -> Prospect {
        let directory = Uuid::new_v4().to_string();
        let client = Uuid::new_v4().to_string();
        let secret = format!("{name}~secret.value");
        self.sim
            .add_tenant(&TenantSpec {
                name: name.into(),
                directory_id: directory.parse().unwrap(),
                domains: vec![domain.into()],
                client_id: client.parse().unwrap(),
                client_secret: secret.clone(),
                secret_expires: None,
                role,
                mailboxes: Vec::new(),
                group_member_read,
                groups: Vec::new(),
                ews: None,
            })
            .unwrap();
        let id = self.app.create_tenant(name, 50).await;
        Prospect { customer: Customer { id, directory, domain: domain.into() }, client, secret }
    }

    /// A company on Exchange on-premises: an organisation on the simulator's EWS endpoint
    /// with a Monitor account (`client` is its user name, `secret` its password), and a
    /// tenant in calbridge that is not connected yet.
    pub async fn exchange_prospect(&self, name: &str, domain: &str) -> Prospect {
        let directory = Uuid::new_v4().to_string();
        let username = format!("{}\\monitor", name.to_uppercase());
        let password = format!("{name}-Monitor-2030!");
        self.sim
            .add_tenant(&TenantSpec {
                name: name.into(),
                directory_id: directory.parse().unwrap(),
                domains: vec![domain.into()],
                client_id: Uuid::new_v4(),
                client_secret: "not used".into(),
                secret_expires: None,
                role: AppRole::None,
                mailboxes: Vec::new(),
                group_member_read: false,
                groups: Vec::new(),
                ews: Some(EwsSpec {
                    username: username.clone(),
                    password: password.clone(),
                    auth: vec![EwsAuthScheme::Ntlm, EwsAuthScheme::Basic],
                }),
            })
            .unwrap();
        let id = self.app.create_tenant(name, 50).await;
        let customer = Customer { id, directory, domain: domain.into() };
        Prospect { customer, client: username, secret: password }
    }

    /// An Exchange on-premises customer, connected (full detail) through the service layer.
    pub async fn exchange_customer(&self, name: &str, domain: &str, detail: &str) -> Customer {
        let prospect = self.exchange_prospect(name, domain).await;
        let typed = calbridge::services::ews_connection::EwsTyped {
            url: self.sim.ews_url(),
            username: prospect.client.clone(),
            auth: "auto".into(),
            detail: detail.into(),
            ca_pem: self.sim.ca_pem().to_owned(),
            test_mailbox: String::new(),
        };
        calbridge::services::ews_connection::set_ews(
            &self.state,
            &Actor::command_line(),
            tenant_scope(prospect.customer.id),
            &typed,
            SecretString::from(prospect.secret),
        )
        .await
        .unwrap();
        prospect.customer
    }

    /// Stores another client secret for the customer, as an admin mistyping it would.
    pub async fn store_secret(&self, customer: &Customer, secret: &str) {
        let client = self
            .sim
            .tenants()
            .into_iter()
            .find(|t| t.directory_id.to_string() == customer.directory)
            .expect("the customer's directory")
            .client_id;
        let input = GraphInput {
            directory_id: customer.directory.clone(),
            client_id: client.to_string(),
            client_secret: SecretString::from(secret.to_owned()),
            secret_expires: None,
            detail: Some("full".into()),
        };
        services::credentials::set_graph(
            &self.state,
            &Actor::command_line(),
            tenant_scope(customer.id),
            &input,
        )
        .await
        .unwrap();
    }

    /// A person in the customer's directory with sync on, and their mailbox.
    pub async fn person(&self, customer: &Customer, local: &str, events: Vec<EventSpec>) -> Uuid {
        let email = self.mailbox(customer, local, events, false);
        self.directory_user(customer, &email).await
    }

    /// A mailbox in the customer's Microsoft 365 only; returns its address.
    pub fn mailbox(
        &self,
        customer: &Customer,
        local: &str,
        events: Vec<EventSpec>,
        denied_by_policy: bool,
    ) -> String {
        let email = format!("{local}@{}", customer.domain);
        self.sim
            .add_mailbox(&NewMailbox {
                tenant: customer.directory.clone(),
                mailbox: MailboxSpec {
                    upn: email.clone(),
                    display_name: Some(local.into()),
                    object_id: None,
                    time_zone: "Europe/Copenhagen".into(),
                    access_denied_by_policy: denied_by_policy,
                    working_hours: Default::default(),
                    events,
                    ews_access: Default::default(),
                },
            })
            .unwrap();
        email
    }

    /// In calbridge's directory only, without a mailbox.
    pub async fn directory_user(&self, customer: &Customer, email: &str) -> Uuid {
        let input = services::directory::UserInput {
            email: email.into(),
            display_name: Some(email.split('@').next().unwrap().into()),
            ..Default::default()
        };
        services::directory::add(
            &self.state,
            &Actor::command_line(),
            tenant_scope(customer.id),
            &input,
            true,
        )
        .await
        .unwrap()
        .id
    }

    /// Runs one sync of the customer now, as `calbridge sync --once` does.
    pub async fn sync(&self, customer: &Customer) -> SyncReport {
        let now = self.state.clock.now();
        let lease = chrono::Duration::seconds(60);
        let claim = leases::claim_now(&self.state.db, customer.id, "test", now, now + lease)
            .await
            .unwrap()
            .unwrap();
        sync::run(SyncContext { state: &self.state, claim, instance: "test", lease }).await.unwrap()
    }

    pub async fn scheduler(&self, options: SchedulerOptions) -> anyhow::Result<Scheduler> {
        Scheduler::start(self.state.clone(), options).await
    }

    /// Runs the CLI against this world's database and simulator.
    pub async fn cli(&self, args: &[&str]) -> crate::cli::Run {
        let base = self.sim.base_url().to_owned();
        crate::cli::calbridge_with(
            &self.app,
            args,
            None,
            &[
                ("CALBRIDGE_MASTER_KEY", &self.app.master_key),
                ("CALBRIDGE_MS_LOGIN_URL", &base),
                ("CALBRIDGE_MS_GRAPH_URL", &base),
                ("RUST_LOG", "warn"),
            ],
        )
        .await
    }

    pub fn scope(&self, customer: &Customer) -> TenantScope {
        tenant_scope(customer.id)
    }

    pub async fn row(&self, user: Uuid) -> Option<calbridge::db::entities::availability::Model> {
        use sea_orm::EntityTrait;
        calbridge::db::entities::availability::Entity::find_by_id(user)
            .one(&self.state.db)
            .await
            .unwrap()
    }

    /// When the tenant's first history entry in `state` was written (its `at`).
    pub async fn row_history_at(&self, tenant: Uuid, state: &str) -> DateTime<Utc> {
        calbridge::db::events::since(&self.state.db, tenant_scope(tenant), 0, 10_000)
            .await
            .unwrap()
            .into_iter()
            .find(|h| h.state.as_str() == state)
            .map(|h| h.at)
            .expect("a history entry in that state")
    }

    pub async fn sync_state(
        &self,
        customer: &Customer,
    ) -> calbridge::db::entities::sync_state::Model {
        leases::find(&self.state.db, customer.id).await.unwrap().unwrap()
    }
}

/// Now, to the whole second: calendars hold whole seconds (Graph writes 100 ns ticks), and
/// assertions compare instants exactly.
pub fn now() -> DateTime<Utc> {
    use chrono::SubsecRound;
    calbridge::clock::Clock::system().now().trunc_subsecs(0)
}

pub fn at(t: DateTime<Utc>) -> Option<TimeInput> {
    Some(TimeInput::Text(t.to_rfc3339()))
}

/// A busy meeting from `start` to `end`.
pub fn meeting(subject: &str, start: DateTime<Utc>, end: DateTime<Utc>) -> EventSpec {
    EventSpec {
        subject: subject.into(),
        location: "Mødelokale 1".into(),
        start: at(start),
        end: at(end),
        show_as: Some("busy".into()),
        ..EventSpec::default()
    }
}

/// Options for a scheduler that claims quickly and never polls by itself during a test
/// unless asked to.
pub fn options(instance: &str) -> SchedulerOptions {
    SchedulerOptions {
        instance: instance.into(),
        tick: Duration::from_secs(1),
        lease: chrono::Duration::seconds(5),
        heartbeat: Duration::from_secs(1),
        transition_poll: Duration::from_millis(200),
        shutdown_grace: Duration::from_secs(2),
        sync_timeout: Duration::from_secs(20),
        ..SchedulerOptions::default()
    }
}

/// An admin of the prospect's tenant, signed in.
pub async fn admin_of(world: &World, prospect: &Prospect) -> super::Browser {
    let email = format!("it@{}", prospect.customer.domain);
    world.app.create_member(prospect.customer.id, &email, "tenant_admin").await;
    let admin = world.app.browser();
    assert_eq!(admin.login(&email, super::PASSWORD).await.status, 303);
    admin
}

/// The checklist line that starts with `label`.
pub fn check_line<'a>(page: &'a super::Page, label: &str) -> &'a str {
    let start = page.body.find(label).unwrap_or_else(|| panic!("no line {label}: {}", page.body));
    let line_start = page.body[..start].rfind("<li").unwrap();
    let end = start + page.body[start..].find("</li>").unwrap();
    &page.body[line_start..end]
}
