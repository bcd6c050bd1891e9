//! Webhooks: signed per Standard Webhooks, written with the change, retried with the same id,
//! switched off when gone, never held up by another tenant's slow receiver, and delivered
//! once by several instances.

use std::time::Duration;

use calbridge::services::webhooks::{self, EndpointInput};
use calbridge::services::{Actor, AppState};
use serde_json::Value;
use uuid::Uuid;

use crate::support::receiver::{Answer, Receiver};
use crate::support::world::{World, meeting, now, options};
use crate::support::{postgres_only, tenant_scope};

/// Registers `url` for the tenant; returns the endpoint and its secret.
async fn endpoint(state: &AppState, tenant: Uuid, url: &str) -> (Uuid, String) {
    let input =
        EndpointInput { url: url.into(), events: vec!["presence.changed".into()], enabled: true };
    let shown = webhooks::create(state, &Actor::command_line(), tenant_scope(tenant), &input)
        .await
        .unwrap();
    assert!(shown.secret.starts_with("whsec_"), "{}", shown.secret);
    (shown.endpoint_id, shown.secret)
}

async fn test_event(state: &AppState, tenant: Uuid, endpoint: Uuid) {
    webhooks::send_test(state, &Actor::command_line(), tenant_scope(tenant), endpoint)
        .await
        .unwrap();
}

fn private_world() -> impl FnOnce(&mut calbridge::config::Config) {
    |c| c.webhook_allow_private = true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_is_delivered_signed_and_retried_under_the_same_id_until_it_is_taken() {
    let world = World::new_with(private_world()).await;
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    let receiver = Receiver::start(&[Answer::RetryAfter(500, 1), Answer::RetryAfter(500, 1)]).await;
    let (_, secret) = endpoint(&world.state, hansen.id, &receiver.url).await;
    let start = now() - chrono::Duration::minutes(1);
    world
        .person(
            &hansen,
            "anna",
            vec![meeting("Kundemøde", start, start + chrono::Duration::hours(1))],
        )
        .await;
    // The sync writes anna's first state, and its delivery with it.
    world.sync(&hansen).await;
    let scheduler = world.scheduler(options("hooks")).await.unwrap();
    let got = receiver.wait_for(3, Duration::from_secs(20)).await;
    scheduler.shutdown().await;
    assert_eq!(got.len(), 3, "two refusals, then taken");

    let verifier = standardwebhooks::Webhook::new(&secret).unwrap();
    for d in &got {
        verifier.verify(d.body.as_bytes(), &d.headers).expect("the signature verifies");
        assert_eq!(d.header("content-type"), "application/json");
    }
    let id = got[0].header("webhook-id");
    assert!(id.starts_with("msg_"), "{id}");
    assert!(got.iter().all(|d| d.header("webhook-id") == id), "one id on every attempt");
    assert!(got.iter().all(|d| d.body == got[0].body), "the same body on every attempt");
    let gap = got[1].at - got[0].at;
    assert!(gap >= Duration::from_millis(900), "Retry-After honoured: {gap:?}");

    let payload: Value = got[0].json();
    assert_eq!(payload["type"], "presence.changed");
    assert!(payload["timestamp"].as_str().unwrap().ends_with('Z'));
    assert_eq!(payload["data"]["email"], "anna@hansen.dk");
    assert_eq!(payload["data"]["state"], "busy");
    assert_eq!(payload["data"]["appointment"]["subject"], "Kundemøde");

    // A tampered body or an old timestamp does not verify: the check above means something.
    let mut tampered = got[0].clone();
    tampered.body = tampered.body.replace("busy", "free");
    assert!(verifier.verify(tampered.body.as_bytes(), &tampered.headers).is_err());

    let rows = webhooks::endpoints(&world.state, tenant_scope(hansen.id)).await.unwrap();
    let delivery = &rows[0].deliveries[0];
    assert_eq!(
        (delivery.status.as_str(), delivery.attempts, delivery.last_status),
        ("delivered", 3, Some(200))
    );
    assert_eq!(delivery.id, id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_410_switches_the_endpoint_off_and_tells_the_admins() {
    let smtp = crate::support::smtp::SmtpSink::start().await;
    let smtp_url = smtp.url();
    let world = World::new_with(|c| {
        c.webhook_allow_private = true;
        c.smtp_url = Some(smtp_url.into());
        c.mail_from = Some("calbridge@calbridge.test".into());
    })
    .await;
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    world.app.create_member(hansen.id, "admin@hansen.dk", "tenant_admin").await;
    let receiver = Receiver::start(&[Answer::Status(410)]).await;
    let (id, _) = endpoint(&world.state, hansen.id, &receiver.url).await;
    test_event(&world.state, hansen.id, id).await;
    test_event(&world.state, hansen.id, id).await;

    let scheduler = world.scheduler(options("gone")).await.unwrap();
    receiver.wait_for(1, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    scheduler.shutdown().await;
    let rows = webhooks::endpoints(&world.state, tenant_scope(hansen.id)).await.unwrap();
    assert!(!rows[0].enabled, "switched off");
    assert_eq!(rows[0].disabled_reason.map(|r| r.as_str()), Some("gone"));
    assert!(
        rows[0].deliveries.iter().all(|d| d.status.as_str() != "pending"),
        "nothing left waiting"
    );
    assert!(rows[0].deliveries.iter().any(|d| d.last_status == Some(410)));
    assert!(receiver.received().len() <= 2, "nothing more is sent once it is gone");
    let mail = smtp.wait_for(1).await;
    assert!(mail[0].to.iter().any(|t| t.contains("admin@hansen.dk")), "{mail:?}");
    assert!(mail[0].body.contains(&receiver.url), "{}", mail[0].body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_receiver_does_not_hold_up_another_tenants_delivery() {
    let world = World::new_with(private_world()).await;
    let slow = world.customer("Slow", "slow.dk", "full").await;
    let fast = world.customer("Fast", "fast.dk", "full").await;
    let hanging = Receiver::start(&[Answer::Hang(Duration::from_secs(30)); 20]).await;
    let quick = Receiver::start(&[]).await;
    let (slow_hook, _) = endpoint(&world.state, slow.id, &hanging.url).await;
    let (fast_hook, _) = endpoint(&world.state, fast.id, &quick.url).await;
    for _ in 0..10 {
        test_event(&world.state, slow.id, slow_hook).await;
    }
    let scheduler = world.scheduler(options("hang")).await.unwrap();
    hanging.wait_for(1, Duration::from_secs(5)).await;
    let queued = std::time::Instant::now();
    test_event(&world.state, fast.id, fast_hook).await;
    let got = quick.wait_for(1, Duration::from_secs(5)).await;
    scheduler.kill().await;
    assert_eq!(got.len(), 1, "the other tenant's event arrived");
    let took = got[0].at - queued;
    assert!(took < Duration::from_secs(2), "it took {took:?}");
    assert!(hanging.received().len() <= 4, "one endpoint gets at most 4 attempts at once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_deliver_each_event_once() {
    if postgres_only("two_instances_deliver_each_event_once") {
        return;
    }
    let world = World::new_with(private_world()).await;
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    let receiver = Receiver::start(&[]).await;
    let (id, _) = endpoint(&world.state, hansen.id, &receiver.url).await;
    for _ in 0..40 {
        test_event(&world.state, hansen.id, id).await;
    }
    let a = world.scheduler(options("a")).await.unwrap();
    let b = world.scheduler(options("b")).await.unwrap();
    let got = receiver.wait_for(40, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    a.shutdown().await;
    b.shutdown().await;
    let got = receiver.received().len().max(got.len());
    let ids: std::collections::HashSet<String> =
        receiver.received().iter().map(|d| d.header("webhook-id")).collect();
    assert_eq!((got, ids.len()), (40, 40), "each event once");
}
