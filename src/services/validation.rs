//! Field-level problems with input, reported to the portal (translated) and the CLI.

use std::fmt;

use crate::i18n::Messages;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    Required,
    /// Longer than this many characters.
    TooLong(usize),
    ControlCharacters,
    Email,
    Cvr,
    Licences,
    Timezone,
    Locale,
    Role,
    Phone,
    Extension,
    AccountExists,
    UserExists,
    NoLicenceLeft,
    PasswordTooShort,
    PasswordTooLong,
    PasswordCommon,
    PasswordContainsEmail,
    PasswordMismatch,
    CannotDisableSelf,
    DirectoryId,
    ClientId,
    SecretMissing,
    SecretLooksLikeId,
    ExpiryDate,
    SecretExpired,
    DetailLevel,
    ReauthRequired,
    ReauthWrong,
    ConnectionFirst,
    WebhookUrl,
    WebhookHttps,
    WebhookPrivate,
    WebhookUnresolvable,
    WebhookEvents,
    EwsUrl,
    EwsUrlPath,
    EwsUsername,
    EwsAuth,
    CaCertificate,
    CalendarSystem,
    // Sync enablement from an Entra group.
    GroupId,
    GroupNeedsGraph,
    // User list import
    ImportEmpty,
    ImportTooLarge,
    ImportTooManyRows,
    ImportNoEmailColumn,
    ImportRepeatedColumn,
    ImportUnreadable,
    ImportChanged,
    ImportShortfall,
    ImportNoFile,
}

impl Invalid {
    pub fn message(self, t: &Messages) -> std::borrow::Cow<'static, str> {
        let text = match self {
            Invalid::Required => t.invalid_required,
            Invalid::TooLong(max) => return t.fill(t.invalid_too_long_limit, max).into(),
            Invalid::ControlCharacters => t.invalid_control_characters,
            Invalid::Email => t.invalid_email,
            Invalid::Cvr => t.invalid_cvr,
            Invalid::Licences => t.invalid_licences,
            Invalid::Timezone => t.invalid_timezone,
            Invalid::Locale => t.invalid_locale,
            Invalid::Role => t.invalid_role,
            Invalid::Phone => t.invalid_phone,
            Invalid::Extension => t.invalid_extension,
            Invalid::AccountExists => t.invalid_account_exists,
            Invalid::UserExists => t.invalid_user_exists,
            Invalid::NoLicenceLeft => t.invalid_no_licence,
            Invalid::PasswordTooShort => t.invalid_password_short,
            Invalid::PasswordTooLong => t.invalid_password_long,
            Invalid::PasswordCommon => t.invalid_password_common,
            Invalid::PasswordContainsEmail => t.invalid_password_email,
            Invalid::PasswordMismatch => t.invalid_password_mismatch,
            Invalid::CannotDisableSelf => t.invalid_self,
            Invalid::DirectoryId => t.invalid_directory_id,
            Invalid::ClientId => t.invalid_client_id,
            Invalid::SecretMissing => t.invalid_secret_missing,
            Invalid::SecretLooksLikeId => t.invalid_secret_is_id,
            Invalid::ExpiryDate => t.invalid_expiry_date,
            Invalid::SecretExpired => t.invalid_secret_expired,
            Invalid::DetailLevel => t.invalid_detail,
            Invalid::ReauthRequired => t.invalid_reauth_required,
            Invalid::ReauthWrong => t.invalid_reauth_wrong,
            Invalid::ConnectionFirst => t.invalid_connection_first,
            Invalid::WebhookUrl => t.invalid_webhook_url,
            Invalid::WebhookHttps => t.invalid_webhook_https,
            Invalid::WebhookPrivate => t.invalid_webhook_private,
            Invalid::WebhookUnresolvable => t.invalid_webhook_unresolvable,
            Invalid::WebhookEvents => t.invalid_webhook_events,
            Invalid::EwsUrl => t.invalid_ews_url,
            Invalid::EwsUrlPath => t.invalid_ews_url_path,
            Invalid::EwsUsername => t.invalid_ews_username,
            Invalid::EwsAuth => t.invalid_ews_auth,
            Invalid::CaCertificate => t.invalid_ca_certificate,
            Invalid::CalendarSystem => t.invalid_calendar_system,
            Invalid::GroupId => t.group_invalid_id,
            Invalid::GroupNeedsGraph => t.group_needs_graph,
            Invalid::ImportEmpty => t.import_invalid_empty,
            Invalid::ImportTooLarge => t.import_invalid_too_large,
            Invalid::ImportTooManyRows => t.import_invalid_too_many_rows,
            Invalid::ImportNoEmailColumn => t.import_invalid_no_email_column,
            Invalid::ImportRepeatedColumn => t.import_invalid_repeated_column,
            Invalid::ImportUnreadable => t.import_invalid_unreadable,
            Invalid::ImportChanged => t.import_invalid_changed,
            Invalid::ImportShortfall => t.import_invalid_shortfall,
            Invalid::ImportNoFile => t.import_invalid_no_file,
        };
        text.into()
    }
}

impl From<crate::domain::password::PasswordRejected> for Invalid {
    fn from(p: crate::domain::password::PasswordRejected) -> Invalid {
        use crate::domain::password::PasswordRejected as P;
        match p {
            P::TooShort => Invalid::PasswordTooShort,
            P::TooLong => Invalid::PasswordTooLong,
            P::Common => Invalid::PasswordCommon,
            P::ContainsEmail => Invalid::PasswordContainsEmail,
        }
    }
}

/// Problems per form field; empty means the input is fine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<(&'static str, Invalid)>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, problem: Invalid) {
        if self.get(field).is_none() {
            self.0.push((field, problem));
        }
    }

    pub fn single(field: &'static str, problem: Invalid) -> FieldErrors {
        FieldErrors(vec![(field, problem)])
    }

    pub fn get(&self, field: &str) -> Option<Invalid> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, p)| *p)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when there is nothing to report.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

/// English, for the command line.
impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let en = crate::i18n::messages(crate::domain::Locale::En);
        let parts: Vec<String> =
            self.0.iter().map(|(field, p)| format!("{field}: {}", p.message(en))).collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for FieldErrors {}

/// Trims a text field; empty becomes `None`. Longer than `max` characters is a problem, and
/// so are control characters (NUL, escape sequences, line breaks): every text field is one
/// line that is shown to others, in pages and in terminals.
pub fn optional_text(
    errors: &mut FieldErrors,
    field: &'static str,
    raw: Option<&str>,
    max: usize,
) -> Option<String> {
    let value = raw.map(str::trim).filter(|v| !v.is_empty())?;
    if value.chars().any(char::is_control) {
        errors.add(field, Invalid::ControlCharacters);
    } else if value.chars().count() > max {
        errors.add(field, Invalid::TooLong(max));
    }
    Some(value.to_owned())
}

pub fn required_text(
    errors: &mut FieldErrors,
    field: &'static str,
    raw: &str,
    max: usize,
) -> String {
    let value = optional_text(errors, field, Some(raw), max);
    if value.is_none() {
        errors.add(field, Invalid::Required);
    }
    value.unwrap_or_default()
}

/// A phone number or extension: digits, spaces, `+` and `-`.
pub fn optional_phone(
    errors: &mut FieldErrors,
    field: &'static str,
    raw: Option<&str>,
    problem: Invalid,
) -> Option<String> {
    let value = optional_text(errors, field, raw, 32)?;
    if !value.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-'))
        || !value.chars().any(|c| c.is_ascii_digit())
    {
        errors.add(field, problem);
    }
    Some(value)
}
