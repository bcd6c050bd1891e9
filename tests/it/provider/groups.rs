//! Reading an Entra group's members through the Graph provider: same token, retries and
//! limits as calendar reads.

use calbridge::providers::graph::DetailLevel;
use calbridge::providers::{CalendarProvider, GroupError};
use calbridge::simulator::{
    EndpointKind, FaultEndpoint, FaultKind, FaultSpec, GroupSpec, RetryAfter, Simulator,
};
use uuid::Uuid;

use crate::support::provider::*;

const STAFF: &str = "3a3a3a3a-0000-4000-8000-0000000000a1";

async fn simulator(consented: bool, members: usize) -> calbridge::simulator::SimulatorHandle {
    let mut scenario = crate::support::scenario::scenario(members);
    let contoso = &mut scenario.tenants[0];
    contoso.group_member_read = consented;
    contoso.groups = vec![GroupSpec {
        id: STAFF.parse().unwrap(),
        display_name: "Staff".into(),
        members: users(1..=members),
        groups: Vec::new(),
        devices: Vec::new(),
        service_principals: Vec::new(),
    }];
    Simulator::start(scenario, "127.0.0.1:0").await.unwrap()
}

#[tokio::test]
async fn a_throttled_page_is_retried_and_every_member_read_once() {
    let sim = simulator(true, 7).await;
    sim.add_fault(FaultSpec {
        endpoint: FaultEndpoint::Groups,
        tenant: None,
        mailbox: None,
        kind: FaultKind::TooManyRequests { retry_after: Some(RetryAfter::FractionalSeconds(0.05)) },
        count: Some(1),
    });
    let tunables = calbridge::providers::graph::Tunables { group_page_size: 2, ..quick() };
    let provider = provider_with(&sim, &CONTOSO, DetailLevel::FreeBusy, tunables);
    let groups = provider.groups().expect("Microsoft 365 offers groups");
    let read = groups.group_members(STAFF.parse().unwrap()).await.unwrap();
    assert_eq!(read.group_name.as_deref(), Some("Staff"));
    let mail: Vec<String> = read.members.iter().map(|m| m.mail.as_str().to_owned()).collect();
    assert_eq!(mail, users(1..=7));
    assert_eq!((read.stats.throttled_responses, read.stats.retries), (1, 1));
    // The group, four pages of two, and the one retry.
    assert_eq!(sim.counters().total(EndpointKind::Groups), 6);
}

#[tokio::test]
async fn refusals_are_told_apart() {
    let sim = simulator(false, 1).await;
    let denied_provider = provider(&sim, DetailLevel::FreeBusy);
    let groups = denied_provider.groups().unwrap();
    let denied = groups.group_members(STAFF.parse().unwrap()).await.unwrap_err();
    assert!(
        matches!(&denied, GroupError::PermissionMissing { detail } if detail.contains("Authorization_RequestDenied")),
        "{denied:?}"
    );
    let sim = simulator(true, 1).await;
    let provider = provider(&sim, DetailLevel::FreeBusy);
    let missing = provider.groups().unwrap().group_members(Uuid::new_v4()).await.unwrap_err();
    assert!(matches!(missing, GroupError::NotFound { .. }), "{missing:?}");
}
