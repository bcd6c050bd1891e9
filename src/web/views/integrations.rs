//! The Integrations pages: API tokens, webhooks and their deliveries.

use askama::Template;

use super::Page;
use crate::domain::integration::{DeliveryStatus, DisabledReason, EventType};
use crate::services::FieldErrors;
use crate::services::api_tokens::TokenRow;
use crate::services::integrations::IntegrationsPage;
use crate::services::webhooks::{EndpointInput, EndpointRow};

/// An endpoint form as submitted: checkboxes send `events` once per ticked box, so the
/// fields are read as a list of pairs.
pub fn endpoint_input(fields: &[(String, String)]) -> EndpointInput {
    let value = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    EndpointInput {
        url: value("url").unwrap_or_default(),
        events: fields.iter().filter(|(k, _)| k == "events").map(|(_, v)| v.clone()).collect(),
        enabled: value("enabled").is_some(),
    }
}

impl Page {
    pub fn event_label(&self, event: &EventType) -> &'static str {
        match event {
            EventType::PresenceChanged => self.t.event_presence_changed,
            EventType::Test => self.t.event_test,
        }
    }

    pub fn delivery_label(&self, status: &DeliveryStatus) -> &'static str {
        match status {
            DeliveryStatus::Pending => self.t.delivery_pending,
            DeliveryStatus::Delivered => self.t.delivery_delivered,
            DeliveryStatus::Failed => self.t.delivery_failed,
        }
    }
}

#[derive(Template)]
#[template(path = "integrations/page.html")]
pub struct IntegrationsView {
    pub page: Page,
    pub tokens: Vec<TokenRow>,
    pub endpoints: Vec<EndpointRow>,
    pub token_name: String,
    pub hook: EndpointInput,
    pub events: &'static [EventType],
    pub errors: FieldErrors,
    /// Where this portal is reached, for the API's address.
    pub base_url: String,
}

impl IntegrationsView {
    pub fn new(page: Page, base_url: &str, data: IntegrationsPage) -> IntegrationsView {
        IntegrationsView {
            page,
            tokens: data.tokens,
            endpoints: data.endpoints,
            token_name: String::new(),
            hook: EndpointInput {
                enabled: true,
                events: vec![EventType::PresenceChanged.to_string()],
                ..Default::default()
            },
            events: EventType::SUBSCRIBABLE,
            errors: FieldErrors::default(),
            base_url: base_url.to_owned(),
        }
    }

    pub fn ticked(&self, event: &EventType) -> bool {
        self.hook.events.iter().any(|e| e == event.as_str())
    }
}

#[derive(Template)]
#[template(path = "integrations/webhook.html")]
pub struct WebhookView {
    pub page: Page,
    pub endpoint: EndpointRow,
    pub hook: EndpointInput,
    pub events: &'static [EventType],
    pub errors: FieldErrors,
}

impl WebhookView {
    pub fn new(
        page: Page,
        endpoint: EndpointRow,
        input: Option<EndpointInput>,
        errors: FieldErrors,
    ) -> WebhookView {
        let hook = input.unwrap_or_else(|| EndpointInput {
            url: endpoint.url.clone(),
            events: endpoint.events.iter().map(ToString::to_string).collect(),
            enabled: endpoint.enabled,
        });
        WebhookView { page, endpoint, hook, events: EventType::SUBSCRIBABLE, errors }
    }

    pub fn ticked(&self, event: &EventType) -> bool {
        self.hook.events.iter().any(|e| e == event.as_str())
    }
}

/// A token or signing secret, the one time it is shown.
#[derive(Template)]
#[template(path = "integrations/shown_once.html")]
pub struct ShownOnceView {
    pub page: Page,
    pub heading: &'static str,
    pub intro: &'static str,
    /// What it belongs to: the token's name, the endpoint's address.
    pub subject: String,
    pub value: String,
    pub back: String,
}
