//! The simulated directory: tenants, mailboxes with their calendars, and issued tokens.
//!
//! Locks here are std locks held only for lookups and copies, never across an `.await`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, Days, NaiveDateTime, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use uuid::Uuid;

use crate::clock::Clock;
use crate::domain::timezone::{local_to_utc, resolve_zone, windows_name};

use super::calendar::{Calendar, CalendarError, Sensitivity, StoredEvent, graph_show_as};
use super::counters::Counters;
use super::ews::connections::Connections;
use super::faults::FaultBook;
use super::scenario::{
    AppRole, BatchOrder, EventPatch, EventSpec, EwsAccess, EwsAuthScheme, EwsSpec, GroupSpec,
    MailboxSpec, RecurrenceSpec, Scenario, SimulatorSettings, SpecError, TenantSpec, TimeInput,
    WorkingHoursSpec, parse_clock, parse_duration, parse_show_as, parse_weekday, resolve_time,
};
use super::throttle::{Throttle, ThrottleSettings};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Conflict(String),
}

impl From<SpecError> for ControlError {
    fn from(err: SpecError) -> Self {
        ControlError::Invalid(err.0)
    }
}

impl From<CalendarError> for ControlError {
    fn from(err: CalendarError) -> Self {
        match err {
            CalendarError::DuplicateId(_) => ControlError::Conflict(err.to_string()),
            CalendarError::NotFound(_) => ControlError::NotFound(err.to_string()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct DirectoryTenant {
    pub name: String,
    pub directory_id: Uuid,
    pub domains: Vec<String>,
    pub client_id: Uuid,
    pub client_secret: String,
    pub secret_expires_at: Option<DateTime<Utc>>,
    pub role: AppRole,
    pub ews: Option<EwsAccount>,
    /// `GroupMember.Read.All` consented.
    pub group_member_read: bool,
}

/// An on-premises organisation's EWS account, with its username split as NTLM carries it.
#[derive(Debug, Clone)]
pub struct EwsAccount {
    /// As configured: `DOMAIN\user` or a UPN.
    pub username: String,
    pub domain: String,
    pub user: String,
    pub password: String,
    pub auth: Vec<EwsAuthScheme>,
}

impl EwsAccount {
    fn from_spec(spec: &EwsSpec) -> Result<Self, ControlError> {
        let (domain, user) = match spec.username.split_once('\\') {
            Some((domain, user)) => (domain.to_string(), user.to_string()),
            None => (String::new(), spec.username.clone()),
        };
        if user.is_empty() || spec.password.is_empty() {
            return Err(ControlError::Invalid("ews needs a username and a password".into()));
        }
        if spec.auth.is_empty() {
            return Err(ControlError::Invalid("ews auth must offer at least one scheme".into()));
        }
        Ok(EwsAccount {
            username: spec.username.clone(),
            domain,
            user,
            password: spec.password.clone(),
            auth: spec.auth.clone(),
        })
    }

    /// Whether a sign-in as `user` in `domain` (as NTLM or Basic carries them) is this account:
    /// `DOMAIN\user` needs both; a UPN matches with no domain or the UPN's own domain.
    pub fn is(&self, user: &str, domain: &str) -> bool {
        if !self.user.eq_ignore_ascii_case(user) {
            return false;
        }
        if !self.domain.is_empty() {
            return self.domain.eq_ignore_ascii_case(domain);
        }
        let upn_domain = self.user.rsplit_once('@').map(|(_, d)| d).unwrap_or_default();
        domain.is_empty() || domain.eq_ignore_ascii_case(upn_domain)
    }
}

impl DirectoryTenant {
    /// Every spelling a client may use for this tenant: the GUID and each verified domain.
    pub fn names(&self) -> Vec<String> {
        let mut names = vec![self.directory_id.to_string()];
        names.extend(self.domains.iter().map(|d| d.to_ascii_lowercase()));
        names
    }
}

#[derive(Debug, Clone)]
pub struct WorkingHours {
    pub days: Vec<Weekday>,
    pub start: NaiveTime,
    pub end: NaiveTime,
}

#[derive(Debug)]
pub struct Mailbox {
    pub tenant: Uuid,
    pub upn: Arc<str>,
    pub display_name: String,
    pub object_id: Uuid,
    pub access_denied_by_policy: bool,
    pub tz: Tz,
    /// The zone as the scenario or control call named it.
    pub tz_name: String,
    /// The zone as Exchange would name it (Windows name where CLDR has one).
    pub tz_windows_name: String,
    pub working_hours: WorkingHours,
    pub calendar: RwLock<Calendar>,
    pub ews_access: RwLock<EwsAccess>,
}

impl Mailbox {
    pub fn ews_access(&self) -> EwsAccess {
        *self.ews_access.read().unwrap_or_else(|e| e.into_inner())
    }
}

/// A mailbox as the control API lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxInfo {
    pub tenant: Uuid,
    pub upn: String,
    pub display_name: String,
    pub object_id: Uuid,
    pub time_zone: String,
    pub access_denied_by_policy: bool,
    pub events: usize,
    #[serde(default)]
    pub ews_access: EwsAccess,
}

/// A tenant as the control API lists it (without its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantInfo {
    pub name: String,
    pub directory_id: Uuid,
    pub domains: Vec<String>,
    pub client_id: Uuid,
    pub secret_expires: Option<DateTime<Utc>>,
    pub role: AppRole,
    pub mailboxes: usize,
    /// The EWS username of an on-premises organisation (never its password).
    #[serde(default)]
    pub ews_username: Option<String>,
}

/// A stored event as the control API lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventInfo {
    pub id: String,
    pub subject: String,
    pub location: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub show_as: String,
    pub sensitivity: Sensitivity,
    pub all_day: bool,
    pub cancelled: bool,
    pub recurring: bool,
    pub change_key: String,
}

impl From<&StoredEvent> for EventInfo {
    fn from(event: &StoredEvent) -> Self {
        EventInfo {
            id: event.id.clone(),
            subject: event.subject.clone(),
            location: event.location.clone(),
            start: event.start,
            end: event.end,
            show_as: graph_show_as(event.show_as).to_string(),
            sensitivity: event.sensitivity,
            all_day: event.is_all_day,
            cancelled: event.is_cancelled,
            recurring: event.recurrence.is_some(),
            change_key: event.change_key.clone(),
        }
    }
}

/// A mailbox to add at run time.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewMailbox {
    /// Directory id or verified domain of the owning tenant.
    pub tenant: String,
    #[serde(flatten)]
    pub mailbox: MailboxSpec,
}

/// An Entra group of one tenant.
#[derive(Debug, Clone)]
pub struct Group {
    pub tenant: Uuid,
    pub spec: GroupSpec,
}

#[derive(Default)]
pub struct Directory {
    tenants: HashMap<Uuid, Arc<DirectoryTenant>>,
    tenant_names: HashMap<String, Uuid>,
    mailboxes: HashMap<String, Arc<Mailbox>>,
    groups: HashMap<Uuid, Arc<Group>>,
}

impl Directory {
    pub fn tenant_by_name(&self, name: &str) -> Option<Arc<DirectoryTenant>> {
        let id = self.tenant_names.get(&name.trim().to_ascii_lowercase())?;
        self.tenants.get(id).cloned()
    }

    pub fn tenant(&self, id: &Uuid) -> Option<Arc<DirectoryTenant>> {
        self.tenants.get(id).cloned()
    }

    /// Looks a mailbox up by UPN or object id, case-insensitively.
    pub fn mailbox(&self, key: &str) -> Option<Arc<Mailbox>> {
        self.mailboxes.get(&key.trim().to_ascii_lowercase()).cloned()
    }

    /// Organisations reachable through EWS, by name.
    pub fn ews_organisations(&self) -> Vec<Arc<DirectoryTenant>> {
        let mut organisations: Vec<_> =
            self.tenants.values().filter(|t| t.ews.is_some()).cloned().collect();
        organisations.sort_by(|a, b| a.name.cmp(&b.name));
        organisations
    }

    /// The on-premises organisation whose EWS account `user` in `domain` is.
    pub fn ews_organisation(&self, user: &str, domain: &str) -> Option<Arc<DirectoryTenant>> {
        self.tenants.values().find(|t| t.ews.as_ref().is_some_and(|a| a.is(user, domain))).cloned()
    }

    fn add_tenant(&mut self, tenant: DirectoryTenant) -> Result<(), ControlError> {
        if let Some(account) = &tenant.ews
            && self.tenants.values().any(|t| {
                t.ews
                    .as_ref()
                    .is_some_and(|other| other.username.eq_ignore_ascii_case(&account.username))
            })
        {
            return Err(ControlError::Conflict(format!(
                "ews username {:?} is used twice",
                account.username
            )));
        }
        for name in tenant.names() {
            if self.tenant_names.contains_key(&name) {
                return Err(ControlError::Conflict(format!("tenant name {name:?} is used twice")));
            }
        }
        for name in tenant.names() {
            self.tenant_names.insert(name, tenant.directory_id);
        }
        self.tenants.insert(tenant.directory_id, Arc::new(tenant));
        Ok(())
    }

    fn add_mailbox(&mut self, mailbox: Mailbox) -> Result<Arc<Mailbox>, ControlError> {
        let upn_key = mailbox.upn.to_ascii_lowercase();
        let id_key = mailbox.object_id.to_string();
        if self.mailboxes.contains_key(&upn_key) || self.mailboxes.contains_key(&id_key) {
            return Err(ControlError::Conflict(format!("mailbox {} already exists", mailbox.upn)));
        }
        let mailbox = Arc::new(mailbox);
        self.mailboxes.insert(upn_key, Arc::clone(&mailbox));
        self.mailboxes.insert(id_key, Arc::clone(&mailbox));
        Ok(mailbox)
    }

    fn remove_mailbox(&mut self, key: &str) -> Option<Arc<Mailbox>> {
        let mailbox = self.mailbox(key)?;
        self.mailboxes.remove(&mailbox.upn.to_ascii_lowercase());
        self.mailboxes.remove(&mailbox.object_id.to_string());
        Some(mailbox)
    }

    fn mailbox_list(&self) -> Vec<Arc<Mailbox>> {
        let mut all: Vec<_> = self
            .mailboxes
            .iter()
            .filter(|(k, m)| **k == m.object_id.to_string())
            .map(|(_, m)| Arc::clone(m))
            .collect();
        all.sort_by(|a, b| a.upn.cmp(&b.upn));
        all
    }
}

#[derive(Debug, Clone)]
pub struct IssuedToken {
    pub tenant: Uuid,
    pub client_id: Uuid,
    pub expires_at: Instant,
}

pub enum TokenProblem {
    Missing,
    Invalid,
    Expired,
}

pub struct Sim {
    pub directory: RwLock<Directory>,
    tokens: RwLock<HashMap<String, IssuedToken>>,
    token_lifetime_secs: AtomicU64,
    latency_ms: AtomicU64,
    pub throttle: Arc<Throttle>,
    pub faults: FaultBook,
    pub counters: Counters,
    /// Connections to the EWS endpoint and what each has authenticated.
    pub ews_connections: Arc<Connections>,
    ews_times_without_offset: AtomicBool,
    batch_order: RwLock<BatchOrder>,
    batch_rng: Mutex<StdRng>,
    pub started_at: DateTime<Utc>,
    /// Microsoft's "now": token expiry dates, relative event times, error dates.
    pub clock: Clock,
    shutdown: watch::Receiver<bool>,
}

impl Sim {
    pub fn from_scenario(
        scenario: &Scenario,
        clock: Clock,
        shutdown: watch::Receiver<bool>,
    ) -> anyhow::Result<Arc<Sim>> {
        let settings = &scenario.simulator;
        let started_at = clock.now();
        let sim = Arc::new(Sim {
            directory: RwLock::new(Directory::default()),
            tokens: RwLock::new(HashMap::new()),
            token_lifetime_secs: AtomicU64::new(settings.token_lifetime_secs),
            latency_ms: AtomicU64::new(settings.latency_ms),
            throttle: Throttle::new(&throttle_settings(settings)),
            faults: FaultBook::default(),
            counters: Counters::default(),
            ews_connections: Arc::new(Connections::default()),
            ews_times_without_offset: AtomicBool::new(settings.ews_times_without_offset),
            batch_order: RwLock::new(settings.batch_order),
            batch_rng: Mutex::new(match settings.batch_seed {
                Some(seed) => StdRng::seed_from_u64(seed),
                None => rand::make_rng(),
            }),
            started_at,
            clock,
            shutdown,
        });
        for tenant in &scenario.tenants {
            sim.load_tenant(tenant, started_at)
                .map_err(|e| anyhow::anyhow!("tenant {}: {e}", tenant.directory_id))?;
        }
        for fault in &scenario.faults {
            sim.faults.add(fault.clone());
        }
        Ok(sim)
    }

    fn load_tenant(&self, spec: &TenantSpec, anchor: DateTime<Utc>) -> Result<(), ControlError> {
        let secret_expires_at = match &spec.secret_expires {
            Some(input) => Some(resolve_time(input, anchor, Tz::UTC)?),
            None => None,
        };
        let tenant = DirectoryTenant {
            name: if spec.name.is_empty() {
                spec.directory_id.to_string()
            } else {
                spec.name.clone()
            },
            directory_id: spec.directory_id,
            domains: spec.domains.clone(),
            client_id: spec.client_id,
            client_secret: spec.client_secret.clone(),
            secret_expires_at,
            role: spec.role,
            ews: spec.ews.as_ref().map(EwsAccount::from_spec).transpose()?,
            group_member_read: spec.group_member_read,
        };
        self.directory.write().unwrap_or_else(|e| e.into_inner()).add_tenant(tenant)?;
        for group in &spec.groups {
            self.put_group(&spec.directory_id.to_string(), group)?;
        }
        for mailbox in &spec.mailboxes {
            self.insert_mailbox(spec.directory_id, mailbox, anchor)
                .map_err(|e| ControlError::Invalid(format!("mailbox {}: {e}", mailbox.upn)))?;
        }
        Ok(())
    }

    fn insert_mailbox(
        &self,
        tenant: Uuid,
        spec: &MailboxSpec,
        anchor: DateTime<Utc>,
    ) -> Result<Arc<Mailbox>, ControlError> {
        if !spec.upn.contains('@') {
            return Err(ControlError::Invalid(format!("upn {:?} is not an address", spec.upn)));
        }
        let tz = resolve_zone(&spec.time_zone).map_err(|e| ControlError::Invalid(e.to_string()))?;
        let mut calendar = Calendar::new(tz);
        for event in &spec.events {
            calendar.insert(build_event(event, anchor, tz)?)?;
        }
        let mailbox = Mailbox {
            tenant,
            upn: Arc::from(spec.upn.as_str()),
            display_name: spec.display_name.clone().unwrap_or_else(|| display_name_from(&spec.upn)),
            object_id: spec.object_id.unwrap_or_else(Uuid::new_v4),
            access_denied_by_policy: spec.access_denied_by_policy,
            tz,
            tz_name: spec.time_zone.clone(),
            tz_windows_name: windows_name(tz)
                .map(String::from)
                .unwrap_or_else(|| spec.time_zone.clone()),
            working_hours: working_hours(&spec.working_hours)?,
            calendar: RwLock::new(calendar),
            ews_access: RwLock::new(spec.ews_access),
        };
        self.directory.write().unwrap_or_else(|e| e.into_inner()).add_mailbox(mailbox)
    }

    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.clone()
    }

    pub fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms.load(Ordering::Relaxed))
    }

    pub fn set_latency(&self, latency: Duration) {
        self.latency_ms.store(latency.as_millis() as u64, Ordering::Relaxed);
    }

    pub fn ews_times_without_offset(&self) -> bool {
        self.ews_times_without_offset.load(Ordering::Relaxed)
    }

    pub fn set_ews_times_without_offset(&self, without: bool) {
        self.ews_times_without_offset.store(without, Ordering::Relaxed);
    }

    pub fn token_lifetime(&self) -> Duration {
        Duration::from_secs(self.token_lifetime_secs.load(Ordering::Relaxed))
    }

    pub fn set_token_lifetime(&self, lifetime: Duration) {
        self.token_lifetime_secs.store(lifetime.as_secs(), Ordering::Relaxed);
    }

    pub fn batch_order(&self) -> BatchOrder {
        *self.batch_order.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_batch_order(&self, order: BatchOrder, seed: Option<u64>) {
        *self.batch_order.write().unwrap_or_else(|e| e.into_inner()) = order;
        if let Some(seed) = seed {
            *self.batch_rng.lock().unwrap_or_else(|e| e.into_inner()) = StdRng::seed_from_u64(seed);
        }
    }

    /// A random permutation of `0..len`, never the identity when `len >= 2`.
    pub fn batch_permutation(&self, len: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..len).collect();
        if len < 2 || self.batch_order() == BatchOrder::InOrder {
            return order;
        }
        let mut rng = self.batch_rng.lock().unwrap_or_else(|e| e.into_inner());
        for i in (1..len).rev() {
            let j = rng.random_range(0..=i);
            order.swap(i, j);
        }
        if order.iter().enumerate().all(|(i, v)| i == *v) {
            order.rotate_left(1);
        }
        order
    }

    /// An app-only access token shaped as Microsoft issues them for Graph: a JWT whose
    /// payload names the tenant (`tid`), the app (`appid`) and the granted application
    /// permissions (`roles`). Its signature is random: only this simulator checks it, by
    /// looking the whole token up.
    pub fn issue_token(&self, tenant: &DirectoryTenant) -> (String, u64) {
        let lifetime = self.token_lifetime();
        let now = self.clock.now().timestamp();
        let roles = tenant.role.granted().to_vec();
        let header =
            serde_json::json!({"typ": "JWT", "alg": "RS256", "kid": "calbridge-simulator"});
        let mut payload = serde_json::json!({
            "aud": "https://graph.microsoft.com",
            "iss": format!("https://sts.windows.net/{}/", tenant.directory_id),
            "iat": now,
            "nbf": now,
            "exp": now + lifetime.as_secs() as i64,
            "app_displayname": tenant.name,
            "appid": tenant.client_id,
            "idtyp": "app",
            "roles": roles,
            "tid": tenant.directory_id,
            "ver": "1.0",
        });
        // Microsoft leaves the claim out when no application permission was granted.
        if roles.is_empty()
            && let Some(claims) = payload.as_object_mut()
        {
            claims.remove("roles");
        }
        let mut signature = [0u8; 64];
        rand::rng().fill(&mut signature[..]);
        let token = format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(payload.to_string()),
            URL_SAFE_NO_PAD.encode(signature)
        );
        let issued = IssuedToken {
            tenant: tenant.directory_id,
            client_id: tenant.client_id,
            expires_at: Instant::now() + lifetime,
        };
        let mut tokens = self.tokens.write().unwrap_or_else(|e| e.into_inner());
        if tokens.len() > 1024 {
            let now = Instant::now();
            tokens.retain(|_, t| t.expires_at > now);
        }
        tokens.insert(token.clone(), issued);
        (token, lifetime.as_secs())
    }

    pub fn check_bearer(&self, authorization: Option<&str>) -> Result<IssuedToken, TokenProblem> {
        let header = authorization.map(str::trim).unwrap_or_default();
        let token = match header.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ if header.is_empty() => return Err(TokenProblem::Missing),
            _ => return Err(TokenProblem::Invalid),
        };
        if token.is_empty() {
            return Err(TokenProblem::Missing);
        }
        let tokens = self.tokens.read().unwrap_or_else(|e| e.into_inner());
        let issued = tokens.get(token).ok_or(TokenProblem::Invalid)?;
        if issued.expires_at <= Instant::now() {
            return Err(TokenProblem::Expired);
        }
        Ok(issued.clone())
    }

    pub fn tenant_by_name(&self, name: &str) -> Option<Arc<DirectoryTenant>> {
        self.directory.read().unwrap_or_else(|e| e.into_inner()).tenant_by_name(name)
    }

    pub fn tenant(&self, id: &Uuid) -> Option<Arc<DirectoryTenant>> {
        self.directory.read().unwrap_or_else(|e| e.into_inner()).tenant(id)
    }

    /// A group of tenant `tenant`; another tenant's group is not found.
    pub fn group(&self, tenant: Uuid, id: Uuid) -> Option<Arc<Group>> {
        let directory = self.directory.read().unwrap_or_else(|e| e.into_inner());
        directory.groups.get(&id).filter(|g| g.tenant == tenant).cloned()
    }

    /// Creates or replaces a group of the tenant named `tenant` (directory id or domain).
    pub fn put_group(&self, tenant: &str, spec: &GroupSpec) -> Result<(), ControlError> {
        let owner = self
            .tenant_by_name(tenant)
            .ok_or_else(|| ControlError::NotFound(format!("no tenant {tenant:?}")))?;
        let mut directory = self.directory.write().unwrap_or_else(|e| e.into_inner());
        if directory.groups.get(&spec.id).is_some_and(|g| g.tenant != owner.directory_id) {
            return Err(ControlError::Conflict(format!("group {} is another tenant's", spec.id)));
        }
        let group = Group { tenant: owner.directory_id, spec: spec.clone() };
        directory.groups.insert(spec.id, Arc::new(group));
        Ok(())
    }

    pub fn mailbox(&self, key: &str) -> Option<Arc<Mailbox>> {
        self.directory.read().unwrap_or_else(|e| e.into_inner()).mailbox(key)
    }

    // ---- control operations, shared by the HTTP control API and the in-process handle ----

    pub fn tenants(&self) -> Vec<TenantInfo> {
        let directory = self.directory.read().unwrap_or_else(|e| e.into_inner());
        let mailboxes = directory.mailbox_list();
        let mut tenants: Vec<TenantInfo> = directory
            .tenants
            .values()
            .map(|t| TenantInfo {
                name: t.name.clone(),
                directory_id: t.directory_id,
                domains: t.domains.clone(),
                client_id: t.client_id,
                secret_expires: t.secret_expires_at,
                role: t.role,
                mailboxes: mailboxes.iter().filter(|m| m.tenant == t.directory_id).count(),
                ews_username: t.ews.as_ref().map(|a| a.username.clone()),
            })
            .collect();
        tenants.sort_by(|a, b| a.name.cmp(&b.name));
        tenants
    }

    pub fn mailboxes(&self) -> Vec<MailboxInfo> {
        let list = self.directory.read().unwrap_or_else(|e| e.into_inner()).mailbox_list();
        list.iter().map(|m| mailbox_info(m)).collect()
    }

    /// Adds a directory tenant (with its mailboxes) while the simulator runs.
    pub fn add_tenant(&self, spec: &TenantSpec) -> Result<(), ControlError> {
        self.load_tenant(spec, self.clock.now())
    }

    pub fn add_mailbox(&self, new: &NewMailbox) -> Result<MailboxInfo, ControlError> {
        let tenant = self
            .tenant_by_name(&new.tenant)
            .ok_or_else(|| ControlError::NotFound(format!("no tenant {:?}", new.tenant)))?;
        let mailbox = self.insert_mailbox(tenant.directory_id, &new.mailbox, self.clock.now())?;
        Ok(mailbox_info(&mailbox))
    }

    pub fn remove_mailbox(&self, key: &str) -> Result<(), ControlError> {
        self.directory
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove_mailbox(key)
            .map(|_| ())
            .ok_or_else(|| no_mailbox(key))
    }

    /// Changes what the organisation's EWS account may see of this mailbox's calendar.
    pub fn set_ews_access(
        &self,
        key: &str,
        access: EwsAccess,
    ) -> Result<MailboxInfo, ControlError> {
        let mailbox = self.existing_mailbox(key)?;
        *mailbox.ews_access.write().unwrap_or_else(|e| e.into_inner()) = access;
        Ok(mailbox_info(&mailbox))
    }

    fn existing_mailbox(&self, key: &str) -> Result<Arc<Mailbox>, ControlError> {
        self.mailbox(key).ok_or_else(|| no_mailbox(key))
    }

    pub fn list_events(&self, mailbox: &str) -> Result<Vec<EventInfo>, ControlError> {
        let mailbox = self.existing_mailbox(mailbox)?;
        let calendar = mailbox.calendar.read().unwrap_or_else(|e| e.into_inner());
        Ok(calendar.list().iter().map(|e| EventInfo::from(e.as_ref())).collect())
    }

    pub fn add_event(&self, mailbox: &str, spec: &EventSpec) -> Result<EventInfo, ControlError> {
        let mailbox = self.existing_mailbox(mailbox)?;
        let event = build_event(spec, self.clock.now(), mailbox.tz)?;
        let mut calendar = mailbox.calendar.write().unwrap_or_else(|e| e.into_inner());
        Ok(EventInfo::from(calendar.insert(event)?.as_ref()))
    }

    pub fn change_event(
        &self,
        mailbox: &str,
        id: &str,
        patch: &EventPatch,
    ) -> Result<EventInfo, ControlError> {
        let mailbox = self.existing_mailbox(mailbox)?;
        let mut calendar = mailbox.calendar.write().unwrap_or_else(|e| e.into_inner());
        let current =
            calendar.get(id).ok_or_else(|| ControlError::NotFound(format!("no event {id:?}")))?;
        let changed = apply_patch(&current, patch, self.clock.now(), mailbox.tz)?;
        Ok(EventInfo::from(calendar.replace(changed)?.as_ref()))
    }

    pub fn remove_event(&self, mailbox: &str, id: &str) -> Result<(), ControlError> {
        let mailbox = self.existing_mailbox(mailbox)?;
        let mut calendar = mailbox.calendar.write().unwrap_or_else(|e| e.into_inner());
        calendar.remove(id)?;
        Ok(())
    }
}

fn no_mailbox(key: &str) -> ControlError {
    ControlError::NotFound(format!("no mailbox {key:?}"))
}

pub fn throttle_settings(settings: &SimulatorSettings) -> ThrottleSettings {
    ThrottleSettings {
        request_budget: settings.request_budget,
        budget_window_secs: settings.budget_window_secs,
        max_concurrency: settings.max_concurrency,
    }
}

fn mailbox_info(mailbox: &Mailbox) -> MailboxInfo {
    MailboxInfo {
        tenant: mailbox.tenant,
        upn: mailbox.upn.to_string(),
        display_name: mailbox.display_name.clone(),
        object_id: mailbox.object_id,
        time_zone: mailbox.tz_name.clone(),
        access_denied_by_policy: mailbox.access_denied_by_policy,
        events: mailbox.calendar.read().unwrap_or_else(|e| e.into_inner()).len(),
        ews_access: mailbox.ews_access(),
    }
}

/// "adele.vance@contoso.dk" becomes "Adele Vance".
fn display_name_from(upn: &str) -> String {
    let local = upn.split('@').next().unwrap_or(upn);
    local
        .split(['.', '_', '-'])
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn working_hours(spec: &WorkingHoursSpec) -> Result<WorkingHours, ControlError> {
    Ok(WorkingHours {
        days: spec.days.iter().map(|d| parse_weekday(d)).collect::<Result<_, _>>()?,
        start: parse_clock(&spec.start)?,
        end: parse_clock(&spec.end)?,
    })
}

fn random_change_key() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill(&mut bytes[..]);
    STANDARD.encode(bytes)
}

/// Graph event ids are opaque; these keep Graph's look but stay URL-safe.
fn new_event_id() -> String {
    format!("AAMkAG{}", Uuid::new_v4().simple().to_string().to_ascii_uppercase())
}

fn new_ical_uid() -> String {
    format!(
        "040000008200E00074C5B7101A82E008{}",
        Uuid::new_v4().simple().to_string().to_ascii_uppercase()
    )
}

/// Start and end of an event from its spec fields, all-day events snapped to local midnight.
fn resolve_span(
    start: &TimeInput,
    end: Option<&TimeInput>,
    duration: Option<&str>,
    all_day: bool,
    anchor: DateTime<Utc>,
    tz: Tz,
) -> Result<(DateTime<Utc>, DateTime<Utc>), ControlError> {
    let midnight = |instant: DateTime<Utc>| {
        local_to_utc(
            NaiveDateTime::new(instant.with_timezone(&tz).date_naive(), NaiveTime::MIN),
            tz,
        )
    };
    let mut start = resolve_time(start, anchor, tz)?;
    if all_day {
        start = midnight(start);
    }
    let end = match (end, duration) {
        (Some(end), _) => {
            let end = resolve_time(end, anchor, tz)?;
            if all_day { midnight(end) } else { end }
        }
        (None, Some(duration)) => start + parse_duration(duration)?,
        (None, None) if all_day => {
            let next_day = start.with_timezone(&tz).date_naive() + Days::new(1);
            local_to_utc(NaiveDateTime::new(next_day, NaiveTime::MIN), tz)
        }
        (None, None) => start + chrono::Duration::minutes(30),
    };
    if end < start {
        return Err(ControlError::Invalid("event ends before it starts".into()));
    }
    Ok((start, end))
}

pub fn build_event(
    spec: &EventSpec,
    anchor: DateTime<Utc>,
    tz: Tz,
) -> Result<StoredEvent, ControlError> {
    let start =
        spec.start.as_ref().ok_or_else(|| ControlError::Invalid("event needs a start".into()))?;
    let (start, end) =
        resolve_span(start, spec.end.as_ref(), spec.duration.as_deref(), spec.all_day, anchor, tz)?;
    let recurrence =
        spec.recurrence.as_ref().map(|r: &RecurrenceSpec| r.resolve(anchor, tz)).transpose()?;
    // The anchor is the moment the event is written.
    let now = anchor;
    Ok(StoredEvent {
        id: spec.id.clone().unwrap_or_else(new_event_id),
        subject: spec.subject.clone(),
        location: spec.location.clone(),
        start,
        end,
        show_as: parse_show_as(spec.show_as.as_deref())?,
        sensitivity: spec.sensitivity,
        is_all_day: spec.all_day,
        is_cancelled: spec.cancelled,
        recurrence,
        created: now,
        modified: now,
        change_key: random_change_key(),
        ical_uid: new_ical_uid(),
    })
}

fn apply_patch(
    current: &StoredEvent,
    patch: &EventPatch,
    anchor: DateTime<Utc>,
    tz: Tz,
) -> Result<StoredEvent, ControlError> {
    let mut event = current.clone();
    if let Some(subject) = &patch.subject {
        event.subject = subject.clone();
    }
    if let Some(location) = &patch.location {
        event.location = location.clone();
    }
    if let Some(show_as) = &patch.show_as {
        event.show_as = parse_show_as(Some(show_as))?;
    }
    if let Some(sensitivity) = patch.sensitivity {
        event.sensitivity = sensitivity;
    }
    if let Some(cancelled) = patch.cancelled {
        event.is_cancelled = cancelled;
    }
    if let Some(all_day) = patch.all_day {
        event.is_all_day = all_day;
    }
    if patch.start.is_some()
        || patch.end.is_some()
        || patch.duration.is_some()
        || patch.all_day.is_some()
    {
        let start =
            patch.start.clone().unwrap_or_else(|| TimeInput::Text(current.start.to_rfc3339()));
        // A moved start keeps the old length unless a new end or duration is given.
        let kept = format!("{}s", (current.end - current.start).num_seconds());
        let duration = patch.duration.clone().or_else(|| patch.end.is_none().then_some(kept));
        let (start, end) = resolve_span(
            &start,
            patch.end.as_ref(),
            duration.as_deref(),
            event.is_all_day,
            anchor,
            tz,
        )?;
        event.start = start;
        event.end = end;
    }
    event.modified = anchor;
    event.change_key = random_change_key();
    Ok(event)
}
