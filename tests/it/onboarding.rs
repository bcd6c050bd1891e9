//! A company's admin connects Microsoft 365 in the portal, step by step, against the
//! simulator: every mistake explained, nothing stored until the connection works.

use calbridge::simulator::AppRole;

use crate::support::world::{Prospect, World, admin_of, check_line, meeting, now};
use crate::support::{Browser, PASSWORD};

fn credentials<'a>(p: &'a Prospect, secret: &'a str, action: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("directory_id", p.customer.directory.as_str()),
        ("client_id", p.client.as_str()),
        ("client_secret", secret),
        ("secret_expires", "2099-05-01"),
        ("detail", "full"),
        ("test_mailbox", ""),
        ("action", action),
    ]
}

fn with<'a>(
    mut fields: Vec<(&'a str, &'a str)>,
    name: &'a str,
    value: &'a str,
) -> Vec<(&'a str, &'a str)> {
    fields.retain(|(k, _)| *k != name);
    fields.push((name, value));
    fields
}

async fn stored_connection(world: &World, prospect: &Prospect) -> Option<String> {
    use sea_orm::EntityTrait;
    calbridge::db::entities::provider_config::Entity::find_by_id(prospect.customer.id)
        .one(&world.state.db)
        .await
        .unwrap()
        .and_then(|row| row.client_secret_ciphertext)
}

#[tokio::test]
async fn a_new_admin_connects_microsoft_365_in_the_portal() {
    let world = World::new().await;
    let hansen = world.prospect("Hansen", "hansen.dk", AppRole::CalendarsRead).await;
    let now = now();
    let anna = world.mailbox(
        &hansen.customer,
        "anna",
        vec![meeting(
            "Kundemøde",
            now - chrono::Duration::minutes(5),
            now + chrono::Duration::minutes(40),
        )],
        false,
    );
    let admin = admin_of(&world, &hansen).await;

    // The wizard starts at the company, and the dashboard leads there.
    assert!(admin.get("/dashboard").await.body.contains("href=\"/setup\""));
    assert_eq!(admin.get("/setup").await.location(), Some("/setup/company"));
    let company = admin.get("/setup/company").await;
    assert!(company.body.contains("Step 1 of 7"), "{}", company.body);
    let saved = admin
        .submit(
            "/setup/company",
            "/setup/company",
            &[
                ("name", "Hansen & Co"),
                ("cvr", "1234 5678"),
                ("contact_name", "Ida IT"),
                ("contact_email", "it@hansen.dk"),
                ("contact_phone", "+45 70 20 30 40"),
                ("timezone", "Europe/Copenhagen"),
                ("locale", "en"),
            ],
        )
        .await;
    assert_eq!(saved.location(), Some("/setup/calendar"), "{}", saved.body);
    // Both systems are offered; Microsoft 365 is the default.
    let calendar = admin.get("/setup/calendar").await;
    assert!(calendar.body.contains("value=\"m365\" checked"), "{}", calendar.body);
    assert!(calendar.body.contains("value=\"ews\""));
    let chosen = admin.submit("/setup/calendar", "/setup/calendar", &[("system", "m365")]).await;
    assert_eq!(chosen.location(), Some("/setup/entra"));
    for (from, to) in [("entra", "restrict"), ("restrict", "credentials")] {
        let next = admin.submit(&format!("/setup/{from}"), "/setup/next", &[("from", from)]).await;
        assert_eq!(next.location(), Some(format!("/setup/{to}").as_str()), "{from}");
    }
    let guide = admin.get("/setup/entra").await;
    assert!(
        guide.body.contains("Calendars.ReadBasic") && guide.body.contains("Grant admin consent")
    );
    // The users step is closed until the connection is stored.
    assert_eq!(admin.get("/setup/users").await.location(), Some("/setup/credentials"));

    // The Secret ID pasted by mistake: caught before anything is sent.
    let secret_id = "6e2d1b0a-1111-4222-8333-944455566677";
    let mixed_up = admin
        .submit(
            "/setup/credentials",
            "/setup/credentials",
            &credentials(&hansen, secret_id, "save"),
        )
        .await;
    assert_eq!(mixed_up.status, 422);
    assert!(mixed_up.body.contains("Secret ID"), "{}", mixed_up.body);
    assert!(!mixed_up.body.contains(secret_id));

    // A wrong secret: the checklist shows what worked and what to fix; nothing is stored.
    let wrong = "Wrong~secret.value.123";
    let refused = admin
        .submit("/setup/credentials", "/setup/credentials", &credentials(&hansen, wrong, "save"))
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(check_line(&refused, "The directory (tenant) exists").contains("OK"));
    assert!(check_line(&refused, "The app exists in the directory").contains("OK"));
    let secret_line = check_line(&refused, "The client secret is valid");
    assert!(secret_line.contains("Failed") && secret_line.contains("not its Secret ID"));
    assert!(!refused.body.contains(wrong), "the secret is never shown back");
    assert!(stored_connection(&world, &hansen).await.is_none());

    // The right secret, tested only: still nothing stored.
    let right = credentials(&hansen, &hansen.secret, "test");
    let right = with(right, "test_mailbox", &anna);
    let tested = admin.submit("/setup/credentials", "/setup/credentials", &right).await;
    assert_eq!(tested.status, 200, "{}", tested.body);
    assert!(check_line(&tested, "Calendar permission").contains("Calendars.Read"));
    let read = check_line(&tested, "A calendar can be read");
    assert!(read.contains("anna@hansen.dk is readable") && read.contains("Busy"), "{read}");
    assert!(stored_connection(&world, &hansen).await.is_none());
    assert!(!tested.body.contains(&hansen.secret));

    // Test and save: stored encrypted, and on to the users.
    let save = with(right.clone(), "action", "save");
    let stored = admin.submit("/setup/credentials", "/setup/credentials", &save).await;
    assert_eq!(stored.location(), Some("/setup/users"), "{}", stored.body);
    let ciphertext = stored_connection(&world, &hansen).await.expect("stored");
    assert!(!ciphertext.contains(&hansen.secret));

    // The first user, then Done: the tenant is live and its first sync is due at once.
    let added = admin
        .submit(
            "/setup/users",
            "/setup/users",
            &[("email", &anna), ("display_name", "Anna Hansen")],
        )
        .await;
    assert_eq!(added.location(), Some("/setup/users"), "{}", added.body);
    assert!(admin.get("/setup/users").await.body.contains("Anna Hansen"));
    let next = admin.submit("/setup/users", "/setup/next", &[("from", "users")]).await;
    assert_eq!(next.location(), Some("/setup/done"));
    let done = admin.submit("/setup/done", "/setup/done", &[]).await;
    assert_eq!(done.location(), Some("/presence"));
    let state = world.sync_state(&hansen.customer).await;
    assert!(state.next_run_at <= calbridge::clock::Clock::system().now());
    world.sync(&hansen.customer).await;
    let board = admin.get("/presence").await;
    assert!(
        board.body.contains("Anna Hansen") && board.body.contains("Kundemøde"),
        "{}",
        board.body
    );
    // Coming back to the wizard shows it is finished.
    assert_eq!(admin.get("/setup").await.location(), Some("/setup/done"));
    assert!(admin.get("/setup/done").await.body.contains("calbridge is running"));
}

#[tokio::test]
async fn every_sign_in_failure_is_named_at_its_step() {
    let world = World::new().await;
    let hansen = world.prospect("Hansen", "hansen.dk", AppRole::CalendarsRead).await;
    let admin = admin_of(&world, &hansen).await;
    let unknown = uuid::Uuid::new_v4().to_string();
    type Case<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (
            with(credentials(&hansen, &hansen.secret, "test"), "directory_id", &unknown),
            "The directory (tenant) exists",
            "does not know the directory",
        ),
        (
            with(credentials(&hansen, &hansen.secret, "test"), "client_id", &unknown),
            "The app exists in the directory",
            "Grant admin consent",
        ),
    ];
    for (fields, line, words) in cases {
        let page = admin.submit("/setup/credentials", "/setup/credentials", &fields).await;
        assert_eq!(page.status, 422, "{line}: {}", page.body);
        let failed = check_line(&page, line);
        assert!(failed.contains("Failed") && failed.contains(words), "{failed}");
    }
}

#[tokio::test]
async fn permissions_are_judged_against_the_detail_level() {
    let world = World::new().await;
    // Free/busy granted, full detail asked for: a warning, not a failure.
    let basic = world.prospect("Basic", "basic.dk", AppRole::CalendarsReadBasic).await;
    let admin = admin_of(&world, &basic).await;
    let page = admin
        .submit(
            "/setup/credentials",
            "/setup/credentials",
            &credentials(&basic, &basic.secret, "test"),
        )
        .await;
    let line = check_line(&page, "Calendar permission");
    assert!(line.contains("Note") && line.contains("needs Calendars.Read"), "{line}");

    // More than free/busy needs: a nudge towards least privilege.
    let full = world.prospect("Full", "full.dk", AppRole::CalendarsRead).await;
    let admin = admin_of(&world, &full).await;
    let fields = with(credentials(&full, &full.secret, "test"), "detail", "free_busy");
    let page = admin.submit("/setup/credentials", "/setup/credentials", &fields).await;
    assert!(check_line(&page, "Calendar permission").contains("more access than needed"));

    // No permission at all: consent is missing, and saving is refused.
    let none = world.prospect("None", "none.dk", AppRole::None).await;
    let admin = admin_of(&world, &none).await;
    let page = admin
        .submit(
            "/setup/credentials",
            "/setup/credentials",
            &credentials(&none, &none.secret, "save"),
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(check_line(&page, "Calendar permission").contains("Grant admin consent"));
    assert!(stored_connection(&world, &none).await.is_none());
}

#[tokio::test]
async fn a_mailbox_that_cannot_be_read_is_explained() {
    let world = World::new().await;
    let hansen = world.prospect("Hansen", "hansen.dk", AppRole::CalendarsRead).await;
    let blocked = world.mailbox(&hansen.customer, "blocked", vec![], true);
    let admin = admin_of(&world, &hansen).await;
    for (mailbox, words) in
        [("ghost@hansen.dk", "does not exist"), (blocked.as_str(), "access policy")]
    {
        let fields = with(credentials(&hansen, &hansen.secret, "save"), "test_mailbox", mailbox);
        let page = admin.submit("/setup/credentials", "/setup/credentials", &fields).await;
        assert_eq!(page.status, 422);
        assert!(check_line(&page, "A calendar can be read").contains(words), "{mailbox}");
    }
    assert!(stored_connection(&world, &hansen).await.is_none());
}

#[tokio::test]
async fn saving_needs_the_password_when_the_sign_in_is_old() {
    let world = World::new().await;
    let hansen = world.prospect("Hansen", "hansen.dk", AppRole::CalendarsRead).await;
    let admin = admin_of(&world, &hansen).await;
    world.app.clock.advance(chrono::Duration::minutes(6));
    let page = admin.get("/setup/credentials").await;
    assert!(page.body.contains("Your calbridge password"));
    let save = credentials(&hansen, &hansen.secret, "save");
    let missing = admin.submit("/setup/credentials", "/setup/credentials", &save).await;
    assert_eq!(missing.status, 422);
    assert!(missing.body.contains("Confirm with your calbridge password"));
    let wrong = with(save.clone(), "password", "not my password at all");
    let wrong = admin.submit("/setup/credentials", "/setup/credentials", &wrong).await;
    assert!(wrong.body.contains("The password is wrong"));
    assert!(stored_connection(&world, &hansen).await.is_none());
    let right = with(save, "password", PASSWORD);
    let saved = admin.submit("/setup/credentials", "/setup/credentials", &right).await;
    assert_eq!(saved.location(), Some("/setup/users"), "{}", saved.body);
}

#[tokio::test]
async fn the_connection_page_replaces_only_what_passed_its_test_and_disconnects() {
    let world = World::new().await;
    let hansen = world.prospect("Hansen", "hansen.dk", AppRole::CalendarsRead).await;
    let admin = admin_of(&world, &hansen).await;
    let save = credentials(&hansen, &hansen.secret, "save");
    assert_eq!(
        admin.submit("/setup/credentials", "/setup/credentials", &save).await.location(),
        Some("/setup/users")
    );
    let page = admin.get("/settings/connection").await;
    assert!(page.body.contains("Connected") && page.body.contains(&hansen.client), "{}", page.body);
    assert!(page.body.contains("2099-05-01"));
    assert!(!page.body.contains(&hansen.secret));
    let before = stored_connection(&world, &hansen).await;

    // A new secret that does not work changes nothing.
    let bad = credentials(&hansen, "Broken~new.secret", "save");
    let refused = admin.submit("/settings/connection", "/settings/connection", &bad).await;
    assert_eq!(refused.status, 422);
    assert_eq!(stored_connection(&world, &hansen).await, before);
    // Leaving the secret empty keeps the stored one; the detail level changes after a test.
    let keep = with(credentials(&hansen, "", "save"), "detail", "free_busy");
    let kept = admin.submit("/settings/connection", "/settings/connection", &keep).await;
    assert_eq!(kept.location(), Some("/settings/connection?done=saved"), "{}", kept.body);
    assert!(
        admin
            .get("/settings/connection")
            .await
            .body
            .contains("Free/busy only (Calendars.ReadBasic)")
    );
    // Test again (reading the admin's own mailbox): the result is recorded.
    world.mailbox(&hansen.customer, "it", vec![], false);
    let retest = admin.submit("/settings/connection", "/settings/connection/test", &[]).await;
    assert_eq!(retest.status, 200);
    assert!(retest.body.contains("last test"));

    // Disconnect: confirmed, then the secret is gone and nothing syncs.
    let confirm = admin.get("/settings/connection/disconnect").await;
    assert!(confirm.body.contains("Disconnect the calendar connection?"));
    let gone = admin
        .submit("/settings/connection/disconnect", "/settings/connection/disconnect", &[])
        .await;
    assert_eq!(gone.location(), Some("/settings/connection?done=disconnected"));
    assert!(stored_connection(&world, &hansen).await.is_none());
    let after = admin.get("/settings/connection").await;
    assert!(after.body.contains("Not connected"));
    let audit = admin.get("/audit").await.body;
    for action in ["Calendar connection tested", "Calendar connection disconnected"] {
        assert!(audit.contains(action), "{action}: {audit}");
    }
    assert!(!audit.contains(&hansen.secret));
}

#[tokio::test]
async fn receptionists_and_other_companies_cannot_reach_the_connection() {
    let world = World::new().await;
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    world.app.create_member(hansen.id, "desk@hansen.dk", "receptionist").await;
    let desk = world.app.browser();
    desk.login("desk@hansen.dk", PASSWORD).await;
    for path in ["/setup", "/setup/credentials", "/settings/connection"] {
        assert_eq!(desk.get(path).await.status, 403, "{path}");
    }
    let other = world.prospect("Other", "other.dk", AppRole::CalendarsRead).await;
    let stranger = admin_of(&world, &other).await;
    let page = stranger.get("/settings/connection").await;
    assert!(page.body.contains("Not connected"));
    assert!(!page.body.contains(&hansen.directory));
}

#[tokio::test]
async fn an_expiring_secret_is_announced_on_the_dashboard_and_the_connection_page() {
    let world = World::new().await;
    let hansen = world.prospect("Hansen", "hansen.dk", AppRole::CalendarsRead).await;
    let admin = admin_of(&world, &hansen).await;
    let in_20_days = (now() + chrono::Duration::days(20)).date_naive().to_string();
    let save = with(credentials(&hansen, &hansen.secret, "save"), "secret_expires", &in_20_days);
    admin.submit("/setup/credentials", "/setup/credentials", &save).await;
    for path in ["/dashboard", "/settings/connection"] {
        let page = admin.get(path).await;
        assert!(
            page.body.contains("The client secret expires in 20 days"),
            "{path}: {}",
            page.body
        );
    }
    world.app.clock.advance(chrono::Duration::days(21));
    let admin = world.app.browser();
    admin.login(&format!("it@{}", hansen.customer.domain), PASSWORD).await;
    assert!(admin.get("/dashboard").await.body.contains("The client secret has expired"));
}

#[tokio::test]
async fn the_operator_follows_each_tenants_onboarding_and_expiring_secrets() {
    let world = World::new().await;
    world.app.create_operator("ops@calbridge.dk").await;
    let ops = world.app.browser();
    ops.login("ops@calbridge.dk", PASSWORD).await;
    // A new tenant: no accounts yet, nothing reached.
    let fresh = world.prospect("Fresh", "fresh.dk", AppRole::CalendarsRead).await;
    let page = ops.get(&format!("/operator/tenants/{}", fresh.customer.id)).await;
    assert!(page.body.contains("No accounts yet."), "{}", page.body);

    // Another connects with a secret that expires in ten days.
    let hansen = world.prospect("Hansen", "hansen.dk", AppRole::CalendarsRead).await;
    let admin = admin_of(&world, &hansen).await;
    let soon = (now() + chrono::Duration::days(10)).date_naive().to_string();
    let save = with(credentials(&hansen, &hansen.secret, "save"), "secret_expires", &soon);
    admin.submit("/setup/credentials", "/setup/credentials", &save).await;

    let console = ops.get("/operator").await;
    assert!(console.body.contains("stage-connection"), "{}", console.body);
    assert!(console.body.contains("stage-created"));
    assert!(console.body.contains("in 10 days"));
    let expiring = ops.get("/operator?expiring=1").await;
    assert!(
        expiring.body.contains("Hansen") && !expiring.body.contains(">Fresh<"),
        "{}",
        expiring.body
    );
    let detail = ops.get(&format!("/operator/tenants/{}", hansen.customer.id)).await;
    assert!(detail.body.contains("Onboarding") && detail.body.contains("Connection"));
    // The operator never sees the secret.
    for body in [console.body, expiring.body, detail.body] {
        assert!(!body.contains(&hansen.secret));
    }
}

/// Invites desk@hansen.dk; returns the link's path.
async fn invite_desk(admin: &Browser) -> String {
    let fields = [("email", "desk@hansen.dk"), ("role", "receptionist")];
    let page = admin.submit("/team", "/team/invites", &fields).await;
    assert!(page.body.contains("data-copy=\"invite-link\""), "a copy button");
    let start = page.body.find("/invite/").unwrap();
    page.body[start..start + page.body[start..].find('<').unwrap()].to_owned()
}

#[tokio::test]
async fn a_second_invitation_to_the_same_person_replaces_the_first() {
    let world = World::new().await;
    let hansen = world.prospect("Hansen", "hansen.dk", AppRole::CalendarsRead).await;
    let admin = admin_of(&world, &hansen).await;
    let first = invite_desk(&admin).await;
    let second = invite_desk(&admin).await;
    let team = admin.get("/team").await;
    // One row (the row's revoke button names the address too, for screen readers).
    assert_eq!(team.body.matches(">desk@hansen.dk<").count(), 1, "one open invitation");
    assert_eq!(team.body.matches("invitation to desk@hansen.dk").count(), 1);
    let stranger = world.app.browser();
    assert_eq!(stranger.get(&first).await.status, 404, "the first link no longer works");
    assert_eq!(stranger.get(&second).await.status, 200);
}

#[tokio::test]
async fn the_secret_is_in_no_page_no_log_and_no_column_in_plain_text() {
    let logs = crate::support::captured_logs();
    let world = World::new().await;
    let hansen = world.prospect("Hansen", "hansen.dk", AppRole::CalendarsRead).await;
    let admin = admin_of(&world, &hansen).await;
    let mut bodies = Vec::new();
    for action in ["test", "save"] {
        let page = admin
            .submit(
                "/setup/credentials",
                "/setup/credentials",
                &credentials(&hansen, &hansen.secret, action),
            )
            .await;
        bodies.push(page.body);
    }
    for path in ["/settings/connection", "/setup/credentials", "/audit", "/sync", "/dashboard"] {
        bodies.push(admin.get(path).await.body);
    }
    bodies.push(admin.submit("/settings/connection", "/settings/connection/test", &[]).await.body);
    for body in &bodies {
        assert!(!body.contains(&hansen.secret));
    }
    assert!(!logs.text().contains(&hansen.secret), "the secret reached the log");
    // Every text column of every table, as stored.
    use sea_orm::ConnectionTrait;
    let db = &world.state.db;
    let backend = db.get_database_backend();
    for table in ["provider_configs", "audit_events", "tenants", "sessions", "sync_runs"] {
        let rows = db
            .query_all_raw(sea_orm::Statement::from_string(
                backend,
                format!("SELECT * FROM {table}"),
            ))
            .await
            .unwrap();
        assert!(!format!("{rows:?}").contains(&hansen.secret), "{table}");
    }
    // And the database file itself, with its write-ahead log, byte for byte.
    if let calbridge::config::DatabaseTarget::Sqlite(path) = &world.app.database {
        for suffix in ["", "-wal"] {
            let file = format!("{}{suffix}", path.display());
            let bytes = std::fs::read(&file).unwrap_or_default();
            let needle = hansen.secret.as_bytes();
            assert!(!bytes.windows(needle.len()).any(|w| w == needle), "{file}");
        }
    }
}

#[tokio::test]
async fn the_new_forms_refuse_a_post_without_the_sessions_token() {
    let world = World::new().await;
    let hansen = world.prospect("Hansen", "hansen.dk", AppRole::CalendarsRead).await;
    let admin = admin_of(&world, &hansen).await;
    let fields = credentials(&hansen, &hansen.secret, "save");
    for action in [
        "/setup/company",
        "/setup/credentials",
        "/setup/users",
        "/setup/next",
        "/setup/done",
        "/settings/connection",
        "/settings/connection/test",
        "/settings/connection/disconnect",
    ] {
        let page = admin.post_raw(action, &fields, &[("sec-fetch-site", "same-origin")]).await;
        assert_eq!(page.status, 403, "{action}");
    }
    assert!(stored_connection(&world, &hansen).await.is_none());
}

#[tokio::test]
async fn an_expired_secret_is_named_as_expired() {
    use crate::support::ids::{EXPIRED_CLIENT, EXPIRED_SECRET, EXPIRED_TENANT};
    let world = World::new().await;
    // Expired Ltd of the fixture scenario: its only secret expired in 2020.
    let hansen = world.prospect("Hansen", "hansen.dk", AppRole::CalendarsRead).await;
    let admin = admin_of(&world, &hansen).await;
    let fields = credentials(&hansen, EXPIRED_SECRET, "save");
    let fields = with(with(fields, "directory_id", EXPIRED_TENANT), "client_id", EXPIRED_CLIENT);
    let page = admin.submit("/setup/credentials", "/setup/credentials", &fields).await;
    assert_eq!(page.status, 422);
    let line = check_line(&page, "The client secret is valid");
    assert!(
        line.contains("The client secret has expired")
            && line.contains("Create a new client secret"),
        "{line}"
    );
}
