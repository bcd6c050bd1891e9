//! Outgoing e-mail behind one trait, so the product does not care how mail leaves.
//!
//! The one implementation speaks SMTP (STARTTLS, implicit TLS, or plain to a local relay)
//! through `lettre`; tests run a local SMTP sink.

use async_trait::async_trait;
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};

use crate::domain::Email;

/// One plain-text message to one person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: Email,
    pub subject: String,
    pub body: String,
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: Mail) -> anyhow::Result<()>;
}

#[derive(Debug, thiserror::Error)]
pub enum MailSettingsError {
    #[error(
        "not an SMTP URL such as smtp://user:password@host:587?tls=required or smtps://host ({0})"
    )]
    Url(String),
    #[error("not a sender such as \"calbridge <noreply@example.dk>\" ({0})")]
    From(String),
}

/// Sends through an SMTP server.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    /// `url`: `smtp://host:25` (plain, for a local relay), `smtp://…:587?tls=required`
    /// (STARTTLS) or `smtps://…:465`, with `user:password@` when the server wants them.
    pub fn new(url: &SecretString, from: &str) -> Result<SmtpMailer, MailSettingsError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
            // lettre's message would repeat the URL, password included.
            .map_err(|e| MailSettingsError::Url(kind_of(&e)))?
            .timeout(Some(std::time::Duration::from_secs(20)))
            .build();
        let from = from.parse::<Mailbox>().map_err(|e| MailSettingsError::From(e.to_string()))?;
        Ok(SmtpMailer { transport, from })
    }
}

fn kind_of(error: &lettre::transport::smtp::Error) -> String {
    if error.is_client() { "the URL is not valid".into() } else { "it cannot be used".into() }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, mail: Mail) -> anyhow::Result<()> {
        let to = mail.to.as_str().parse::<Mailbox>()?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body)?;
        self.transport.send(message).await?;
        Ok(())
    }
}
