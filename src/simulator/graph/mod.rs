//! Graph requests: routing, authentication, faults, access checks and throttling, in the
//! same order for a direct request and for a sub-request of a batch.

pub mod calendar_view;
pub mod get_schedule;
pub mod groups;
pub mod prefer;
pub mod response;

use std::sync::Arc;
use std::time::Duration;

use percent_encoding::percent_decode_str;

use super::counters::Outcome;
use super::faults::{EndpointKind, FaultKind, FaultProbe, RetryAfter, format_seconds};
use super::scenario::AppRole;
use super::state::{Sim, TokenProblem};
use super::throttle::{Admission, ConcurrencyGuard};
use response::{GraphResponse, RequestCtx};

/// How long a `hang` fault holds a request when the rule gives no duration.
pub const DEFAULT_HANG: Duration = Duration::from_secs(600);

/// A Graph request, whether it arrived on its own or inside a batch.
pub struct GraphCall<'a> {
    pub method: &'a str,
    /// The path after `/v1.0/`, still percent-encoded.
    pub path: &'a str,
    pub query: &'a str,
    pub authorization: Option<&'a str>,
    pub prefer: Option<&'a str>,
    pub client_request_id: Option<&'a str>,
    pub body: &'a [u8],
    /// Scheme and authority the client used, for `@odata.context` and `@odata.nextLink`.
    pub base: &'a str,
}

pub enum Reply {
    Respond(GraphResponse),
    Hang(Duration),
}

pub struct Served {
    pub kind: EndpointKind,
    pub reply: Reply,
    pub outcome: Outcome,
    /// Held until the response has been delayed by the configured latency.
    pub guard: Option<ConcurrencyGuard>,
}

impl Served {
    fn done(kind: EndpointKind, response: GraphResponse, outcome: Outcome) -> Self {
        Served { kind, reply: Reply::Respond(response), outcome, guard: None }
    }
}

enum Route {
    /// A group (`members`: its transitive members), by the id as written.
    Group {
        id: String,
        members: bool,
    },
    GetSchedule(String),
    CalendarView(String),
    WrongMethod(EndpointKind),
    Me,
    Unknown(String),
}

fn decode(segment: &str) -> String {
    percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

fn route(method: &str, path: &str) -> Route {
    let segments: Vec<String> =
        path.trim_matches('/').split('/').filter(|s| !s.is_empty()).map(decode).collect();
    let is = |index: usize, name: &str| {
        segments.get(index).is_some_and(|s| s.eq_ignore_ascii_case(name))
    };
    let get = method.eq_ignore_ascii_case("GET");
    let post = method.eq_ignore_ascii_case("POST");
    if is(0, "me") {
        return Route::Me;
    }
    if is(0, "groups")
        && (segments.len() == 2 || (segments.len() == 3 && is(2, "transitiveMembers")))
    {
        if !get {
            return Route::WrongMethod(EndpointKind::Groups);
        }
        return Route::Group { id: segments[1].clone(), members: segments.len() == 3 };
    }
    if !is(0, "users") || segments.len() < 3 {
        let unknown = segments.iter().find(|s| !s.eq_ignore_ascii_case("users")).cloned();
        return Route::Unknown(
            unknown.unwrap_or_else(|| segments.first().cloned().unwrap_or_default()),
        );
    }
    let user = segments[1].clone();
    let schedule = segments.len() == 4
        && is(2, "calendar")
        && (is(3, "getSchedule") || is(3, "microsoft.graph.getSchedule"));
    let view = (segments.len() == 3 && is(2, "calendarView"))
        || (segments.len() == 4 && is(2, "calendar") && is(3, "calendarView"));
    match (schedule, view) {
        (true, _) if post => Route::GetSchedule(user),
        (true, _) => Route::WrongMethod(EndpointKind::GetSchedule),
        (_, true) if get => Route::CalendarView(user),
        (_, true) => Route::WrongMethod(EndpointKind::CalendarView),
        _ => Route::Unknown(segments.last().cloned().unwrap_or_default()),
    }
}

/// The 401 Graph sends for each kind of bad bearer token.
pub fn unauthenticated(ctx: &RequestCtx, problem: &TokenProblem) -> GraphResponse {
    let message = match problem {
        TokenProblem::Missing => "Access token is empty.",
        TokenProblem::Invalid => "Access token validation failure.",
        TokenProblem::Expired => "Lifetime validation failed, the token is expired.",
    };
    response::error(ctx, 401, "InvalidAuthenticationToken", message)
}

/// What an injected fault does to a Graph response.
pub enum FaultEffect {
    Replace(GraphResponse),
    Hang(Duration),
    Truncate,
}

pub fn fault_effect(fault: &FaultKind, ctx: &RequestCtx) -> FaultEffect {
    match fault {
        FaultKind::TooManyRequests { retry_after } => FaultEffect::Replace(
            response::too_many_requests(ctx, retry_after.map(|r| r.header_value(ctx.now))),
        ),
        FaultKind::ServiceUnavailable { retry_after } => unavailable(ctx, *retry_after),
        FaultKind::TokenEndpointDown => unavailable(ctx, None),
        FaultKind::GatewayTimeout => FaultEffect::Replace(response::error(
            ctx,
            504,
            "serviceNotAvailable",
            "The server, while acting as a proxy, did not receive a timely response from the upstream server it needed to access in attempting to complete the request.",
        )),
        FaultKind::Hang { secs } => {
            FaultEffect::Hang(secs.map(Duration::from_secs).unwrap_or(DEFAULT_HANG))
        }
        FaultKind::TruncatedJson => FaultEffect::Truncate,
        FaultKind::NonJson { status } => {
            FaultEffect::Replace(response::html_error_page(ctx, status.unwrap_or(503)))
        }
        // Never routed to Graph (such rules are EWS rules); a plain 503 if one were.
        FaultKind::EwsServerBusy { .. } | FaultKind::SoapFault { .. } | FaultKind::TruncatedXml => {
            unavailable(ctx, None)
        }
    }
}

fn unavailable(ctx: &RequestCtx, retry_after: Option<RetryAfter>) -> FaultEffect {
    let mut reply = response::error(
        ctx,
        503,
        "serviceNotAvailable",
        "The service is temporarily unavailable for maintenance or is overloaded. You may repeat the request after a delay, the length of which may be specified in a Retry-After header.",
    );
    if let Some(retry_after) = retry_after {
        reply.set_header("Retry-After", retry_after.header_value(ctx.now));
    }
    FaultEffect::Replace(reply)
}

pub fn serve(sim: &Arc<Sim>, call: &GraphCall<'_>) -> Served {
    let ctx = RequestCtx::new(call.client_request_id, sim.clock.now());
    let (kind, user) = match route(call.method, call.path) {
        Route::Group { id, members } => {
            let request =
                groups::GroupRequest { id: &id, members, query: call.query, base: call.base };
            return groups::serve(sim, call.authorization, &request, &ctx);
        }
        Route::GetSchedule(user) => (EndpointKind::GetSchedule, user),
        Route::CalendarView(user) => (EndpointKind::CalendarView, user),
        Route::WrongMethod(kind) => {
            let reply = response::error(
                &ctx,
                405,
                "Request_BadRequest",
                "Specified HTTP method is not allowed for the request target.",
            );
            return Served::done(kind, reply, Outcome::Error);
        }
        Route::Me => {
            // What Graph answers an app-only token that asks for /me.
            let reply = response::error(
                &ctx,
                400,
                "BadRequest",
                "/me request is only valid with delegated authentication flow.",
            );
            return Served::done(EndpointKind::Other, reply, Outcome::Error);
        }
        Route::Unknown(segment) => {
            let reply = response::error(
                &ctx,
                400,
                "BadRequest",
                &format!("Resource not found for the segment '{segment}'."),
            );
            return Served::done(EndpointKind::Other, reply, Outcome::Error);
        }
    };
    let token = match sim.check_bearer(call.authorization) {
        Ok(token) => token,
        Err(problem) => return Served::done(kind, unauthenticated(&ctx, &problem), Outcome::Error),
    };
    let Some(tenant) = sim.tenant(&token.tenant) else {
        return Served::done(kind, unauthenticated(&ctx, &TokenProblem::Invalid), Outcome::Error);
    };
    let mailbox = sim.mailbox(&user).filter(|m| m.tenant == tenant.directory_id);

    let mut truncate = false;
    if !sim.faults.is_empty() {
        let tenant_names = tenant.names();
        let tenant_refs: Vec<&str> = tenant_names.iter().map(String::as_str).collect();
        let object_id = mailbox.as_ref().map(|m| m.object_id.to_string()).unwrap_or_default();
        let mut mailbox_refs = vec![user.as_str()];
        if let Some(mailbox) = &mailbox {
            mailbox_refs.extend([mailbox.upn.as_ref(), object_id.as_str()]);
        }
        let probe = FaultProbe { kind, tenant_names: &tenant_refs, mailbox_names: &mailbox_refs };
        if let Some(fault) = sim.faults.take(&probe) {
            match fault_effect(&fault, &ctx) {
                FaultEffect::Replace(reply) => return Served::done(kind, reply, Outcome::Fault),
                FaultEffect::Hang(duration) => {
                    return Served {
                        kind,
                        reply: Reply::Hang(duration),
                        outcome: Outcome::Fault,
                        guard: None,
                    };
                }
                FaultEffect::Truncate => truncate = true,
            }
        }
    }

    let Some(mailbox) = mailbox else {
        let reply = response::error(
            &ctx,
            404,
            "ErrorInvalidUser",
            &format!("The requested user '{user}' is invalid."),
        );
        return Served::done(kind, reply, Outcome::Error);
    };
    if tenant.role == AppRole::None {
        let reply = response::error(
            &ctx,
            403,
            "ErrorAccessDenied",
            "Access is denied. Check credentials and try again.",
        );
        return Served::done(kind, reply, Outcome::Error);
    }
    if mailbox.access_denied_by_policy {
        let reply = response::error(
            &ctx,
            403,
            "ErrorAccessDenied",
            "Access to OData is disabled: [RAOP] : Blocked by tenant configured AppOnly AccessPolicy settings.",
        );
        return Served::done(kind, reply, Outcome::Error);
    }
    let guard = match sim.throttle.admit(token.client_id, mailbox.object_id, &mailbox.upn) {
        Admission::Admitted(guard) => guard,
        Admission::OverBudget { retry_after } => {
            let seconds = format_seconds(retry_after.as_secs_f64().max(0.001));
            let reply = response::too_many_requests(&ctx, Some(seconds));
            return Served::done(kind, reply, Outcome::Throttled);
        }
        Admission::OverConcurrency => {
            let reply = response::error(
                &ctx,
                429,
                "ApplicationThrottled",
                "Application is over its MailboxConcurrency limit.",
            )
            .with_header("Retry-After", "1");
            return Served::done(kind, reply, Outcome::Throttled);
        }
    };

    let zone = prefer::output_zone(call.prefer);
    let mut reply = match kind {
        EndpointKind::GetSchedule => {
            get_schedule::handle(sim, tenant.directory_id, call.body, call.base, &ctx, &zone)
        }
        _ => calendar_view::handle(
            &mailbox,
            &calendar_view::ViewRequest { user: &user, query: call.query, base: call.base },
            &ctx,
            &zone,
        ),
    };
    if let Some(applied) = zone.preference_applied().filter(|_| reply.status == 200) {
        reply.set_header("Preference-Applied", applied);
    }
    let outcome = if truncate {
        reply = reply.truncated();
        Outcome::Fault
    } else if reply.status < 400 {
        Outcome::Ok
    } else {
        Outcome::Error
    };
    Served { kind, reply: Reply::Respond(reply), outcome, guard: Some(guard) }
}
