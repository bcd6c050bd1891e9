//! Exchange Web Services (SOAP 1.1) at `/EWS/Exchange.asmx`, for on-premises organisations:
//! Basic and NTLM authentication as IIS does them, `GetUserAvailability` and `FindItem`
//! with a `CalendarView`, and EWS-shaped faults.

pub mod auth;
pub mod availability;
pub mod connections;
pub mod envelope;
pub mod find_item;
pub mod ntlm;
pub mod reply;
pub mod timezone;

use std::sync::Arc;
use std::time::Duration;

use super::counters::Outcome;
use super::faults::{EndpointKind, FaultKind, FaultProbe};
use super::graph::DEFAULT_HANG;
use super::state::{DirectoryTenant, Mailbox, Sim};
use auth::{Auth, AuthCall};
use envelope::RequestError;
use reply::EwsResponse;

pub const PATH: &str = "/EWS/Exchange.asmx";

/// Bounds what a request may make the simulator parse; 100 mailboxes fit many times over.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

pub struct EwsCall<'a> {
    /// The TCP connection the request came on, which NTLM authenticates.
    pub connection: Option<u64>,
    pub authorization: Option<&'a str>,
    pub host: &'a str,
    pub body: &'a [u8],
}

pub enum EwsReply {
    Respond(EwsResponse),
    Hang(Duration),
}

pub struct EwsServed {
    pub kind: EndpointKind,
    pub reply: EwsReply,
    pub outcome: Outcome,
}

impl EwsServed {
    fn respond(kind: EndpointKind, response: EwsResponse, outcome: Outcome) -> Self {
        EwsServed { kind, reply: EwsReply::Respond(response), outcome }
    }
}

fn kind_of(operation: &str) -> EndpointKind {
    match operation {
        "GetUserAvailabilityRequest" => EndpointKind::EwsAvailability,
        "FindItem" => EndpointKind::EwsFindItem,
        _ => EndpointKind::Ews,
    }
}

/// A mailbox the organisation's account can address: its own, by primary SMTP address.
pub fn reachable_mailbox(
    sim: &Sim,
    organisation: &DirectoryTenant,
    address: &str,
) -> Option<Arc<Mailbox>> {
    sim.mailbox(address).filter(|m| {
        m.tenant == organisation.directory_id && m.upn.eq_ignore_ascii_case(address.trim())
    })
}

/// What an injected fault does to an EWS answer, given the real one (for truncation).
fn fault_effect(fault: &FaultKind, real: impl FnOnce() -> EwsResponse) -> EwsReply {
    let respond = EwsReply::Respond;
    match fault {
        FaultKind::EwsServerBusy { back_off_ms } => respond(reply::server_busy(*back_off_ms)),
        // Exchange on-premises never answers 429; its throttling is ErrorServerBusy.
        FaultKind::TooManyRequests { retry_after } => {
            let back_off = retry_after.map(|r| match r {
                super::faults::RetryAfter::Seconds(s) => s * 1000,
                super::faults::RetryAfter::FractionalSeconds(s) => (s.max(0.0) * 1000.0) as u64,
                super::faults::RetryAfter::HttpDate { http_date_in_secs } => {
                    http_date_in_secs * 1000
                }
            });
            respond(reply::server_busy(back_off))
        }
        FaultKind::SoapFault { code, message } => respond(reply::fault(
            code.as_deref().unwrap_or("ErrorInternalServerError"),
            message
                .as_deref()
                .unwrap_or("An internal server error occurred. The operation failed."),
            None,
        )),
        FaultKind::Hang { secs } => {
            EwsReply::Hang(secs.map(Duration::from_secs).unwrap_or(DEFAULT_HANG))
        }
        FaultKind::TruncatedXml | FaultKind::TruncatedJson => {
            let mut response = real();
            let keep = response.body.len() / 2;
            response.body.truncate(keep);
            respond(response)
        }
        FaultKind::NonJson { status } => respond(reply::html_error_page(status.unwrap_or(503))),
        FaultKind::ServiceUnavailable { .. } | FaultKind::TokenEndpointDown => {
            respond(reply::html_error_page(503))
        }
        FaultKind::GatewayTimeout => respond(reply::html_error_page(504)),
    }
}

pub fn serve(sim: &Arc<Sim>, call: &EwsCall<'_>) -> EwsServed {
    let parsed = envelope::read_request(call.body);
    let kind = parsed.as_ref().map(|r| kind_of(&r.operation.name)).unwrap_or(EndpointKind::Ews);
    let organisation = match auth::authenticate(
        sim,
        &AuthCall {
            connection: call.connection,
            authorization: call.authorization,
            host: call.host,
        },
    ) {
        Auth::Organisation(organisation) => organisation,
        Auth::Refused(response) => return EwsServed::respond(kind, response, Outcome::Error),
    };
    let request = match parsed {
        Ok(request) => request,
        Err(RequestError::Malformed(reason)) => {
            return EwsServed::respond(kind, reply::schema_validation(&reason), Outcome::Error);
        }
        Err(RequestError::NotSoap) => {
            return EwsServed::respond(
                kind,
                reply::fault(
                    "ErrorInvalidRequest",
                    "The request is invalid: the body is not a SOAP envelope with an operation.",
                    None,
                ),
                Outcome::Error,
            );
        }
    };
    let addresses = match kind {
        EndpointKind::EwsAvailability => availability::addresses(&request),
        EndpointKind::EwsFindItem => find_item::addresses(&request),
        _ => Vec::new(),
    };
    let answer = || match kind {
        EndpointKind::EwsAvailability => availability::handle(sim, &organisation, &request),
        EndpointKind::EwsFindItem => find_item::handle(sim, &organisation, &request),
        _ => Err(reply::fault(
            "ErrorInvalidRequest",
            &format!(
                "The request is invalid: this server does not implement {}.",
                request.operation.name
            ),
            None,
        )),
    };
    if !sim.faults.is_empty() {
        let directory_id = organisation.directory_id.to_string();
        let mut tenant_names: Vec<&str> = vec![directory_id.as_str(), organisation.name.as_str()];
        tenant_names.extend(organisation.domains.iter().map(String::as_str));
        let mailbox_names: Vec<&str> = addresses.iter().map(String::as_str).collect();
        let probe = FaultProbe { kind, tenant_names: &tenant_names, mailbox_names: &mailbox_names };
        if let Some(fault) = sim.faults.take(&probe) {
            let reply = fault_effect(&fault, || match answer() {
                Ok(response) | Err(response) => response,
            });
            return EwsServed { kind, reply, outcome: Outcome::Fault };
        }
    }
    match answer() {
        Ok(response) => EwsServed::respond(kind, response, Outcome::Ok),
        Err(response) => EwsServed::respond(kind, response, Outcome::Error),
    }
}

#[cfg(test)]
mod tests;
