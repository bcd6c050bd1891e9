//! Microsoft's documented payloads read with the provider's own types.

use std::collections::BTreeSet;

use calbridge::providers::graph::wire::{
    BatchRequest, BatchResponse, EventPage, GraphErrorEnvelope, MemberPage, ScheduleRequest,
    ScheduleResponse, TokenErrorResponse, TokenResponse,
};
use oauth2::TokenResponse as _;

use crate::support::scenario::{microsoft_dir, microsoft_text as read};

/// Payloads of features the provider does not use (change notifications, delta queries).
const NOT_READ_BY_THE_PROVIDER: &[&str] = &[
    "graph-calendarview-delta-nextround-response.json",
    "graph-calendarview-delta-page1-response.json",
    "graph-change-notification.json",
    "graph-lifecycle-notification.json",
    "graph-subscription-create-request.json",
    "graph-subscription-create-response.json",
];

#[test]
fn every_json_fixture_is_read_or_deliberately_not_used() {
    let mut checked = BTreeSet::new();
    let mut check = |name: &'static str| {
        checked.insert(name.to_string());
        read(name)
    };

    let token: TokenResponse = serde_json::from_str(&check("token-success-response.json")).unwrap();
    assert_eq!(token.expires_in(), Some(std::time::Duration::from_secs(3599)));
    assert!(token.access_token().secret().starts_with("eyJ"));
    let observed: TokenResponse =
        serde_json::from_str(&check("token-success-response-observed-ext-expires-in.json"))
            .unwrap();
    assert!(observed.expires_in().is_some());

    let error: TokenErrorResponse =
        serde_json::from_str(&check("token-error-aadsts7000215.json")).unwrap();
    assert_eq!(error.aadsts(), Some(7000215));
    assert_eq!(error.error, "invalid_client");
    assert!(error.summary().starts_with("AADSTS7000215: Invalid client secret provided."));
    assert!(error.to_string().contains("6f6c4645-0202-4486-b625-fa957dfc4700"), "trace id kept");

    let request: ScheduleRequest =
        serde_json::from_str(&check("graph-getschedule-request.json")).unwrap();
    assert_eq!(request.schedules.len(), 2);
    assert_eq!(request.availability_view_interval, Some(60));
    let schedules: ScheduleResponse =
        serde_json::from_str(&check("graph-getschedule-response.json")).unwrap();
    assert_eq!(schedules.value.len(), 2);
    for schedule in &schedules.value {
        assert!(schedule.schedule_id.is_some() && schedule.error.is_none());
        for item in schedule.schedule_items.as_deref().unwrap() {
            item.start.to_utc().unwrap();
            item.end.to_utc().unwrap();
        }
    }
    let second = schedules.value[1].schedule_items.as_deref().unwrap();
    assert!(second.iter().all(|item| item.is_private.is_none()), "the docs omit isPrivate there");

    let page: EventPage = serde_json::from_str(&check("graph-calendarview-response.json")).unwrap();
    assert!(!page.value.is_empty());
    assert!(page.next_link.as_deref().unwrap().contains("$skip=10"));
    for event in &page.value {
        event.start.to_utc().unwrap();
        event.end.to_utc().unwrap();
    }

    let batch: BatchRequest = serde_json::from_str(&check("graph-batch-request.json")).unwrap();
    assert_eq!(batch.requests.len(), 5);
    let text = check("graph-batch-response.json");
    let answered: BatchResponse<'_> = serde_json::from_str(&text).unwrap();
    let statuses: Vec<u16> = answered.responses.iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![200, 403, 403, 405, 200]);
    let denied = answered.responses[1].body.unwrap();
    let denied: GraphErrorEnvelope = serde_json::from_str(denied.get()).unwrap();
    // Graph may leave `code` empty, as here; the message is what remains to report.
    assert!(denied.error.code.is_empty() && !denied.error.message.is_empty());

    let generic: GraphErrorEnvelope =
        serde_json::from_str(&check("graph-error-generic-example.json")).unwrap();
    assert!(!generic.error.code.is_empty() && !generic.error.message.is_empty());
    let throttled: GraphErrorEnvelope =
        serde_json::from_str(&check("graph-throttled-429-response.json")).unwrap();
    assert_eq!(throttled.error.code, "TooManyRequests");

    let members: MemberPage =
        serde_json::from_str(&check("graph-group-transitivemembers-response.json")).unwrap();
    assert_eq!(members.value.len(), 1);
    assert!(members.value[0].is_user());
    assert_eq!(members.value[0].mail.as_deref(), Some("group1@contoso.com"));
    assert!(members.next_link.is_none());
    let groups: MemberPage =
        serde_json::from_str(&check("graph-group-transitivemembers-groups-response.json")).unwrap();
    assert_eq!(groups.value.len(), 2);
    // Nested groups carry a mail address too; only the user type makes a member count.
    assert!(groups.value.iter().all(|g| !g.is_user() && g.mail.is_some()));

    let on_disk: BTreeSet<String> = std::fs::read_dir(microsoft_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    let ignored: BTreeSet<String> =
        NOT_READ_BY_THE_PROVIDER.iter().map(|s| s.to_string()).collect();
    let accounted: BTreeSet<String> = checked.union(&ignored).cloned().collect();
    assert_eq!(on_disk, accounted, "a new fixture needs a contract check or a reason");
    for name in NOT_READ_BY_THE_PROVIDER {
        serde_json::from_str::<serde_json::Value>(&read(name)).unwrap();
    }
}
