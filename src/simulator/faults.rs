//! Fault injection: rules that replace or damage the next N matching responses.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};

/// The endpoint a request was routed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndpointKind {
    Token,
    GetSchedule,
    CalendarView,
    Batch,
    /// `GET /groups/{id}` and `GET /groups/{id}/transitiveMembers`.
    Groups,
    /// A Graph path the simulator does not serve.
    Other,
    /// EWS `GetUserAvailability`.
    EwsAvailability,
    /// EWS `FindItem`.
    EwsFindItem,
    /// Any other EWS request: an unsupported operation, or a body that is not a SOAP request.
    Ews,
}

impl EndpointKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EndpointKind::Token => "token",
            EndpointKind::GetSchedule => "get_schedule",
            EndpointKind::CalendarView => "calendar_view",
            EndpointKind::Batch => "batch",
            EndpointKind::Groups => "groups",
            EndpointKind::Other => "other",
            EndpointKind::EwsAvailability => "ews_availability",
            EndpointKind::EwsFindItem => "ews_find_item",
            EndpointKind::Ews => "ews",
        }
    }

    pub fn is_ews(self) -> bool {
        matches!(
            self,
            EndpointKind::EwsAvailability | EndpointKind::EwsFindItem | EndpointKind::Ews
        )
    }
}

/// Which endpoints a fault rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultEndpoint {
    #[default]
    Any,
    Token,
    GetSchedule,
    CalendarView,
    Batch,
    Groups,
    /// Every EWS request.
    Ews,
    EwsAvailability,
    EwsFindItem,
}

impl FaultEndpoint {
    fn matches(self, kind: EndpointKind) -> bool {
        match self {
            // A batch is only a transport: `any` hits its sub-requests, so a rule behaves the
            // same whether or not the client batches. Only `batch` rules hit the envelope.
            // EWS is another service with its own failure modes: only EWS rules reach it.
            FaultEndpoint::Any => kind != EndpointKind::Batch && !kind.is_ews(),
            FaultEndpoint::Token => kind == EndpointKind::Token,
            FaultEndpoint::GetSchedule => kind == EndpointKind::GetSchedule,
            FaultEndpoint::CalendarView => kind == EndpointKind::CalendarView,
            FaultEndpoint::Batch => kind == EndpointKind::Batch,
            FaultEndpoint::Groups => kind == EndpointKind::Groups,
            FaultEndpoint::Ews => kind.is_ews(),
            FaultEndpoint::EwsAvailability => kind == EndpointKind::EwsAvailability,
            FaultEndpoint::EwsFindItem => kind == EndpointKind::EwsFindItem,
        }
    }
}

/// `Retry-After` as a 429/503 carries it: whole seconds, fractional seconds, or an HTTP-date.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RetryAfter {
    Seconds(u64),
    FractionalSeconds(f64),
    /// An HTTP-date this many seconds after the response is produced.
    HttpDate {
        http_date_in_secs: u64,
    },
}

impl RetryAfter {
    pub fn header_value(self, now: chrono::DateTime<chrono::Utc>) -> String {
        match self {
            RetryAfter::Seconds(secs) => secs.to_string(),
            RetryAfter::FractionalSeconds(secs) => format_seconds(secs),
            RetryAfter::HttpDate { http_date_in_secs } => {
                let at = now + chrono::Duration::seconds(http_date_in_secs as i64);
                at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
            }
        }
    }
}

/// Seconds with at most three decimals and no trailing zeros ("2.128", "3").
pub fn format_seconds(secs: f64) -> String {
    let text = format!("{:.3}", secs.max(0.0));
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum FaultKind {
    /// 429 `TooManyRequests`, with or without `Retry-After`.
    TooManyRequests {
        #[serde(default)]
        retry_after: Option<RetryAfter>,
    },
    /// 503; on the token endpoint this is "token endpoint down".
    ServiceUnavailable {
        #[serde(default)]
        retry_after: Option<RetryAfter>,
    },
    GatewayTimeout,
    /// Holds the request open far longer than any sane client timeout.
    Hang {
        #[serde(default)]
        secs: Option<u64>,
    },
    /// The real response, cut off half-way through its JSON.
    TruncatedJson,
    /// An HTML error page where JSON was expected.
    NonJson {
        #[serde(default)]
        status: Option<u16>,
    },
    /// Shorthand for `service_unavailable` restricted to the token endpoint.
    TokenEndpointDown,
    /// EWS only: HTTP 500 SOAP fault `ErrorServerBusy`, with a `BackOffMilliseconds` hint
    /// unless `back_off_ms` is absent.
    EwsServerBusy {
        #[serde(default)]
        back_off_ms: Option<u64>,
    },
    /// EWS only: HTTP 500 SOAP fault with this response code (default
    /// `ErrorInternalServerError`) and message.
    SoapFault {
        #[serde(default)]
        code: Option<String>,
        #[serde(default)]
        message: Option<String>,
    },
    /// EWS only: the real response, cut off half-way through its XML.
    TruncatedXml,
}

impl FaultKind {
    /// Kinds that only make sense as an EWS answer.
    pub fn is_ews_only(&self) -> bool {
        matches!(
            self,
            FaultKind::EwsServerBusy { .. } | FaultKind::SoapFault { .. } | FaultKind::TruncatedXml
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultSpec {
    #[serde(default)]
    pub endpoint: FaultEndpoint,
    /// Directory id or verified domain of a directory tenant.
    #[serde(default)]
    pub tenant: Option<String>,
    /// UPN or object id.
    #[serde(default)]
    pub mailbox: Option<String>,
    #[serde(flatten)]
    pub kind: FaultKind,
    /// Applies to this many matching requests, then retires; until cleared when absent.
    #[serde(default)]
    pub count: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActiveFault {
    pub id: u64,
    #[serde(flatten)]
    pub spec: FaultSpec,
    /// How many more requests it applies to; `None` means until cleared.
    pub remaining: Option<u32>,
}

/// What a request looks like to the fault matcher; tenant and mailbox names are all the
/// spellings the request can be known by (GUID, domains, UPN, object id).
pub struct FaultProbe<'a> {
    pub kind: EndpointKind,
    pub tenant_names: &'a [&'a str],
    pub mailbox_names: &'a [&'a str],
}

#[derive(Default)]
pub struct FaultBook {
    rules: Mutex<Vec<ActiveFault>>,
    /// Lets the hot path skip the lock entirely while no fault is configured.
    active: AtomicUsize,
    next_id: AtomicU64,
}

impl FaultBook {
    pub fn add(&self, mut spec: FaultSpec) -> u64 {
        if spec.kind == FaultKind::TokenEndpointDown {
            spec.endpoint = FaultEndpoint::Token;
        }
        if spec.kind.is_ews_only() && spec.endpoint == FaultEndpoint::Any {
            spec.endpoint = FaultEndpoint::Ews;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        rules.push(ActiveFault { id, remaining: spec.count, spec });
        self.active.store(rules.len(), Ordering::Release);
        id
    }

    pub fn remove(&self, id: u64) -> bool {
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        let before = rules.len();
        rules.retain(|rule| rule.id != id);
        self.active.store(rules.len(), Ordering::Release);
        rules.len() != before
    }

    pub fn clear(&self) {
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        rules.clear();
        self.active.store(0, Ordering::Release);
    }

    /// True while no rule is configured; callers skip building a probe then.
    pub fn is_empty(&self) -> bool {
        self.active.load(Ordering::Acquire) == 0
    }

    pub fn list(&self) -> Vec<ActiveFault> {
        self.rules.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The first matching rule's fault, consuming one use of it.
    pub fn take(&self, probe: &FaultProbe<'_>) -> Option<FaultKind> {
        if self.active.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut rules = self.rules.lock().unwrap_or_else(|e| e.into_inner());
        let index = rules.iter().position(|rule| matches(&rule.spec, probe))?;
        let rule = &mut rules[index];
        let kind = rule.spec.kind.clone();
        if let Some(remaining) = rule.remaining.as_mut() {
            *remaining = remaining.saturating_sub(1);
            if *remaining == 0 {
                rules.remove(index);
                self.active.store(rules.len(), Ordering::Release);
            }
        }
        Some(kind)
    }
}

fn matches(spec: &FaultSpec, probe: &FaultProbe<'_>) -> bool {
    let named = |wanted: &Option<String>, names: &[&str]| match wanted {
        None => true,
        Some(wanted) => names.iter().any(|name| name.eq_ignore_ascii_case(wanted)),
    };
    spec.endpoint.matches(probe.kind)
        && named(&spec.tenant, probe.tenant_names)
        && named(&spec.mailbox, probe.mailbox_names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counted_rules_retire_and_filters_apply() {
        let book = FaultBook::default();
        book.add(FaultSpec {
            endpoint: FaultEndpoint::CalendarView,
            tenant: None,
            mailbox: Some("A@x.dk".into()),
            kind: FaultKind::GatewayTimeout,
            count: Some(2),
        });
        let probe = |kind, mailbox| FaultProbe { kind, tenant_names: &[], mailbox_names: mailbox };
        assert_eq!(book.take(&probe(EndpointKind::GetSchedule, &["a@x.dk"])), None);
        assert_eq!(book.take(&probe(EndpointKind::CalendarView, &["b@x.dk"])), None);
        assert!(book.take(&probe(EndpointKind::CalendarView, &["a@x.dk"])).is_some());
        assert!(book.take(&probe(EndpointKind::CalendarView, &["a@x.dk"])).is_some());
        assert_eq!(book.take(&probe(EndpointKind::CalendarView, &["a@x.dk"])), None);
        assert!(book.list().is_empty());
    }

    #[test]
    fn spec_parses_flat_from_toml_and_json() {
        let from_toml: FaultSpec =
            toml::from_str("endpoint = \"get_schedule\"\nfault = \"too_many_requests\"\nretry_after = 2.128\ncount = 1")
                .unwrap();
        assert_eq!(
            from_toml.kind,
            FaultKind::TooManyRequests { retry_after: Some(RetryAfter::FractionalSeconds(2.128)) }
        );
        let from_json: FaultSpec = serde_json::from_str(
            r#"{"fault":"too_many_requests","retry_after":{"http_date_in_secs":5}}"#,
        )
        .unwrap();
        assert_eq!(
            from_json.kind,
            FaultKind::TooManyRequests {
                retry_after: Some(RetryAfter::HttpDate { http_date_in_secs: 5 })
            }
        );
        let whole: FaultSpec =
            serde_json::from_str(r#"{"fault":"service_unavailable","retry_after":3}"#).unwrap();
        assert_eq!(
            whole.kind,
            FaultKind::ServiceUnavailable { retry_after: Some(RetryAfter::Seconds(3)) }
        );
        assert_eq!(format_seconds(2.128), "2.128");
        assert_eq!(format_seconds(3.0), "3");
    }
}
