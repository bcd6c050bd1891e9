//! Who is calling: Basic on every request, or NTLM once per TCP connection, as IIS in front
//! of Exchange does it. Credentials identify the on-premises organisation.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::super::scenario::EwsAuthScheme;
use super::super::state::{DirectoryTenant, Sim};
use super::ntlm;
use super::reply::{self, EwsResponse};

pub enum Auth {
    Organisation(Arc<DirectoryTenant>),
    Refused(EwsResponse),
}

pub struct AuthCall<'a> {
    pub connection: Option<u64>,
    pub authorization: Option<&'a str>,
    /// For the Basic realm, as IIS names it after the host.
    pub host: &'a str,
}

/// The schemes to offer: the identified organisation's, or every organisation's when the
/// caller is not known yet (in order of first appearance, NTLM first on ties).
fn offered(sim: &Sim, organisation: Option<&DirectoryTenant>) -> Vec<EwsAuthScheme> {
    if let Some(account) = organisation.and_then(|o| o.ews.as_ref()) {
        return account.auth.clone();
    }
    let directory = sim.directory.read().unwrap_or_else(|e| e.into_inner());
    let mut schemes = Vec::new();
    for tenant in directory.ews_organisations() {
        for scheme in tenant.ews.iter().flat_map(|a| a.auth.iter()) {
            if !schemes.contains(scheme) {
                schemes.push(*scheme);
            }
        }
    }
    if schemes.is_empty() {
        schemes = vec![EwsAuthScheme::Ntlm, EwsAuthScheme::Basic];
    }
    schemes
}

fn refuse(sim: &Sim, call: &AuthCall<'_>, organisation: Option<&DirectoryTenant>) -> Auth {
    sim.counters.record_ews_unauthorized(false);
    let realm = call.host.rsplit_once(':').map(|(h, _)| h).unwrap_or(call.host);
    let realm = realm.replace('"', "");
    let challenges = offered(sim, organisation)
        .into_iter()
        .map(|scheme| match scheme {
            EwsAuthScheme::Ntlm => "NTLM".to_string(),
            EwsAuthScheme::Basic => format!("Basic realm=\"{realm}\""),
        })
        .collect();
    Auth::Refused(reply::unauthorized(challenges))
}

fn organisation_of(sim: &Sim, user: &str, domain: &str) -> Option<Arc<DirectoryTenant>> {
    sim.directory.read().unwrap_or_else(|e| e.into_inner()).ews_organisation(user, domain)
}

fn offers(organisation: &DirectoryTenant, scheme: EwsAuthScheme) -> bool {
    organisation.ews.as_ref().is_some_and(|a| a.auth.contains(&scheme))
}

fn note_connection(sim: &Sim, call: &AuthCall<'_>, organisation: &DirectoryTenant, ntlm: bool) {
    if let Some(id) = call.connection
        && let Some(open) = sim.ews_connections.attribute(id, organisation.directory_id, ntlm)
    {
        sim.counters.record_ews_connections(&organisation.directory_id.to_string(), open);
    }
}

pub fn authenticate(sim: &Sim, call: &AuthCall<'_>) -> Auth {
    let header = call.authorization.map(str::trim).unwrap_or_default();
    let (scheme, token) = header.split_once(' ').unwrap_or((header, ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return basic(sim, call, token);
    }
    if scheme.eq_ignore_ascii_case("ntlm") || scheme.eq_ignore_ascii_case("negotiate") {
        // A server with Windows authentication off never answers an NTLM negotiation.
        if !offered(sim, None).contains(&EwsAuthScheme::Ntlm) {
            return refuse(sim, call, None);
        }
        return ntlm_step(sim, call, scheme, token);
    }
    if header.is_empty()
        && let Some(id) = call.connection
        && let Some(organisation) = sim.ews_connections.signed_in(id)
        && let Some(tenant) = sim.tenant(&organisation).filter(|t| t.ews.is_some())
    {
        return Auth::Organisation(tenant);
    }
    refuse(sim, call, None)
}

fn basic(sim: &Sim, call: &AuthCall<'_>, token: &str) -> Auth {
    let decoded = STANDARD.decode(token.trim()).ok().and_then(|b| String::from_utf8(b).ok());
    let Some((login, password)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
        return refuse(sim, call, None);
    };
    let (domain, user) = login.split_once('\\').unwrap_or(("", login));
    let Some(organisation) = organisation_of(sim, user, domain) else {
        return refuse(sim, call, None);
    };
    let accepted = offers(&organisation, EwsAuthScheme::Basic)
        && organisation.ews.as_ref().is_some_and(|a| a.password == password);
    if !accepted {
        return refuse(sim, call, Some(&organisation));
    }
    note_connection(sim, call, &organisation, false);
    Auth::Organisation(organisation)
}

/// `name` is the scheme the client used (`NTLM` or `Negotiate`); the challenge comes back
/// under the same name, as IIS does.
fn ntlm_step(sim: &Sim, call: &AuthCall<'_>, name: &str, token: &str) -> Auth {
    match ntlm::decode(token) {
        Some(ntlm::Token::Negotiate) => {
            let (Some(id), Some((challenge, type2))) =
                (call.connection, ntlm::challenge(sim.clock.now()))
            else {
                return refuse(sim, call, None);
            };
            sim.ews_connections.set_challenge(id, challenge);
            sim.counters.record_ews_unauthorized(true);
            let name = if name.eq_ignore_ascii_case("negotiate") { "Negotiate" } else { "NTLM" };
            Auth::Refused(reply::unauthorized(vec![format!("{name} {type2}")]))
        }
        Some(ntlm::Token::Authenticate(message)) => {
            // The challenge must have been sent on this very connection.
            let challenge = call.connection.and_then(|id| sim.ews_connections.take_challenge(id));
            let organisation = organisation_of(sim, &message.user_name, &message.domain_name);
            let (Some(challenge), Some(organisation)) = (challenge, organisation) else {
                return refuse(sim, call, None);
            };
            let password = organisation.ews.as_ref().map(|a| a.password.as_str()).unwrap_or("");
            if !offers(&organisation, EwsAuthScheme::Ntlm)
                || !ntlm::verify(&message, challenge, password)
            {
                return refuse(sim, call, Some(&organisation));
            }
            sim.counters.record_ntlm_handshake();
            note_connection(sim, call, &organisation, true);
            Auth::Organisation(organisation)
        }
        _ => refuse(sim, call, None),
    }
}
