//! Creating and reading tenants: the operator's console, a tenant's page and dashboard.

use chrono::{DateTime, Utc};
use sea_orm::prelude::Uuid;

use super::health::SyncStatus;
use super::validation::{optional_phone, optional_text, required_text};
use super::{Actor, AppState, Error, FieldErrors, Invalid, Result, TenantScope, audit};
use super::{accounts, health};
use crate::db::directory;
use crate::db::tenants::{self, NewTenant};
use crate::domain::provider::{SecretExpiry, secret_expiry};
use crate::domain::tenant::{
    DEFAULT_TIMEZONE, MAX_LICENCES, OnboardingStage, TenantState, parse_cvr, parse_timezone,
};
use crate::domain::{Email, Locale};

/// A new tenant as typed in a form or on the command line.
#[derive(Debug, Clone, Default)]
pub struct TenantInput {
    pub name: String,
    pub cvr: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub licences: String,
    pub timezone: Option<String>,
    pub locale: Option<String>,
}

/// A tenant as the operator sees it in lists.
#[derive(Debug, Clone)]
pub struct TenantRow {
    pub id: Uuid,
    pub name: String,
    pub state: TenantState,
    pub licences: i32,
    pub users: i64,
    pub enabled_users: i64,
    pub locale: String,
    pub timezone: String,
    pub created_at: DateTime<Utc>,
    pub sync: SyncStatus,
    pub stage: OnboardingStage,
    pub secret_expires_on: Option<chrono::NaiveDate>,
    pub expiry: Option<SecretExpiry>,
}

/// How far a tenant got, and when it reached each step.
#[derive(Debug, Clone, Default)]
pub struct Milestones {
    pub invited: Option<DateTime<Utc>>,
    pub company: Option<DateTime<Utc>>,
    pub connection: Option<DateTime<Utc>>,
    pub users: Option<DateTime<Utc>>,
    pub live: Option<DateTime<Utc>>,
}

impl Milestones {
    fn of(t: &crate::db::entities::tenant::Model) -> Milestones {
        Milestones {
            invited: t.invited_at,
            company: t.company_done_at,
            connection: t.connection_done_at,
            users: t.users_done_at,
            live: t.live_at.filter(|_| t.state == TenantState::Active),
        }
    }

    /// The furthest step reached.
    pub fn stage(&self) -> OnboardingStage {
        [
            (self.live, OnboardingStage::Live),
            (self.users, OnboardingStage::Users),
            (self.connection, OnboardingStage::Connection),
            (self.company, OnboardingStage::Company),
            (self.invited, OnboardingStage::Invited),
        ]
        .into_iter()
        .find_map(|(at, stage)| at.map(|_| stage))
        .unwrap_or(OnboardingStage::Created)
    }

    /// Each step with the date it was reached, in order.
    pub fn dated(&self) -> Vec<(OnboardingStage, Option<DateTime<Utc>>)> {
        vec![
            (OnboardingStage::Invited, self.invited),
            (OnboardingStage::Company, self.company),
            (OnboardingStage::Connection, self.connection),
            (OnboardingStage::Users, self.users),
            (OnboardingStage::Live, self.live),
        ]
    }
}

/// The operator console: every tenant, and how many stand at each onboarding step.
#[derive(Debug, Clone)]
pub struct Console {
    pub tenants: Vec<TenantRow>,
    pub per_stage: Vec<(OnboardingStage, usize)>,
    /// Only tenants whose secret expires within 30 days or has expired are listed.
    pub expiring_only: bool,
}

/// Everything stored about a tenant, for its page.
#[derive(Debug, Clone)]
pub struct TenantDetail {
    pub id: Uuid,
    pub name: String,
    pub state: TenantState,
    pub cvr: Option<String>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub licences: i32,
    pub users: i64,
    pub enabled_users: i64,
    pub timezone: String,
    pub locale: String,
    pub created_at: DateTime<Utc>,
    pub milestones: Milestones,
}

impl Milestones {
    pub fn from_row(t: &crate::db::entities::tenant::Model) -> Milestones {
        Milestones::of(t)
    }
}

/// A tenant member's start page.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub onboarding: bool,
    /// The wizard's step to continue at, while onboarding.
    pub resume: Option<crate::domain::tenant::WizardStep>,
    /// The client secret expires soon, or has.
    pub expiry: Option<crate::domain::provider::SecretExpiry>,
    pub users: usize,
    pub synced: usize,
    pub licences: i32,
    pub team: usize,
    pub sync: SyncStatus,
}

pub(super) fn validate(input: &TenantInput) -> Result<NewTenant, FieldErrors> {
    let mut errors = FieldErrors::default();
    let name = required_text(&mut errors, "name", &input.name, 200);
    let cvr = optional_text(&mut errors, "cvr", input.cvr.as_deref(), 20);
    let cvr = cvr.and_then(|raw| {
        let parsed = parse_cvr(&raw);
        if parsed.is_none() {
            errors.add("cvr", Invalid::Cvr);
        }
        parsed
    });
    let contact_name =
        optional_text(&mut errors, "contact_name", input.contact_name.as_deref(), 200);
    let contact_email =
        optional_text(&mut errors, "contact_email", input.contact_email.as_deref(), 254);
    if let Some(e) = &contact_email
        && Email::parse(e).is_err()
    {
        errors.add("contact_email", Invalid::Email);
    }
    let contact_phone = optional_phone(
        &mut errors,
        "contact_phone",
        input.contact_phone.as_deref(),
        Invalid::Phone,
    );
    let licences = match input.licences.trim().parse::<i32>() {
        Ok(n) if (0..=MAX_LICENCES).contains(&n) => n,
        _ => {
            errors.add("licences", Invalid::Licences);
            0
        }
    };
    let timezone = input.timezone.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let timezone = match timezone {
        None => DEFAULT_TIMEZONE.to_owned(),
        Some(raw) => match parse_timezone(raw) {
            Some(tz) => tz.name().to_owned(),
            None => {
                errors.add("timezone", Invalid::Timezone);
                String::new()
            }
        },
    };
    let locale = match input.locale.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        None => Locale::Da,
        Some(raw) => Locale::parse(raw).unwrap_or_else(|| {
            errors.add("locale", Invalid::Locale);
            Locale::Da
        }),
    };
    errors.into_result()?;
    Ok(NewTenant {
        name,
        cvr,
        contact_name,
        contact_email,
        contact_phone,
        licences,
        timezone,
        locale: locale.code().to_owned(),
    })
}

pub async fn create(state: &AppState, actor: &Actor, input: &TenantInput) -> Result<Uuid> {
    let new = validate(input).map_err(Error::Invalid)?;
    let created = tenants::create(&state.db, new, state.clock.now()).await?;
    audit::record(
        &state.db,
        state,
        actor,
        Some(created.id),
        "tenant.created",
        Some(created.name.clone()),
    )
    .await?;
    Ok(created.id)
}

/// The scope of an existing tenant, for the command line (which acts in every tenant).
pub async fn operator_scope(state: &AppState, id: Uuid) -> Result<TenantScope> {
    let found = tenants::find(&state.db, id).await?.ok_or(Error::NotFound)?;
    Ok(TenantScope::new(found.id))
}

/// The operator console, all tenants or only those whose secret expires soon.
pub async fn console(state: &AppState, expiring_only: bool) -> Result<Console> {
    let all = list(state).await?;
    let per_stage = OnboardingStage::ALL
        .iter()
        .map(|stage| (*stage, all.iter().filter(|t| t.stage == *stage).count()))
        .collect();
    let tenants = all.into_iter().filter(|t| !expiring_only || t.expiry.is_some()).collect();
    Ok(Console { tenants, per_stage, expiring_only })
}

/// Every tenant with its users and sync status, by name.
pub async fn list(state: &AppState) -> Result<Vec<TenantRow>> {
    let statuses = health::overview(state).await?;
    let rows = tenants::list_all(&state.db).await?;
    let expiries = crate::db::provider_configs::expiry_dates(&state.db).await?;
    let today = state.clock.now().date_naive();
    Ok(rows
        .into_iter()
        .map(|summary| {
            let t = summary.tenant;
            let secret_expires_on = expiries.get(&t.id).copied();
            TenantRow {
                stage: Milestones::of(&t).stage(),
                secret_expires_on,
                expiry: secret_expires_on.and_then(|d| secret_expiry(d, today)),
                sync: statuses.get(&t.id).copied().unwrap_or(SyncStatus::Unconfigured),
                id: t.id,
                name: t.name,
                state: t.state,
                licences: t.licences,
                users: summary.users,
                enabled_users: summary.enabled_users,
                locale: t.locale,
                timezone: t.timezone,
                created_at: t.created_at,
            }
        })
        .collect())
}

/// What a tenant member sees first.
pub async fn dashboard(state: &AppState, scope: TenantScope) -> Result<Dashboard> {
    let tenant = tenants::get(&state.db, scope).await?;
    let users = directory::list(&state.db, scope).await?;
    let sync = health::status(state, scope).await?;
    let today = state.clock.now().date_naive();
    let connection = crate::db::provider_configs::find(&state.db, scope).await?;
    let expiry = connection
        .and_then(|c| c.secret_expires_on)
        .and_then(|d| crate::domain::provider::secret_expiry(d, today));
    let onboarding = tenant.state == TenantState::Onboarding;
    Ok(Dashboard {
        onboarding,
        resume: onboarding
            .then(|| tenant.wizard_step.unwrap_or(crate::domain::tenant::WizardStep::Company)),
        expiry,
        synced: users.iter().filter(|u| u.sync_enabled).count(),
        users: users.len(),
        licences: tenant.licences,
        team: accounts::in_tenant(state, scope).await?.len(),
        sync,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> TenantInput {
        TenantInput { name: "Hansen & Co".into(), licences: "25".into(), ..Default::default() }
    }

    #[test]
    fn defaults_are_danish_and_copenhagen() {
        let t = validate(&input()).unwrap();
        assert_eq!((t.timezone.as_str(), t.locale.as_str()), ("Europe/Copenhagen", "da"));
        assert_eq!(t.licences, 25);
    }

    #[test]
    fn every_bad_field_is_reported() {
        let bad = TenantInput {
            name: "  ".into(),
            cvr: Some("123".into()),
            contact_email: Some("nope".into()),
            contact_phone: Some("call me".into()),
            licences: "-1".into(),
            timezone: Some("Europe/Atlantis".into()),
            locale: Some("de".into()),
            ..Default::default()
        };
        let errors = validate(&bad).unwrap_err();
        for (field, problem) in [
            ("name", Invalid::Required),
            ("cvr", Invalid::Cvr),
            ("contact_email", Invalid::Email),
            ("contact_phone", Invalid::Phone),
            ("licences", Invalid::Licences),
            ("timezone", Invalid::Timezone),
            ("locale", Invalid::Locale),
        ] {
            assert_eq!(errors.get(field), Some(problem), "{field}");
        }
    }
}
