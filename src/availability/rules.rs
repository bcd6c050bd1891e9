//! Per-tenant rules: which show-as values the receptionist sees and which make someone
//! unavailable, plus whether subject and location are shown.

use serde::{Deserialize, Serialize};

use crate::domain::calendar::ShowAs;

/// What one show-as value does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct ShowAsRule {
    /// Items with this show-as are shown to the receptionist. Items that are not shown are
    /// ignored entirely by the engine.
    pub shown: bool,
    /// Items with this show-as make their owner unavailable while they run. Only honoured
    /// together with `shown`: see [`ShowAsRule::effective`].
    pub makes_unavailable: bool,
}

impl ShowAsRule {
    /// Neither shown nor affecting availability.
    pub const IGNORED: ShowAsRule = ShowAsRule { shown: false, makes_unavailable: false };
    /// Shown to the receptionist, but the person stays available.
    pub const SHOWN: ShowAsRule = ShowAsRule { shown: true, makes_unavailable: false };
    /// Shown to the receptionist and makes the person unavailable.
    pub const UNAVAILABLE: ShowAsRule = ShowAsRule { shown: true, makes_unavailable: true };

    /// The rule as the engine applies it.
    ///
    /// A value that "makes unavailable" but is not shown is treated as not making unavailable:
    /// the receptionist would otherwise see someone as unavailable with no appointment to
    /// explain why, and the portal could not show which item caused it.
    pub const fn effective(self) -> ShowAsRule {
        ShowAsRule { shown: self.shown, makes_unavailable: self.shown && self.makes_unavailable }
    }
}

/// A tenant's availability rules, stored as JSON per tenant.
///
/// `Default` is the original product's behaviour: only busy items are shown and make the person
/// unavailable; subject and location are shown. Deserialisation is lenient: unknown fields are
/// ignored and every missing field, including one missing inside a per-show-as rule, takes its
/// default value.
///
/// The fields hold what the tenant configured; the engine reads them through
/// [`AvailabilityRules::rule_for`], which normalises them (see [`ShowAsRule::effective`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "StoredRules")]
pub struct AvailabilityRules {
    /// Rule for items shown as free.
    pub free: ShowAsRule,
    /// Rule for tentative items.
    pub tentative: ShowAsRule,
    /// Rule for busy items.
    pub busy: ShowAsRule,
    /// Rule for out-of-office items.
    pub oof: ShowAsRule,
    /// Rule for working-elsewhere items.
    pub working_elsewhere: ShowAsRule,
    /// Show the subject of non-private appointments.
    pub show_subject: bool,
    /// Show the location of non-private appointments.
    pub show_location: bool,
}

impl Default for AvailabilityRules {
    fn default() -> Self {
        AvailabilityRules {
            free: ShowAsRule::IGNORED,
            tentative: ShowAsRule::IGNORED,
            busy: ShowAsRule::UNAVAILABLE,
            oof: ShowAsRule::IGNORED,
            working_elsewhere: ShowAsRule::IGNORED,
            show_subject: true,
            show_location: true,
        }
    }
}

impl AvailabilityRules {
    /// The normalised rule for `show_as`. [`ShowAs::Unknown`] is never shown.
    pub fn rule_for(&self, show_as: ShowAs) -> ShowAsRule {
        let configured = match show_as {
            ShowAs::Free => self.free,
            ShowAs::Tentative => self.tentative,
            ShowAs::Busy => self.busy,
            ShowAs::Oof => self.oof,
            ShowAs::WorkingElsewhere => self.working_elsewhere,
            ShowAs::Unknown => ShowAsRule::IGNORED,
        };
        configured.effective()
    }

    /// These rules with every per-show-as rule normalised, e.g. for the portal to store or
    /// display what will actually apply.
    pub fn normalized(self) -> AvailabilityRules {
        AvailabilityRules {
            free: self.free.effective(),
            tentative: self.tentative.effective(),
            busy: self.busy.effective(),
            oof: self.oof.effective(),
            working_elsewhere: self.working_elsewhere.effective(),
            ..self
        }
    }
}

/// The stored JSON shape, where anything may be missing; missing parts fall back to the
/// defaults of the show-as they belong to (so `{"busy": {"shown": false}}` keeps busy's
/// default `makes_unavailable`).
#[derive(Deserialize)]
struct StoredRules {
    free: Option<StoredShowAsRule>,
    tentative: Option<StoredShowAsRule>,
    busy: Option<StoredShowAsRule>,
    oof: Option<StoredShowAsRule>,
    working_elsewhere: Option<StoredShowAsRule>,
    show_subject: Option<bool>,
    show_location: Option<bool>,
}

#[derive(Deserialize)]
struct StoredShowAsRule {
    shown: Option<bool>,
    makes_unavailable: Option<bool>,
}

fn rule_or_default(stored: Option<StoredShowAsRule>, default: ShowAsRule) -> ShowAsRule {
    match stored {
        None => default,
        Some(stored) => ShowAsRule {
            shown: stored.shown.unwrap_or(default.shown),
            makes_unavailable: stored.makes_unavailable.unwrap_or(default.makes_unavailable),
        },
    }
}

impl From<StoredRules> for AvailabilityRules {
    fn from(stored: StoredRules) -> Self {
        let defaults = AvailabilityRules::default();
        AvailabilityRules {
            free: rule_or_default(stored.free, defaults.free),
            tentative: rule_or_default(stored.tentative, defaults.tentative),
            busy: rule_or_default(stored.busy, defaults.busy),
            oof: rule_or_default(stored.oof, defaults.oof),
            working_elsewhere: rule_or_default(
                stored.working_elsewhere,
                defaults.working_elsewhere,
            ),
            show_subject: stored.show_subject.unwrap_or(defaults.show_subject),
            show_location: stored.show_location.unwrap_or(defaults.show_location),
        }
    }
}
