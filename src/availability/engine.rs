//! The availability engine: `(rules, calendar items, now) -> Availability`.
//!
//! Items are half-open intervals `[start, end)`. Items with `end <= start` and items whose
//! show-as is not shown are ignored entirely. Evaluation is two linear passes over the items
//! plus, only while the person is unavailable, a sort of the unavailable items that have not
//! ended yet; it allocates nothing beyond that and the visible appointment's strings.

use std::cmp::Reverse;

use chrono::{DateTime, Utc};

use super::output::{
    AppliedRule, Availability, AvailabilityState, ExplainedItem, Explanation, VisibleAppointment,
};
use super::rules::{AvailabilityRules, ShowAsRule};
use crate::domain::calendar::{CalendarItem, ShowAs};

/// Evaluates someone's availability at `now` from their calendar items.
///
/// The order of `items` does not matter. Never panics, whatever the items.
pub fn evaluate(
    rules: &AvailabilityRules,
    items: &[CalendarItem],
    now: DateTime<Utc>,
) -> Availability {
    let mut deciding: Option<Shown<'_>> = None;
    let mut covered_by_unavailable = false;
    let mut next_unavailable_start: Option<DateTime<Utc>> = None;
    // Per strength, the earliest shown item starting after now: the first of them stronger than
    // the deciding item is where the state changes next.
    let mut next_start_by_strength: [Option<DateTime<Utc>>; STRENGTH_LEVELS] =
        [None; STRENGTH_LEVELS];

    for item in items {
        let Some(shown) = Shown::new(rules, item) else { continue };
        if covers(item, now) {
            covered_by_unavailable |= shown.rule.makes_unavailable;
            let outranks_current = deciding
                .as_ref()
                .is_none_or(|current| shown.precedence(rules) < current.precedence(rules));
            if outranks_current {
                deciding = Some(shown);
            }
        } else if item.start > now {
            keep_earliest(&mut next_start_by_strength[shown.strength], item.start);
            if shown.rule.makes_unavailable {
                keep_earliest(&mut next_unavailable_start, item.start);
            }
        }
    }

    let until = if covered_by_unavailable {
        Some(end_of_unavailable_block(rules, items, now))
    } else {
        next_unavailable_start
    };

    let next_stronger_start = next_start_by_strength
        .iter()
        .enumerate()
        .filter(|(strength, _)| deciding.as_ref().is_none_or(|d| *strength > d.strength))
        .filter_map(|(_, start)| *start)
        .min();
    // `until` always flips `available`; the deciding item's end and a stronger item's start
    // always change the appointment. Nothing else can change the outcome.
    let next_change_at = [until, deciding.as_ref().map(|d| d.item.end), next_stronger_start]
        .into_iter()
        .flatten()
        .min();

    let available = !covered_by_unavailable;
    match deciding {
        None => Availability {
            available,
            state: AvailabilityState::Free,
            until,
            next_change_at,
            appointment: None,
            explanation: Explanation::NoShownItemCoversNow,
        },
        Some(deciding) => {
            let item = explained(deciding.item);
            let rule = applied(deciding.item.show_as, deciding.rule);
            let explanation = if deciding.rule.makes_unavailable {
                Explanation::ShownItemMakesUnavailable { item, rule }
            } else if covered_by_unavailable {
                Explanation::OverlappingItemMakesUnavailable { item, rule }
            } else {
                Explanation::ShownItemKeepsAvailable { item, rule }
            };
            Availability {
                available,
                state: AvailabilityState::from(deciding.item.show_as),
                until,
                next_change_at,
                appointment: Some(visible(rules, deciding.item)),
                explanation,
            }
        }
    }
}

/// Number of distinct strengths [`strength`] hands out.
const STRENGTH_LEVELS: usize = 5;

/// How strongly a show-as claims its owner's time: oof > busy > tentative > working elsewhere >
/// free. `None` for values that are never shown.
fn strength(show_as: ShowAs) -> Option<usize> {
    match show_as {
        ShowAs::Free => Some(0),
        ShowAs::WorkingElsewhere => Some(1),
        ShowAs::Tentative => Some(2),
        ShowAs::Busy => Some(3),
        ShowAs::Oof => Some(4),
        ShowAs::Unknown => None,
    }
}

/// An item the engine takes into account, with the rule that applies to it.
struct Shown<'a> {
    item: &'a CalendarItem,
    rule: ShowAsRule,
    strength: usize,
}

impl<'a> Shown<'a> {
    /// `None` for items the engine ignores: empty or inverted intervals, and show-as values the
    /// tenant does not show.
    fn new(rules: &AvailabilityRules, item: &'a CalendarItem) -> Option<Shown<'a>> {
        if item.end <= item.start {
            return None;
        }
        let rule = rules.rule_for(item.show_as);
        let strength = strength(item.show_as)?;
        rule.shown.then_some(Shown { item, rule, strength })
    }

    /// The smaller precedence wins among items covering the same instant.
    fn precedence(&self, rules: &AvailabilityRules) -> Precedence<'a> {
        Precedence {
            strength: Reverse(self.strength),
            start: self.item.start,
            end: Reverse(self.item.end),
            private: self.item.private,
            all_day: self.item.all_day,
            subject: visible_subject(rules, self.item),
            location: visible_location(rules, self.item),
        }
    }
}

/// Total order between covering items, compared field by field, so that the deciding item never
/// depends on the order of the input. After strength: earliest start, then latest end, then
/// non-private before private, then timed before all-day, then visible subject and location.
/// Items that tie on all of it look the same to the receptionist, so either may win.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Precedence<'a> {
    strength: Reverse<usize>,
    start: DateTime<Utc>,
    end: Reverse<DateTime<Utc>>,
    private: bool,
    all_day: bool,
    subject: Option<&'a str>,
    location: Option<&'a str>,
}

fn covers(item: &CalendarItem, now: DateTime<Utc>) -> bool {
    item.start <= now && now < item.end
}

fn keep_earliest(slot: &mut Option<DateTime<Utc>>, candidate: DateTime<Utc>) {
    if slot.is_none_or(|current| candidate < current) {
        *slot = Some(candidate);
    }
}

/// When the person is free again, given that an unavailable item covers `now`: unavailable
/// items that overlap or touch (end == next start) form one block.
fn end_of_unavailable_block(
    rules: &AvailabilityRules,
    items: &[CalendarItem],
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let mut not_over: Vec<(DateTime<Utc>, DateTime<Utc>)> = items
        .iter()
        .filter_map(|item| Shown::new(rules, item))
        .filter(|shown| shown.rule.makes_unavailable && shown.item.end > now)
        .map(|shown| (shown.item.start, shown.item.end))
        .collect();
    not_over.sort_unstable();

    let mut block_end = now;
    for (start, end) in not_over {
        // Items starting at or before `now` cover it (they have not ended), so they all belong
        // to the block; later ones belong to it while they touch what is merged so far.
        if start > block_end {
            break;
        }
        block_end = block_end.max(end);
    }
    block_end
}

fn visible_subject<'a>(rules: &AvailabilityRules, item: &'a CalendarItem) -> Option<&'a str> {
    // Never trust the provider to have stripped private items.
    if item.private || !rules.show_subject { None } else { item.subject.as_deref() }
}

fn visible_location<'a>(rules: &AvailabilityRules, item: &'a CalendarItem) -> Option<&'a str> {
    if item.private || !rules.show_location { None } else { item.location.as_deref() }
}

fn visible(rules: &AvailabilityRules, item: &CalendarItem) -> VisibleAppointment {
    VisibleAppointment {
        subject: visible_subject(rules, item).map(str::to_owned),
        location: visible_location(rules, item).map(str::to_owned),
        private: item.private,
        start: item.start,
        end: item.end,
        show_as: item.show_as,
        all_day: item.all_day,
    }
}

fn explained(item: &CalendarItem) -> ExplainedItem {
    ExplainedItem {
        start: item.start,
        end: item.end,
        show_as: item.show_as,
        private: item.private,
        all_day: item.all_day,
    }
}

fn applied(show_as: ShowAs, rule: ShowAsRule) -> AppliedRule {
    AppliedRule { show_as, shown: rule.shown, makes_unavailable: rule.makes_unavailable }
}
