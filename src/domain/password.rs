//! What a new password must satisfy.

pub const MIN_CHARS: usize = 12;
pub const MAX_CHARS: usize = 128;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRejected {
    #[error("the password is shorter than {MIN_CHARS} characters")]
    TooShort,
    #[error("the password is longer than {MAX_CHARS} characters")]
    TooLong,
    #[error("the password is on a list of common passwords")]
    Common,
    #[error("the password contains the e-mail address")]
    ContainsEmail,
}

/// Checks a proposed password for the account with `email`.
pub fn check_new_password(password: &str, email: &str) -> Result<(), PasswordRejected> {
    let chars = password.chars().count();
    if chars < MIN_CHARS {
        return Err(PasswordRejected::TooShort);
    }
    if chars > MAX_CHARS {
        return Err(PasswordRejected::TooLong);
    }
    let lower = password.to_lowercase();
    if passwords::analyzer::is_common_password(password)
        || passwords::analyzer::is_common_password(&lower)
    {
        return Err(PasswordRejected::Common);
    }
    let local = email.split('@').next().unwrap_or_default().to_lowercase();
    if local.chars().count() >= 4 && lower.contains(&local) {
        return Err(PasswordRejected::ContainsEmail);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforces_length_list_and_email() {
        let email = "anna.hansen@firma.dk";
        assert_eq!(check_new_password("kort", email), Err(PasswordRejected::TooShort));
        assert_eq!(check_new_password(&"x".repeat(129), email), Err(PasswordRejected::TooLong));
        assert_eq!(check_new_password("123456789012", email), Err(PasswordRejected::Common));
        assert_eq!(check_new_password("PasswordPassword", email), Err(PasswordRejected::Common));
        assert_eq!(
            check_new_password("anna.hansen-2026", email),
            Err(PasswordRejected::ContainsEmail)
        );
        assert_eq!(check_new_password("grøn kaffe på taget 7", email), Ok(()));
        assert_eq!(check_new_password(&"æ".repeat(128), email), Ok(()));
    }
}
