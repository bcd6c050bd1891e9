//! Whatever Microsoft (or whoever answers in its place) sends back, the provider answers for
//! every mailbox it was asked about and never panics: arbitrary bytes, and structure-aware
//! mutations of Microsoft's own payloads (`tests/fixtures/microsoft`), 2,000 cases each.

use std::time::Duration;

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use secrecy::SecretString;
use serde_json::{Value, json};

use super::exchange::{Plan, Reply, Sent};
use super::progress::Progress;
use super::requests::Job;
use super::transport::{CallCounters, Received};
use super::wire::{TokenErrorResponse, TokenResponse};
use super::{GraphProvider, GraphSettings};
use crate::domain::provider::DetailLevel;
use crate::domain::timezone::parse_date_time_time_zone;
use crate::providers::TimeWindow;
use crate::providers::error::AuthProblem;
use crate::providers::retry::parse_retry_after;

const CASES: u32 = 2_000;

const SCHEDULE: &str =
    include_str!("../../../tests/fixtures/microsoft/graph-getschedule-response.json");
const VIEW: &str =
    include_str!("../../../tests/fixtures/microsoft/graph-calendarview-response.json");
const BATCH: &str = include_str!("../../../tests/fixtures/microsoft/graph-batch-response.json");
const TOKEN: &str = include_str!("../../../tests/fixtures/microsoft/token-success-response.json");
const TOKEN_ERROR: &str =
    include_str!("../../../tests/fixtures/microsoft/token-error-aadsts7000215.json");

/// The mailboxes of the getSchedule fixture, so that its answers match what was asked.
const MAILBOXES: [&str; 2] = ["adelev@contoso.onmicrosoft.com", "meganb@contoso.onmicrosoft.com"];

fn config() -> ProptestConfig {
    ProptestConfig { cases: CASES, failure_persistence: None, ..ProptestConfig::default() }
}

fn fixture(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_900_000_000, 0).unwrap_or_default()
}

/// Zone names as Graph writes them: UTC, IANA, Windows, and nonsense.
fn zone() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("UTC".to_owned()),
        Just("Romance Standard Time".to_owned()),
        Just("Pacific Standard Time".to_owned()),
        Just("Europe/Copenhagen".to_owned()),
        Just("tzone://Microsoft/Custom".to_owned()),
        "\\PC{0,24}",
    ]
}

/// Date-times as Graph writes them, near misses and nonsense.
fn date_time() -> impl Strategy<Value = String> {
    prop_oneof![
        (1i32..=9999, 1u32..=12, 1u32..=31, 0u32..=24, 0u32..=60, 0u32..=60, "[0-9]{0,9}")
            .prop_map(|(y, mo, d, h, mi, s, f)| format!(
                "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{f}"
            )),
        "[0-9T:.Z+-]{0,32}",
        "\\PC{0,32}",
    ]
}

/// Any JSON value a few levels deep, biased towards what Graph's fields hold.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "\\PC{0,16}".prop_map(Value::from),
        date_time().prop_map(Value::from),
        zone().prop_map(Value::from),
        prop::sample::select(vec![
            "busy",
            "Free",
            "oof",
            "workingElsewhere",
            "private",
            "5009",
            "0"
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("\\PC{0,8}", inner), 0..4)
                .prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// Every JSON pointer into a document, the root included.
fn pointers(doc: &Value, at: String, out: &mut Vec<String>) {
    match doc {
        Value::Object(map) => {
            for (key, value) in map {
                let escaped = key.replace('~', "~0").replace('/', "~1");
                pointers(value, format!("{at}/{escaped}"), out);
            }
        }
        Value::Array(items) => {
            for (index, value) in items.iter().enumerate() {
                pointers(value, format!("{at}/{index}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

/// Replaces the value at each picked place (chosen by index among all places) in turn.
fn mutate(mut doc: Value, picks: &[(usize, Value)]) -> Value {
    for (pick, replacement) in picks {
        let mut places = Vec::new();
        pointers(&doc, String::new(), &mut places);
        let place = &places[pick % places.len()];
        match doc.pointer_mut(place) {
            Some(slot) => *slot = replacement.clone(),
            None => doc = replacement.clone(),
        }
    }
    doc
}

fn picks() -> impl Strategy<Value = Vec<(usize, Value)>> {
    prop::collection::vec((any::<usize>(), any_json()), 0..4)
}

/// A document's bytes, sometimes cut short.
fn bytes_of(doc: &Value, cut: Option<usize>) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(doc).unwrap_or_default();
    if let Some(cut) = cut {
        bytes.truncate(cut % (bytes.len() + 1));
    }
    bytes
}

fn provider(detail: DetailLevel) -> Option<GraphProvider> {
    let settings = GraphSettings::new(
        "contoso.onmicrosoft.com",
        "a8fdfbd0-da97-42d9-8f1a-fd6a7cb650b4",
        SecretString::from("secret"),
        detail,
    );
    GraphProvider::new(settings).ok()
}

/// Feeds `answers` to a call, one batch reply per round, as the transport would hand them
/// over, and returns how many mailboxes got an answer.
fn absorb(detail: DetailLevel, answers: Vec<(u16, Option<String>, Vec<u8>)>) -> usize {
    match outcome(detail, answers) {
        Some(Ok(results)) => results.len(),
        Some(Err(_)) => MAILBOXES.len(),
        None => 0,
    }
}

type Outcome = Result<Vec<super::exchange::MailboxResult>, crate::providers::error::ProviderError>;

fn outcome(detail: DetailLevel, answers: Vec<(u16, Option<String>, Vec<u8>)>) -> Option<Outcome> {
    let provider = provider(detail)?;
    let start = now();
    let window = TimeWindow::new(start, start + chrono::Duration::hours(37)).ok()?;
    let plan = Plan {
        addresses: MAILBOXES.iter().map(|m| (*m).to_owned()).collect(),
        window,
        batch_url: "https://graph.microsoft.com/v1.0/$batch".into(),
    };
    let mut progress = Progress::new(&plan, &provider);
    let counters = CallCounters::default();
    for (status, retry_after, body) in answers {
        // Whatever waits for a retry is due at once: the test replays, it does not wait.
        progress.promote_ready(std::time::Instant::now() + Duration::from_secs(86_400 * 365));
        let jobs: Vec<Job> = progress.queue.drain(..).collect();
        if jobs.is_empty() || progress.fatal.is_some() {
            break;
        }
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(value) = retry_after.and_then(|v| v.parse().ok()) {
            headers.insert(reqwest::header::RETRY_AFTER, value);
        }
        let received = Received { status, headers, body };
        let sent = Sent {
            jobs,
            token_generation: 1,
            reply: Reply::Received(received),
            elapsed: Duration::ZERO,
        };
        progress.absorb(sent, &counters);
    }
    Some(progress.finish())
}

/// The harness is only worth its cases if Microsoft's own answers come through it as answers.
#[test]
fn the_unmutated_fixtures_are_read() {
    let schedule = format!(r#"{{"responses":[{{"id":"0","status":200,"body":{SCHEDULE}}}]}}"#);
    let results = outcome(DetailLevel::FreeBusy, vec![(200, None, schedule.into_bytes())]);
    let results = results.and_then(Result::ok).unwrap_or_default();
    assert_eq!(results.len(), 2);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    // The fixture's page has a next page; here it is the last one.
    let mut page = fixture(VIEW);
    if let Some(object) = page.as_object_mut() {
        object.remove("@odata.nextLink");
    }
    let view = json!({"responses": [
        {"id": "0", "status": 200, "body": page},
        {"id": "1", "status": 200, "body": page},
    ]});
    let results = outcome(DetailLevel::Full, vec![(200, None, bytes_of(&view, None))]);
    let results = results.and_then(Result::ok).unwrap_or_default();
    assert_eq!(results.len(), 2);
    assert!(results.iter().all(|r| r.as_ref().is_ok_and(|items| !items.is_empty())), "{results:?}");
}

fn status() -> impl Strategy<Value = u16> {
    prop_oneof![
        4 => Just(200u16),
        1 => prop::sample::select(vec![400u16, 401, 403, 404, 429, 500, 503, 504]),
        1 => any::<u16>(),
    ]
}

fn retry_after() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        "[0-9]{1,12}(\\.[0-9]{1,6})?",
        Just("Wed, 21 Oct 2015 07:28:00 GMT".to_owned()),
        "\\PC{0,24}",
    ])
}

/// One batch item's body: a mutated fixture as JSON, the same as base64 (as Graph sends
/// some bodies), or anything.
fn item_body(fixture_text: &'static str) -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => picks().prop_map(move |p| mutate(fixture(fixture_text), &p)),
        1 => picks().prop_map(move |p| {
            use base64::Engine;
            let bytes = serde_json::to_vec(&mutate(fixture(fixture_text), &p)).unwrap_or_default();
            Value::from(base64::engine::general_purpose::STANDARD.encode(bytes))
        }),
        1 => any_json(),
    ]
}

/// A batch reply answering items `0..count`, each with its own status, headers and body,
/// then mutated as a whole.
fn batch(fixture_text: &'static str, count: usize) -> impl Strategy<Value = Vec<u8>> {
    let item = (status(), retry_after(), item_body(fixture_text));
    (prop::collection::vec(item, count..=count + 1), picks(), prop::option::of(any::<usize>()))
        .prop_map(|(items, picks, cut)| {
            let responses: Vec<Value> = items
                .into_iter()
                .enumerate()
                .map(|(id, (status, retry_after, body))| {
                    let mut headers = json!({"Content-Type": "application/json"});
                    if let Some(value) = retry_after {
                        headers["Retry-After"] = Value::from(value);
                    }
                    json!({"id": id.to_string(), "status": status, "headers": headers, "body": body})
                })
                .collect();
            bytes_of(&mutate(json!({ "responses": responses }), &picks), cut)
        })
}

fn rounds(
    body: impl Strategy<Value = Vec<u8>>,
) -> impl Strategy<Value = Vec<(u16, Option<String>, Vec<u8>)>> {
    prop::collection::vec((status(), retry_after(), body), 1..4)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_as_a_batch_reply(
        detail in prop::sample::select(vec![DetailLevel::FreeBusy, DetailLevel::Full]),
        answers in rounds(prop::collection::vec(any::<u8>(), 0..256)),
    ) {
        prop_assert_eq!(absorb(detail, answers), MAILBOXES.len());
    }

    #[test]
    fn mutated_get_schedule_answers(answers in rounds(batch(SCHEDULE, 1))) {
        prop_assert_eq!(absorb(DetailLevel::FreeBusy, answers), MAILBOXES.len());
    }

    #[test]
    fn mutated_calendar_view_pages(answers in rounds(batch(VIEW, MAILBOXES.len()))) {
        prop_assert_eq!(absorb(DetailLevel::Full, answers), MAILBOXES.len());
    }

    #[test]
    fn mutated_batch_fixture(
        detail in prop::sample::select(vec![DetailLevel::FreeBusy, DetailLevel::Full]),
        picks in picks(),
        cut in prop::option::of(any::<usize>()),
    ) {
        let body = bytes_of(&mutate(fixture(BATCH), &picks), cut);
        prop_assert_eq!(absorb(detail, vec![(200, None, body)]), MAILBOXES.len());
    }

    #[test]
    fn token_responses_and_errors(
        success in picks(),
        error in picks(),
        bytes in prop::collection::vec(any::<u8>(), 0..256),
    ) {
        for body in [
            bytes_of(&mutate(fixture(TOKEN), &success), None),
            bytes_of(&mutate(fixture(TOKEN_ERROR), &error), None),
            bytes,
        ] {
            let _ = serde_json::from_slice::<TokenResponse>(&body);
            if let Ok(refusal) = serde_json::from_slice::<TokenErrorResponse>(&body) {
                let _ = (refusal.summary().len(), refusal.to_string());
                if let Some(code) = refusal.aadsts() {
                    let _ = AuthProblem::from_aadsts(code);
                }
            }
        }
    }

    #[test]
    fn retry_after_values(value in prop_oneof!["\\PC{0,40}", "[0-9.eE+-]{1,24}", retry_after().prop_map(Option::unwrap_or_default)]) {
        if let Some(wait) = parse_retry_after(&value, now()) {
            // A date in the past is no wait at all, never a negative one.
            prop_assert!(wait.as_secs_f64() >= 0.0);
        }
    }

    #[test]
    fn date_time_time_zone_pairs(date_time in date_time(), zone in zone()) {
        let _ = parse_date_time_time_zone(&date_time, &zone);
    }
}
