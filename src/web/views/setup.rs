//! The onboarding wizard's pages and the calendar connection page.

use askama::Template;
use secrecy::SecretString;

use super::Page;
use super::tenant::UserForm;
use crate::domain::provider::{DetailLevel, EwsAuth, PermissionFit, ProviderKind};
use crate::domain::tenant::WizardStep;
use crate::services::FieldErrors;
use crate::services::connection::{Action, ConnectionInput, ConnectionPage, Submission, Typed};
use crate::services::connection_test::{Item, Outcome, Report};
use crate::services::ews_connection::{EwsInput, EwsTyped};
use crate::services::onboarding::{CompanyForm, Progress, UsersStep};

/// One entry of the step indicator.
pub struct StepLink {
    pub number: usize,
    pub label: &'static str,
    pub href: String,
    pub current: bool,
    /// Reached before (may be gone back to).
    pub visited: bool,
    /// May not be opened yet.
    pub locked: bool,
}

pub fn path(step: WizardStep) -> String {
    format!("/setup/{step}")
}

pub fn step_label(page: &Page, step: WizardStep) -> &'static str {
    step_label_of(page.t, step)
}

/// The step indicator and the Back link of a wizard page.
pub struct Steps {
    pub links: Vec<StepLink>,
    pub current: WizardStep,
    pub counter: String,
    pub back: Option<String>,
}

impl Steps {
    pub fn new(page: &Page, progress: &Progress, current: WizardStep) -> Steps {
        let links = WizardStep::ALL
            .iter()
            .map(|step| StepLink {
                number: step.number(),
                label: match (*step, progress.system) {
                    (WizardStep::Entra, ProviderKind::Ews) => page.t.setup_step_exchange,
                    _ => step_label(page, *step),
                },
                href: path(*step),
                current: *step == current,
                visited: step.number() <= progress.reached.number(),
                locked: !crate::services::onboarding::open(progress, *step),
            })
            .collect();
        Steps {
            links,
            current,
            counter: page.t.fill(page.t.setup_step_of, current.number()),
            back: current.previous().map(path),
        }
    }

    pub fn next_step(&self) -> String {
        self.current.next().map(|s| s.as_str().to_owned()).unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "setup/company.html")]
pub struct CompanyView {
    pub page: Page,
    pub steps: Steps,
    pub form: CompanyForm,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "setup/calendar.html")]
pub struct CalendarView {
    pub page: Page,
    pub steps: Steps,
    /// Exchange on-premises is the current choice.
    pub ews: bool,
}

#[derive(Template)]
#[template(path = "setup/exchange.html")]
pub struct ExchangeView {
    pub page: Page,
    pub steps: Steps,
    pub script: crate::services::exchange_script::Script,
    pub only_synced: bool,
}

#[derive(Template)]
#[template(path = "setup/entra.html")]
pub struct EntraView {
    pub page: Page,
    pub steps: Steps,
}

/// The PowerShell that limits the app to one group's mailboxes.
pub struct Snippets {
    pub policy: String,
    pub rbac: String,
    pub client_known: bool,
}

impl Snippets {
    pub fn new(client_id: Option<&str>) -> Snippets {
        let app = client_id.unwrap_or("<Application (client) ID>");
        let policy = format!(
            "New-ApplicationAccessPolicy -AppId {app} `\n    -PolicyScopeGroupId calbridge-sync@example.dk `\n    -AccessRight RestrictAccess `\n    -Description \"calbridge: only these mailboxes\"\nTest-ApplicationAccessPolicy -Identity anna@example.dk -AppId {app}"
        );
        let rbac = format!(
            "New-ServicePrincipal -AppId {app} -ObjectId <Enterprise application object ID> -DisplayName calbridge\nNew-ManagementScope -Name \"calbridge mailboxes\" `\n    -RecipientRestrictionFilter \"MemberOfGroup -eq '<group distinguished name>'\"\nNew-ManagementRoleAssignment -App {app} -Role \"Application Calendars.Read\" `\n    -CustomResourceScope \"calbridge mailboxes\"\nTest-ServicePrincipalAuthorization -Identity {app} -Resource anna@example.dk"
        );
        Snippets { policy, rbac, client_known: client_id.is_some() }
    }
}

#[derive(Template)]
#[template(path = "setup/restrict.html")]
pub struct RestrictView {
    pub page: Page,
    pub steps: Steps,
    pub snippets: Snippets,
}

/// The connection form with its checklist, in the wizard or on the connection page.
pub struct ConnectionForm {
    pub action: &'static str,
    pub conn: ConnectionPage,
    pub errors: FieldErrors,
}

impl ConnectionForm {
    pub fn detail_is(&self, detail: &str) -> bool {
        let chosen = DetailLevel::parse_input(&self.conn.typed.detail).unwrap_or_default();
        chosen.as_str() == detail
    }

    pub fn has_secret(&self) -> bool {
        self.conn.connected.is_some()
    }

    pub fn is_ews(&self) -> bool {
        self.conn.system == ProviderKind::Ews
    }

    pub fn has_ews_password(&self) -> bool {
        self.conn.ews_connected.is_some()
    }

    pub fn ews_auth_is(&self, auth: &str) -> bool {
        EwsAuth::parse_input(&self.conn.ews.auth).unwrap_or_default().as_str() == auth
    }

    pub fn ews_detail_is(&self, detail: &str) -> bool {
        DetailLevel::parse_input(&self.conn.ews.detail).unwrap_or_default().as_str() == detail
    }
}

/// One checklist line in words.
pub struct CheckLine {
    pub label: &'static str,
    pub mark: &'static str,
    pub class: &'static str,
    pub problem: Option<&'static str>,
    pub fix: Option<&'static str>,
    pub note: Option<String>,
}

pub fn check_lines(page: &Page, report: &Report) -> Vec<CheckLine> {
    let t = page.t;
    report
        .lines
        .iter()
        .map(|line| {
            let label = match line.item {
                Item::Directory => t.conn_check_directory,
                Item::App => t.conn_check_app,
                Item::Secret => t.conn_check_secret,
                Item::Permission => t.conn_check_permission,
                Item::Mailbox => t.conn_check_mailbox,
                Item::Server => t.conn_check_server,
                Item::Authentication => t.conn_check_authentication,
                Item::FreeBusy => t.conn_check_free_busy,
                Item::Reviewer => t.conn_check_reviewer,
            };
            let (mark, class) = match &line.outcome {
                Outcome::Passed => (t.conn_mark_ok, "ok"),
                Outcome::Warned(_) => (t.conn_mark_warn, "warn"),
                Outcome::Failed { .. } => (t.conn_mark_failed, "bad"),
                Outcome::NotChecked => (t.conn_mark_not_checked, "skip"),
            };
            let explained = match &line.outcome {
                Outcome::Failed { reason, .. } => Some(t.explain(*reason)),
                _ => None,
            };
            CheckLine {
                label,
                mark,
                class,
                problem: explained.map(|e| e.problem),
                fix: explained.map(|e| e.fix),
                note: note(page, report, line.item, &line.outcome),
            }
        })
        .collect()
}

fn note(page: &Page, report: &Report, item: Item, outcome: &Outcome) -> Option<String> {
    let t = page.t;
    match (item, outcome) {
        (Item::Permission, Outcome::Warned(fit)) => Some(
            match fit {
                PermissionFit::MoreThanNeeded => t.conn_fit_more,
                PermissionFit::NotEnough => t.conn_fit_less,
                _ => t.conn_fit_unknown,
            }
            .to_owned(),
        ),
        (Item::Permission, Outcome::Passed) => {
            report.permissions.as_ref().map(|p| t.fill(t.conn_granted, p.join(", ")))
        }
        (Item::Authentication, Outcome::Passed) => {
            report.method.as_ref().map(|m| t.fill(t.conn_signed_in_with, m))
        }
        (Item::Mailbox | Item::FreeBusy, Outcome::Passed) => report.read.as_ref().map(|read| {
            let seen = match &read.first {
                Some(first) => t.fill(
                    t.conn_read_first,
                    format!(
                        "{} {}–{}",
                        super::availability::kind_label(t, first.show_as),
                        page.clock(&first.start),
                        page.clock(&first.end)
                    ),
                ),
                None => t.conn_read_empty.to_owned(),
            };
            format!("{}: {seen}", t.fill(t.conn_read_ok, &read.mailbox))
        }),
        (Item::Mailbox | Item::FreeBusy, Outcome::NotChecked)
            if report.mailbox.is_none() && report.passed() =>
        {
            Some(t.conn_no_mailbox.to_owned())
        }
        _ => None,
    }
}

#[derive(Template)]
#[template(path = "setup/credentials.html")]
pub struct CredentialsView {
    pub page: Page,
    pub steps: Steps,
    pub form: ConnectionForm,
    pub checks: Vec<CheckLine>,
}

#[derive(Template)]
#[template(path = "setup/users.html")]
pub struct UsersStepView {
    pub page: Page,
    pub steps: Steps,
    pub step: UsersStep,
    pub form: UserForm,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "setup/done.html")]
pub struct DoneView {
    pub page: Page,
    pub steps: Steps,
    pub live: bool,
}

#[derive(Template)]
#[template(path = "tenant/connection.html")]
pub struct ConnectionView {
    pub page: Page,
    pub form: ConnectionForm,
    pub checks: Vec<CheckLine>,
    pub warning: Option<String>,
    pub snippets: Snippets,
}

impl ConnectionView {
    pub fn status_line(&self) -> Option<String> {
        let t = self.page.t;
        if let Some(e) = &self.form.conn.ews_connected {
            let mut parts = vec![t.conn_connected.to_owned()];
            if let Some(used) = &e.last_used {
                parts.push(t.fill(t.conn_last_used, self.page.time(used)));
            }
            if let Some((at, ok)) = &e.last_test {
                let outcome = if *ok { t.conn_last_test_ok } else { t.conn_last_test_failed };
                parts.push(format!("{} {outcome}", t.fill(t.conn_last_test, self.page.time(at))));
            }
            return Some(parts.join(" · "));
        }
        let c = self.form.conn.connected.as_ref()?;
        let mut parts = vec![t.conn_connected.to_owned()];
        if let Some(date) = c.summary.secret_expires_on {
            let when = match c.days_left {
                Some(days) if days >= 0 => format!("{date} ({})", t.fill(t.conn_days_left, days)),
                _ => date.to_string(),
            };
            parts.push(t.fill(t.conn_secret_expires_in, when));
        }
        if let Some(used) = &c.last_used {
            parts.push(t.fill(t.conn_last_used, self.page.time(used)));
        }
        if let Some((at, ok)) = &c.last_test {
            let outcome = if *ok { t.conn_last_test_ok } else { t.conn_last_test_failed };
            parts.push(format!("{} {outcome}", t.fill(t.conn_last_test, self.page.time(at))));
        }
        Some(parts.join(" · "))
    }
}

#[derive(Template)]
#[template(path = "tenant/disconnect.html")]
pub struct DisconnectView {
    pub page: Page,
    pub needs_password: bool,
    pub errors: FieldErrors,
}

/// The connection form as posted.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct ConnectionFields {
    #[serde(default)]
    pub directory_id: String,
    #[serde(default)]
    pub client_id: String,
    #[serde(default)]
    pub client_secret: String,
    #[serde(default)]
    pub secret_expires: String,
    #[serde(default)]
    pub detail: String,
    #[serde(default)]
    pub test_mailbox: String,
    #[serde(default)]
    pub password: String,
    /// `save` or `test`.
    #[serde(default)]
    pub action: String,
    /// `ews` for the Exchange on-premises form; Microsoft 365 otherwise.
    #[serde(default)]
    pub system: String,
    #[serde(default)]
    pub ews_url: String,
    #[serde(default)]
    pub ews_username: String,
    #[serde(default)]
    pub ews_password: String,
    #[serde(default)]
    pub ews_auth: String,
    #[serde(default)]
    pub ews_ca_pem: String,
}

impl ConnectionFields {
    pub fn into_input(self) -> (Submission, Action) {
        let action = if self.action == "test" { Action::Test } else { Action::Save };
        if self.system == "ews" {
            let input = EwsInput {
                typed: EwsTyped {
                    url: self.ews_url,
                    username: self.ews_username,
                    auth: self.ews_auth,
                    detail: self.detail,
                    ca_pem: self.ews_ca_pem,
                    test_mailbox: self.test_mailbox,
                },
                password: SecretString::from(self.ews_password),
                admin_password: Some(SecretString::from(self.password)),
            };
            return (Submission::Ews(input), action);
        }
        let input = ConnectionInput {
            typed: Typed {
                directory_id: self.directory_id,
                client_id: self.client_id,
                secret_expires: self.secret_expires,
                detail: self.detail,
                test_mailbox: self.test_mailbox,
            },
            client_secret: SecretString::from(self.client_secret),
            password: Some(SecretString::from(self.password)),
        };
        (Submission::Graph(input), action)
    }
}

/// The company step posts the operator's new-tenant fields, less the licences.
impl From<super::operator::TenantForm> for CompanyForm {
    fn from(f: super::operator::TenantForm) -> CompanyForm {
        CompanyForm {
            name: f.name,
            cvr: f.cvr,
            contact_name: f.contact_name,
            contact_email: f.contact_email,
            contact_phone: f.contact_phone,
            timezone: f.timezone,
            locale: f.locale,
        }
    }
}

/// The wizard page title with its step.
pub fn wizard_page(ctx: &crate::web::extract::RequestContext, step: WizardStep) -> Page {
    let t = crate::i18n::messages(ctx.locale);
    Page::new(ctx, t.setup_title, "/dashboard").with_title_suffix(step_label_of(t, step))
}

fn step_label_of(t: &crate::i18n::Messages, step: WizardStep) -> &'static str {
    match step {
        WizardStep::Company => t.setup_step_company,
        WizardStep::Calendar => t.setup_step_calendar,
        WizardStep::Entra => t.setup_step_entra,
        WizardStep::Restrict => t.setup_step_restrict,
        WizardStep::Credentials => t.setup_step_credentials,
        WizardStep::Users => t.setup_step_users,
        WizardStep::Done => t.setup_step_done,
    }
}

/// A guide step of the wizard, or where to go instead.
pub fn guide_page(
    page: Page,
    progress: &Progress,
    step: WizardStep,
    script: Option<crate::services::exchange_script::Script>,
    only_synced: bool,
) -> actix_web::HttpResponse {
    let steps = Steps::new(&page, progress, step);
    match (step, script) {
        (WizardStep::Entra, Some(script)) => {
            super::ok(&ExchangeView { page, steps, script, only_synced })
        }
        (WizardStep::Calendar, _) => {
            super::ok(&CalendarView { page, steps, ews: progress.system == ProviderKind::Ews })
        }
        (WizardStep::Entra, None) => super::ok(&EntraView { page, steps }),
        (WizardStep::Restrict, _) => {
            let snippets = Snippets::new(progress.client_id.as_deref());
            super::ok(&RestrictView { page, steps, snippets })
        }
        (WizardStep::Done, _) => super::ok(&DoneView { page, steps, live: progress.live }),
        (other, _) => crate::web::see_other(path(other)),
    }
}

/// The credentials page of the wizard.
pub fn credentials_view(
    page: Page,
    progress: &Progress,
    conn: ConnectionPage,
    errors: FieldErrors,
) -> CredentialsView {
    let steps = Steps::new(&page, progress, WizardStep::Credentials);
    let checks = conn.report.as_ref().map(|r| check_lines(&page, r)).unwrap_or_default();
    let form = ConnectionForm { action: "/setup/credentials", conn, errors };
    CredentialsView { page, steps, form, checks }
}

/// The calendar connection page.
pub fn connection_view(page: Page, conn: ConnectionPage, errors: FieldErrors) -> ConnectionView {
    let checks = conn.report.as_ref().map(|r| check_lines(&page, r)).unwrap_or_default();
    let warning = page.expiry_warning(conn.connected.as_ref().and_then(|c| c.expiry.as_ref()));
    let client = conn.connected.as_ref().map(|c| c.summary.client_id.clone());
    let snippets = Snippets::new(client.as_deref());
    let form = ConnectionForm { action: "/settings/connection", conn, errors };
    ConnectionView { page, form, checks, warning, snippets }
}

/// A tested form comes back 200 when the test passed and 422 when it did not.
pub fn tested_status(conn: &ConnectionPage) -> actix_web::http::StatusCode {
    use actix_web::http::StatusCode;
    match &conn.report {
        Some(report) if !report.passed() => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    }
}

/// The disconnect form as posted.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct PasswordField {
    #[serde(default)]
    pub password: String,
}
