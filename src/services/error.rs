//! The one error every use case returns, and what a refused form comes back with.
//!
//! Storage and other internal failures keep their cause chain in [`Error::Internal`] for the
//! log; the caller only ever learns which kind of failure it was.

use std::future::Future;

use super::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input has problems, field by field; nothing was changed.
    #[error("{0}")]
    Invalid(FieldErrors),
    /// The input is fine, but the current state refuses it (the last licence is taken, an
    /// admin disabling themselves); nothing was changed.
    #[error("{0}")]
    Conflict(FieldErrors),
    /// No such object, as far as the caller can see.
    #[error("not found")]
    NotFound,
    /// A one-time link that is unknown, used, revoked or expired: the holder cannot tell which,
    /// and need not.
    #[error("the link is invalid, used or expired")]
    Unusable,
    /// Too much work at once; try again in a moment.
    #[error("the service is busy")]
    Busy,
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for Error {
    fn from(e: sea_orm::DbErr) -> Error {
        Error::Internal(anyhow::Error::new(e).context("database"))
    }
}

impl From<crate::auth::password::PasswordError> for Error {
    fn from(e: crate::auth::password::PasswordError) -> Error {
        match e {
            crate::auth::password::PasswordError::Busy => Error::Busy,
            other => Error::Internal(other.into()),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A form the use case refused: its page, to show again with the problems by the fields.
#[derive(Debug)]
pub struct Refused<P> {
    pub page: P,
    pub errors: FieldErrors,
    /// The state refused the input ([`Error::Conflict`]) rather than the input being wrong.
    pub conflict: bool,
}

/// How a form's use case fails: refused with its page, or any other error.
#[derive(Debug)]
pub enum FormError<P> {
    Refused(Refused<P>),
    Other(Error),
}

impl<P> std::fmt::Display for FormError<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FormError::Refused(refused) => refused.errors.fmt(f),
            FormError::Other(e) => e.fmt(f),
        }
    }
}

impl<P: std::fmt::Debug> std::error::Error for FormError<P> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            FormError::Refused(_) => None,
            FormError::Other(e) => e.source(),
        }
    }
}

impl<P> From<Error> for FormError<P> {
    fn from(e: Error) -> FormError<P> {
        FormError::Other(e)
    }
}

impl<P> From<sea_orm::DbErr> for FormError<P> {
    fn from(e: sea_orm::DbErr) -> FormError<P> {
        FormError::Other(e.into())
    }
}

/// `result` as a form's answer: on refused input, the page `page` builds (only then).
pub(crate) async fn or_refused<T, P>(
    result: Result<T>,
    page: impl Future<Output = Result<P>>,
) -> Result<T, FormError<P>> {
    let (errors, conflict) = match result {
        Ok(value) => return Ok(value),
        Err(Error::Invalid(errors)) => (errors, false),
        Err(Error::Conflict(errors)) => (errors, true),
        Err(other) => return Err(FormError::Other(other)),
    };
    let page = page.await?;
    Err(FormError::Refused(Refused { page, errors, conflict }))
}
