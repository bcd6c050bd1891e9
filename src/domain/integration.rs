//! What machine clients are sent: webhook event types and the state of a delivery.

use super::stored::stored_enum;

stored_enum! {
    /// What a webhook reports.
    pub enum EventType {
        /// A person's availability changed (a meeting started or ended, a sync saw a change).
        PresenceChanged = "presence.changed",
        /// Sent when an admin asks for it, to check the receiver.
        Test = "webhook.test",
    }
}

stored_enum! {
    pub enum DeliveryStatus {
        /// Waiting for its first or next attempt.
        Pending = "pending",
        Delivered = "delivered",
        /// Given up: the last retry failed, or the endpoint is gone.
        Failed = "failed",
    }
}

stored_enum! {
    /// Why calbridge switched an endpoint off.
    pub enum DisabledReason {
        /// The receiver answered 410 Gone.
        Gone = "gone",
        /// Every retry of a delivery failed.
        Failing = "failing",
    }
}

impl EventType {
    /// The types an admin can subscribe an endpoint to.
    pub const SUBSCRIBABLE: &'static [EventType] = &[EventType::PresenceChanged];
}
