//! The availability pages as people use them: the board, the rules with their preview,
//! sync health, and the connection test.

use calbridge::simulator::EventSpec;

use crate::support::PASSWORD;
use crate::support::world::{World, at, meeting, now};

#[tokio::test]
async fn the_board_shows_who_is_busy_until_when_and_finds_people() {
    let world = World::new().await;
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    let t = now();
    world
        .person(
            &hansen,
            "anna",
            vec![meeting(
                "Kundemøde",
                t - chrono::Duration::minutes(5),
                t + chrono::Duration::minutes(25),
            )],
        )
        .await;
    world.person(&hansen, "bo", vec![]).await;
    world.sync(&hansen).await;
    world.app.create_member(hansen.id, "desk@hansen.dk", "receptionist").await;
    let desk = world.app.browser();
    let landed = desk.login("desk@hansen.dk", PASSWORD).await;
    assert_eq!(landed.location(), Some("/presence"), "receptionists start at the board");

    let board = desk.get("/presence").await;
    assert_eq!(board.status, 200);
    assert!(board.body.contains("http-equiv=\"refresh\""), "refreshes itself");
    let anna = board.body.split("<tr class=\"row-").find(|r| r.contains("anna@hansen.dk")).unwrap();
    assert!(anna.starts_with("busy"), "{anna}");
    assert!(anna.contains("Kundemøde · Mødelokale 1"));
    let local_end = (t + chrono::Duration::minutes(25))
        .with_timezone(&chrono_tz::Europe::Copenhagen)
        .format("%H:%M")
        .to_string();
    assert!(anna.contains(&format!("until {local_end}")), "{anna}");
    let bo = board.body.split("<tr class=\"row-").find(|r| r.contains("bo@hansen.dk")).unwrap();
    assert!(bo.starts_with("free"), "{bo}");
    assert!(board.body.contains("1 available of 2"));

    let found = desk.get("/presence?q=ANNA").await;
    assert!(found.body.contains("anna@hansen.dk") && !found.body.contains("bo@hansen.dk"));
    let none = desk.get("/presence?q=zzz").await;
    assert!(none.body.contains("Nobody matches"));
    // Receptionists see the board, not the admin pages.
    assert_eq!(desk.get("/rules").await.status, 403);
}

#[tokio::test]
async fn rules_preview_shows_the_day_before_saving_and_saving_applies_them() {
    let world = World::new().await;
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    // The preview shows one local day, so the meetings must not straddle midnight: the app's
    // clock moves to the next 10:00 in Copenhagen, whenever the test runs.
    let t = next_local_ten(&world);
    let cara = world
        .person(
            &hansen,
            "cara",
            vec![
                EventSpec {
                    subject: "Måske møde".into(),
                    start: at(t - chrono::Duration::minutes(10)),
                    end: at(t + chrono::Duration::minutes(50)),
                    show_as: Some("tentative".into()),
                    ..EventSpec::default()
                },
                meeting(
                    "Fast møde",
                    t + chrono::Duration::hours(2),
                    t + chrono::Duration::hours(3),
                ),
            ],
        )
        .await;
    world.sync(&hansen).await;
    assert_eq!(
        world.row(cara).await.unwrap().state.as_str(),
        "free",
        "tentative is ignored by default"
    );

    world.app.create_member(hansen.id, "it@hansen.dk", "tenant_admin").await;
    let admin = world.app.browser();
    admin.login("it@hansen.dk", PASSWORD).await;
    let page = admin.get("/rules").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Fast møde"), "preview of today with the saved rules");
    assert!(!page.body.contains("Måske møde"));

    // Preview: tentative shown and making unavailable, not yet saved.
    let proposed = [
        ("rules_form", "1"),
        ("busy_shown", "on"),
        ("busy_unavailable", "on"),
        ("tentative_shown", "on"),
        ("tentative_unavailable", "on"),
        ("show_subject", "on"),
        ("show_location", "on"),
        ("user", &cara.to_string()),
        ("day", "today"),
    ];
    let preview = admin.submit("/rules", "/rules/preview", &proposed).await;
    assert_eq!(preview.status, 200);
    // Tentative items are kept without their subject while tentative is hidden.
    assert!(preview.body.contains("<tr class=\"row-tentative\">"), "{}", preview.body);
    assert!(!preview.body.contains("Måske møde"), "no subject stored for a hidden kind");
    assert_eq!(world.row(cara).await.unwrap().state.as_str(), "free", "a preview changes nothing");

    // Save: the tenant is synced again under the new rules.
    let saved = admin.submit("/rules", "/rules", &proposed).await;
    assert_eq!(saved.status, 303);
    let rules = calbridge::services::rules::get(&world.state, world.scope(&hansen)).await.unwrap();
    assert!(rules.tentative.makes_unavailable && rules.tentative.shown);
    assert!(world.sync_state(&hansen).await.next_run_at <= world.state.clock.now(), "due again");
    world.sync(&hansen).await;
    let row = world.row(cara).await.unwrap();
    assert_eq!(row.state.as_str(), "tentative");
    assert!(!row.available);
    assert!(row.appointment_json.unwrap().contains("Måske møde"), "read again with its subject");

    // Hiding subjects: the next sync stores none.
    let hidden = [
        ("rules_form", "1"),
        ("busy_shown", "on"),
        ("busy_unavailable", "on"),
        ("show_location", "on"),
    ];
    admin.submit("/rules", "/rules", &hidden).await;
    world.sync(&hansen).await;
    assert!(!world.row(cara).await.unwrap().items_json.contains("Fast møde"));
}

#[tokio::test]
async fn sync_health_is_visible_to_the_tenant_admin_and_operators() {
    let world = World::new().await;
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    world.person(&hansen, "dan", vec![]).await;
    world.directory_user(&hansen, "nobody@hansen.dk").await;
    world.sync(&hansen).await;

    world.app.create_member(hansen.id, "it@hansen.dk", "tenant_admin").await;
    let admin = world.app.browser();
    admin.login("it@hansen.dk", PASSWORD).await;
    let page = admin.get("/sync").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Running normally"), "{}", page.body);
    assert!(
        page.body.contains("nobody@hansen.dk") && page.body.contains("This mailbox does not exist")
    );
    assert!(page.body.contains("Partial"));

    world.app.create_operator("ops@calbridge.dk").await;
    let ops = world.app.browser();
    ops.login("ops@calbridge.dk", PASSWORD).await;
    let page = ops.get(&format!("/operator/tenants/{}/sync", hansen.id)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("nobody@hansen.dk"));
    let detail = ops.get(&format!("/operator/tenants/{}", hansen.id)).await;
    assert!(
        detail.body.contains(&format!("/operator/tenants/{}/sync", hansen.id)),
        "linked from the tenant"
    );
    // Another tenant's admin cannot see it.
    let other = world.app.create_tenant("Other", 5).await;
    world.app.create_member(other, "it@other.dk", "tenant_admin").await;
    let stranger = world.app.browser();
    stranger.login("it@other.dk", PASSWORD).await;
    assert!(!stranger.get("/sync").await.body.contains("hansen.dk"));
}

#[tokio::test]
async fn test_connection_reports_success_and_explains_failures() {
    let world = World::new().await;
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    world
        .person(&hansen, "eve", vec![meeting("Møde", now(), now() + chrono::Duration::hours(1))])
        .await;
    let tenant = hansen.id.to_string();
    let ok = world.cli(&["tenant", "test-connection", "--tenant", &tenant]).await;
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    assert!(ok.stdout.contains("signed in to Microsoft Entra: ok"));
    assert!(ok.stdout.contains("eve@hansen.dk: ok (1 appointments"), "{}", ok.stdout);

    let missing = world
        .cli(&["tenant", "test-connection", "--tenant", &tenant, "--mailbox", "nobody@hansen.dk"])
        .await;
    assert_eq!(missing.code, 1);
    assert!(missing.stdout.contains("This mailbox does not exist"), "{}", missing.stdout);

    // The wrong secret: named, with the fix.
    world.store_secret(&hansen, "Wrong~secret.value").await;
    let wrong = world.cli(&["tenant", "test-connection", "--tenant", &tenant]).await;
    assert_eq!(wrong.code, 1);
    assert!(wrong.stdout.contains("signing in to Microsoft Entra: failed"), "{}", wrong.stdout);
    assert!(wrong.stdout.contains("The client secret is wrong"));
    assert!(wrong.stdout.contains("not its Secret ID"));
    assert!(wrong.stdout.contains("AADSTS7000215"));
    assert!(!wrong.stdout.contains("Wrong~secret"));
}

/// Moves the app's clock to the next 10:00 in Copenhagen and returns that instant.
fn next_local_ten(world: &World) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    let start = now();
    let zone = chrono_tz::Europe::Copenhagen;
    let local = start.with_timezone(&zone);
    let mut day = local.date_naive();
    if local.time() >= chrono::NaiveTime::from_hms_opt(9, 0, 0).unwrap() {
        day = day.succ_opt().unwrap();
    }
    let ten = zone.from_local_datetime(&day.and_hms_opt(10, 0, 0).unwrap()).unwrap();
    let target = ten.with_timezone(&chrono::Utc);
    world.app.clock.advance(target - start);
    target
}
