//! End to end over HTTPS: authentication, both operations and their error shapes.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ntlmclient::{Credentials, Flags, Message, NegotiateMessage, OsVersion};

use crate::simulator::{EwsAccess, Scenario, Simulator, SimulatorHandle};

const SCENARIO: &str = r#"
[[tenants]]
name = "Fjordby Kommune"
directory_id = "0f0f0f0f-0000-4000-8000-000000000001"
domains = ["fjordby.dk"]
client_id = "0f0f0f0f-0000-4000-8000-000000000002"
client_secret = "unused"
ews = { username = "FJORDBY\\monitor", password = "Sommer2026!" }

[[tenants.mailboxes]]
upn = "anne@fjordby.dk"
time_zone = "Europe/Copenhagen"

[[tenants.mailboxes.events]]
id = "private-1"
subject = "Lægebesøg <privat> & mere"
location = "Klinik"
start = "2026-03-02T09:00:00Z"
duration = "1h"
sensitivity = "private"

[[tenants.mailboxes.events]]
subject = "Standup"
start = "2026-03-02T08:00:00Z"
duration = "15m"
show_as = "tentative"
recurrence = { pattern = "daily", count = 3 }

[[tenants.mailboxes]]
upn = "bo@fjordby.dk"
ews_access = "free_busy"
"#;

async fn start() -> (SimulatorHandle, reqwest::Client) {
    let scenario = Scenario::from_toml_str(SCENARIO).unwrap();
    let sim = Simulator::start(scenario, "127.0.0.1:0").await.unwrap();
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(sim.ca_pem().as_bytes()).unwrap())
        .pool_max_idle_per_host(1)
        .build()
        .unwrap();
    (sim, client)
}

fn envelope(body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><soap:Header><t:RequestServerVersion Version="Exchange2013"/></soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>"#
    )
}

fn availability(addresses: &[&str], view: &str) -> String {
    let data: String = addresses
        .iter()
        .map(|a| format!("<t:MailboxData><t:Email><t:Address>{a}</t:Address></t:Email><t:AttendeeType>Required</t:AttendeeType></t:MailboxData>"))
        .collect();
    envelope(&format!(
        "<m:GetUserAvailabilityRequest><t:TimeZone><t:Bias>0</t:Bias></t:TimeZone><m:MailboxDataArray>{data}</m:MailboxDataArray><t:FreeBusyViewOptions><t:TimeWindow><t:StartTime>2026-03-02T00:00:00</t:StartTime><t:EndTime>2026-03-03T00:00:00</t:EndTime></t:TimeWindow><t:MergedFreeBusyIntervalInMinutes>60</t:MergedFreeBusyIntervalInMinutes><t:RequestedView>{view}</t:RequestedView></t:FreeBusyViewOptions></m:GetUserAvailabilityRequest>"
    ))
}

fn find_item(address: &str, max: usize) -> String {
    envelope(&format!(
        r#"<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape><t:AdditionalProperties><t:FieldURI FieldURI="item:Subject"/><t:FieldURI FieldURI="item:Sensitivity"/><t:FieldURI FieldURI="calendar:Start"/><t:FieldURI FieldURI="calendar:CalendarItemType"/></t:AdditionalProperties></m:ItemShape><m:CalendarView MaxEntriesReturned="{max}" StartDate="2026-03-01T00:00:00Z" EndDate="2026-03-10T00:00:00Z"/><m:ParentFolderIds><t:DistinguishedFolderId Id="calendar"><t:Mailbox><t:EmailAddress>{address}</t:EmailAddress></t:Mailbox></t:DistinguishedFolderId></m:ParentFolderIds></m:FindItem>"#
    ))
}

fn basic() -> String {
    format!("Basic {}", STANDARD.encode("FJORDBY\\monitor:Sommer2026!"))
}

async fn post(
    client: &reqwest::Client,
    sim: &SimulatorHandle,
    auth: Option<&str>,
    body: String,
) -> (u16, Vec<String>, String) {
    let mut request =
        client.post(sim.ews_url()).header("content-type", "text/xml; charset=utf-8").body(body);
    if let Some(auth) = auth {
        request = request.header("authorization", auth);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let challenges = response
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    (status, challenges, response.text().await.unwrap())
}

#[tokio::test]
async fn refuses_without_credentials_and_answers_with_basic() {
    let (sim, client) = start().await;
    let (status, challenges, _) =
        post(&client, &sim, None, availability(&["anne@fjordby.dk"], "Detailed")).await;
    assert_eq!(status, 401);
    assert_eq!(challenges, vec!["NTLM".to_string(), "Basic realm=\"127.0.0.1\"".to_string()]);
    let wrong = format!("Basic {}", STANDARD.encode("FJORDBY\\monitor:nope"));
    assert_eq!(
        post(&client, &sim, Some(&wrong), availability(&["anne@fjordby.dk"], "Detailed")).await.0,
        401
    );

    let addresses = ["nobody@fjordby.dk", "anne@fjordby.dk", "bo@fjordby.dk"];
    let (status, _, text) =
        post(&client, &sim, Some(&basic()), availability(&addresses, "DetailedMerged")).await;
    assert_eq!(status, 200, "{text}");
    let not_found = text.find("ErrorMailRecipientNotFound").unwrap();
    let anne = text.find("<t:FreeBusyViewType>DetailedMerged</t:FreeBusyViewType>").unwrap();
    let bo = text.find("<t:FreeBusyViewType>FreeBusyMerged</t:FreeBusyViewType>").unwrap();
    assert!(not_found < anne && anne < bo, "request order: {text}");
    assert!(text.contains("<t:Subject>Lægebesøg &lt;privat&gt; &amp; mere</t:Subject>"));
    assert!(text.contains("<t:IsPrivate>true</t:IsPrivate>"));
    assert!(text.contains("<t:StartTime>2026-03-02T09:00:00+00:00</t:StartTime>"));
    assert!(text.contains("<t:BusyType>Tentative</t:BusyType>"));
    assert!(
        text.contains("<t:MergedFreeBusy>000000002200000000000000</t:MergedFreeBusy>")
            || text.contains("<t:MergedFreeBusy>000000001200000000000000</t:MergedFreeBusy>"),
        "{text}"
    );
    assert!(super::envelope::parse(&text).is_ok());

    sim.set_ews_access("anne@fjordby.dk", EwsAccess::None).unwrap();
    let (_, _, text) =
        post(&client, &sim, Some(&basic()), availability(&["anne@fjordby.dk"], "Detailed")).await;
    assert!(text.contains("ErrorNoFreeBusyAccess"), "{text}");
    let counters = sim.counters();
    assert_eq!(counters.ews.unauthorized, 2);
    assert_eq!(counters.ews_requests, 4);
    sim.stop().await;
}

#[tokio::test]
async fn ntlm_signs_in_the_connection_and_find_item_pages() {
    let (sim, client) = start().await;
    let negotiate = Message::Negotiate(NegotiateMessage {
        flags: Flags::NEGOTIATE_UNICODE | Flags::NEGOTIATE_NTLM | Flags::REQUEST_TARGET,
        supplied_domain: String::new(),
        supplied_workstation: String::new(),
        os_version: OsVersion::default(),
    });
    let type1 = format!("NTLM {}", STANDARD.encode(negotiate.to_bytes().unwrap()));
    let (status, challenges, _) =
        post(&client, &sim, Some(&type1), find_item("anne@fjordby.dk", 2)).await;
    assert_eq!(status, 401);
    let type2 = STANDARD.decode(challenges[0].strip_prefix("NTLM ").unwrap()).unwrap();
    let Ok(Message::Challenge(challenge)) = Message::try_from(type2.as_slice()) else { panic!() };
    let target_info: Vec<u8> =
        challenge.target_information.iter().flat_map(|e| e.to_bytes()).collect();
    let creds = Credentials {
        username: "monitor".into(),
        password: "Sommer2026!".into(),
        domain: "FJORDBY".into(),
    };
    let answer = ntlmclient::respond_challenge_ntlm_v2(
        challenge.challenge,
        &target_info,
        ntlmclient::get_ntlm_time(),
        &creds,
    );
    let type3 = answer.to_message(&creds, "WS", Flags::NEGOTIATE_UNICODE).to_bytes().unwrap();
    let type3 = format!("NTLM {}", STANDARD.encode(type3));
    let (status, _, text) =
        post(&client, &sim, Some(&type3), find_item("anne@fjordby.dk", 2)).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("TotalItemsInView=\"4\" IncludesLastItemInRange=\"false\""), "{text}");
    assert!(text.contains("<t:CalendarItemType>Occurrence</t:CalendarItemType>"));
    // Same connection, no header: still signed in.
    let (status, _, text) = post(&client, &sim, None, find_item("anne@fjordby.dk", 10)).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("IncludesLastItemInRange=\"true\""));
    assert!(text.contains("<t:Sensitivity>Private</t:Sensitivity>"));
    let (_, _, text) = post(&client, &sim, None, find_item("bo@fjordby.dk", 10)).await;
    assert!(text.contains("<m:ResponseCode>ErrorAccessDenied</m:ResponseCode>"), "{text}");
    let (_, _, text) = post(&client, &sim, None, find_item("x@fjordby.dk", 10)).await;
    assert!(text.contains("ErrorNonExistentMailbox"), "{text}");
    // A Type 3 replayed on another connection has no challenge to answer.
    let other = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(sim.ca_pem().as_bytes()).unwrap())
        .build()
        .unwrap();
    assert_eq!(post(&other, &sim, Some(&type3), find_item("anne@fjordby.dk", 2)).await.0, 401);
    assert_eq!(sim.counters().ews.ntlm_handshakes, 1);
    assert_eq!(sim.counters().ews.max_connections.values().copied().max(), Some(1));
    sim.stop().await;
}

#[tokio::test]
async fn faults_answer_in_ews_shapes() {
    let (sim, client) = start().await;
    sim.add_fault(
        serde_json::from_str(
            r#"{"endpoint":"ews","fault":"ews_server_busy","back_off_ms":1500,"count":1}"#,
        )
        .unwrap(),
    );
    let (status, _, text) =
        post(&client, &sim, Some(&basic()), availability(&["anne@fjordby.dk"], "FreeBusy")).await;
    assert_eq!(status, 500);
    assert!(
        text.contains("a:ErrorServerBusy") && text.contains("Name=\"BackOffMilliseconds\">1500<")
    );
    sim.add_fault(serde_json::from_str(r#"{"fault":"truncated_xml","count":1}"#).unwrap());
    let (status, _, text) =
        post(&client, &sim, Some(&basic()), availability(&["anne@fjordby.dk"], "FreeBusy")).await;
    assert_eq!(status, 200);
    assert!(super::envelope::parse(&text).is_err());
    let (status, _, text) = post(&client, &sim, Some(&basic()), envelope("<m:GetFolder/>")).await;
    assert_eq!(status, 500);
    assert!(text.contains("a:ErrorInvalidRequest"));
    let (status, _, _) = post(&client, &sim, Some(&basic()), "not xml at all".into()).await;
    assert_eq!(status, 500);
    let many: Vec<String> = (0..101).map(|i| format!("p{i}@fjordby.dk")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let (_, _, text) = post(&client, &sim, Some(&basic()), availability(&many, "FreeBusy")).await;
    assert!(text.contains("a:ErrorMailboxDataArrayTooBig"));
    sim.stop().await;
}
