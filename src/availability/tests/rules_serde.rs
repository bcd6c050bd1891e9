//! Rules as stored per tenant: defaults, lenient JSON, normalisation.

use crate::availability::{AvailabilityRules, ShowAsRule};
use crate::domain::calendar::ShowAs;

fn parse(json: &str) -> AvailabilityRules {
    serde_json::from_str(json).expect("rules parse")
}

#[test]
fn defaults_are_the_original_product() {
    let rules = AvailabilityRules::default();
    assert_eq!(rules.busy, ShowAsRule::UNAVAILABLE);
    for ignored in [ShowAs::Free, ShowAs::Tentative, ShowAs::Oof, ShowAs::WorkingElsewhere] {
        assert_eq!(rules.rule_for(ignored), ShowAsRule::IGNORED, "{ignored:?}");
    }
    assert!(rules.show_subject && rules.show_location);
}

#[test]
fn empty_object_and_null_fields_give_defaults() {
    assert_eq!(parse("{}"), AvailabilityRules::default());
    assert_eq!(parse(r#"{"busy": null, "show_subject": null}"#), AvailabilityRules::default());
    assert_eq!(parse(r#"{"busy": {}}"#), AvailabilityRules::default());
}

#[test]
fn unknown_fields_are_ignored() {
    let rules =
        parse(r#"{"colour": "red", "busy": {"shown": true, "blink": 3}, "oof": {"shown": true}}"#);
    assert_eq!(rules, AvailabilityRules { oof: ShowAsRule::SHOWN, ..AvailabilityRules::default() });
}

#[test]
fn missing_fields_inside_a_rule_take_that_show_as_default() {
    let rules = parse(r#"{"busy": {"makes_unavailable": false}, "tentative": {"shown": true}}"#);
    assert_eq!(rules.busy, ShowAsRule::SHOWN);
    assert_eq!(rules.tentative, ShowAsRule::SHOWN);
    let rules = parse(r#"{"tentative": {"makes_unavailable": true}}"#);
    assert_eq!(rules.tentative, ShowAsRule { shown: false, makes_unavailable: true });
}

#[test]
fn round_trips_through_json() {
    let rules = AvailabilityRules {
        free: ShowAsRule::SHOWN,
        tentative: ShowAsRule::UNAVAILABLE,
        busy: ShowAsRule::UNAVAILABLE,
        oof: ShowAsRule { shown: false, makes_unavailable: true },
        working_elsewhere: ShowAsRule::IGNORED,
        show_subject: false,
        show_location: true,
    };
    let json = serde_json::to_string(&rules).expect("serialises");
    assert_eq!(parse(&json), rules);
}

#[test]
fn serialised_shape_is_stable() {
    let json = serde_json::to_value(AvailabilityRules::default()).expect("serialises");
    let ignored = serde_json::json!({"shown": false, "makes_unavailable": false});
    assert_eq!(
        json,
        serde_json::json!({
            "free": ignored,
            "tentative": ignored,
            "busy": {"shown": true, "makes_unavailable": true},
            "oof": ignored,
            "working_elsewhere": ignored,
            "show_subject": true,
            "show_location": true,
        })
    );
}

#[test]
fn wrong_types_are_rejected_rather_than_guessed() {
    assert!(serde_json::from_str::<AvailabilityRules>(r#"{"busy": "yes"}"#).is_err());
    assert!(serde_json::from_str::<AvailabilityRules>("[]").is_err());
}

#[test]
fn unavailable_but_not_shown_is_normalised_to_ignored() {
    let hidden = ShowAsRule { shown: false, makes_unavailable: true };
    assert_eq!(hidden.effective(), ShowAsRule::IGNORED);
    let rules = AvailabilityRules { oof: hidden, ..AvailabilityRules::default() };
    assert_eq!(rules.rule_for(ShowAs::Oof), ShowAsRule::IGNORED);
    assert_eq!(rules.normalized().oof, ShowAsRule::IGNORED);
    assert_eq!(rules.normalized().busy, ShowAsRule::UNAVAILABLE);
}

#[test]
fn unknown_show_as_is_never_shown() {
    let rules = AvailabilityRules {
        free: ShowAsRule::UNAVAILABLE,
        tentative: ShowAsRule::UNAVAILABLE,
        oof: ShowAsRule::UNAVAILABLE,
        working_elsewhere: ShowAsRule::UNAVAILABLE,
        ..AvailabilityRules::default()
    };
    assert_eq!(rules.rule_for(ShowAs::Unknown), ShowAsRule::IGNORED);
}
