//! Entra groups: `GET /groups/{id}` and its transitive members, paged as Graph pages them.

use calbridge::providers::graph::wire::MemberPage;
use calbridge::simulator::{GroupSpec, Scenario};
use reqwest::StatusCode;
use uuid::Uuid;

use crate::support::graph::*;

const STAFF: &str = "3a3a3a3a-0000-4000-8000-000000000001";
const NESTED: &str = "3a3a3a3a-0000-4000-8000-000000000002";

fn with_groups(scenario: &mut Scenario, consented: bool) {
    let contoso = &mut scenario.tenants[0];
    contoso.group_member_read = consented;
    contoso.groups = vec![
        GroupSpec {
            id: STAFF.parse().unwrap(),
            display_name: "Staff".into(),
            members: vec!["adele@contoso.dk".into(), "nobody@contoso.dk".into()],
            groups: vec![NESTED.parse().unwrap()],
            devices: vec!["Kiosk".into()],
            service_principals: Vec::new(),
        },
        GroupSpec {
            id: NESTED.parse().unwrap(),
            display_name: "Nested".into(),
            members: vec!["alex@contoso.dk".into(), "adele@contoso.dk".into()],
            // A cycle back to the top ends where it meets.
            groups: vec![STAFF.parse().unwrap()],
            devices: Vec::new(),
            service_principals: vec!["Bot".into()],
        },
    ];
}

#[tokio::test]
async fn transitive_members_page_through_next_links_with_each_object_once() {
    let graph = GraphClient::start_with(|s| with_groups(s, true)).await;
    let token = graph.token().await;
    let (status, _, group) =
        json_of(graph.get(&token, &format!("/v1.0/groups/{STAFF}")).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(group["displayName"], "Staff");

    let mut next = Some(graph.url(&format!(
        "/v1.0/groups/{STAFF}/transitiveMembers?$select=id,mail,userPrincipalName&$top=2"
    )));
    let mut objects = Vec::new();
    let mut pages = 0;
    while let Some(url) = next {
        let response = graph.http.get(&url).bearer_auth(&token).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let page: MemberPage = response.json().await.unwrap();
        assert!(page.value.len() <= 2);
        next = page.next_link;
        if let Some(link) = &next {
            assert!(link.starts_with(graph.sim.base_url()) && link.contains("$skiptoken="));
            assert!(link.contains("$top=2"), "the client's query is kept: {link}");
        }
        objects.extend(page.value);
        pages += 1;
    }
    // adele, nobody, Kiosk, Nested; alex, Bot (adele and Staff again are not repeated).
    assert_eq!((objects.len(), pages), (6, 3));
    let mail: Vec<_> = objects.iter().filter(|o| o.is_user()).map(|o| o.mail.clone()).collect();
    assert_eq!(
        mail,
        [Some("adele@contoso.dk".to_string()), None, Some("alex@contoso.dk".to_string())]
    );
    let types: Vec<_> = objects.iter().map(|o| o.odata_type.clone().unwrap()).collect();
    assert!(types.contains(&"#microsoft.graph.device".to_string()));
    assert!(types.contains(&"#microsoft.graph.group".to_string()));
    assert!(types.contains(&"#microsoft.graph.servicePrincipal".to_string()));
    assert!(objects.iter().all(|o| o.display_name.is_none()), "$select leaves displayName out");
}

#[tokio::test]
async fn without_group_member_read_groups_are_refused_and_others_groups_are_not_found() {
    let graph = GraphClient::start_with(|s| with_groups(s, false)).await;
    let token = graph.token().await;
    let (status, _, body) =
        json_of(graph.get(&token, &format!("/v1.0/groups/{STAFF}/transitiveMembers")).await).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(error_code(&body), "Authorization_RequestDenied");
    graph.stop().await;

    let graph = GraphClient::start_with(|s| with_groups(s, true)).await;
    let token = graph.token().await;
    let unknown = Uuid::new_v4();
    let (status, _, body) =
        json_of(graph.get(&token, &format!("/v1.0/groups/{unknown}")).await).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error_code(&body), "Request_ResourceNotFound");
    let (status, _, _) = json_of(
        graph.get(&token, &format!("/v1.0/groups/{STAFF}/transitiveMembers?$top=1000")).await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "Graph's pages hold at most 999");
    let (status, _, _) = json_of(
        graph.get(&token, &format!("/v1.0/groups/{STAFF}/transitiveMembers?$skiptoken=x!")).await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
