//! The portal's pages as a person uses them.

use calbridge::services::directory;

use crate::support::{PASSWORD, TestApp, tenant_scope};

#[tokio::test]
async fn operator_creates_a_tenant_and_sees_it_in_the_list() {
    let app = TestApp::spawn().await;
    app.create_operator("ops@calbridge.dk").await;
    let ops = app.browser();
    ops.login("ops@calbridge.dk", PASSWORD).await;

    let bad = ops
        .submit(
            "/operator/tenants/new",
            "/operator/tenants",
            &[("name", ""), ("licences", "many"), ("cvr", "12"), ("timezone", "Mars/Base")],
        )
        .await;
    assert_eq!(bad.status, 422);
    for message in ["Required.", "whole number", "8 digits", "Unknown time zone"] {
        assert!(bad.body.contains(message), "missing '{message}'");
    }

    let res = ops
        .submit(
            "/operator/tenants/new",
            "/operator/tenants",
            &[
                ("name", "<b>Hansen</b> & Søn"),
                ("cvr", "1234 5678"),
                ("licences", "25"),
                ("contact_name", "Karen Hansen"),
                ("contact_email", "karen@hansen.dk"),
                ("contact_phone", "+45 12 34 56 78"),
                ("timezone", "Europe/Copenhagen"),
                ("locale", "da"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    let detail = ops.get(res.location().unwrap()).await;
    assert_eq!(detail.status, 200);
    assert!(detail.body.contains("&#60;b&#62;Hansen&#60;/b&#62; &#38; Søn"), "names are escaped");
    assert!(!detail.body.contains("<b>Hansen</b>"));
    assert!(detail.body.contains("12345678"));

    let list = ops.get("/operator").await;
    assert!(list.body.contains("&#60;b&#62;Hansen"));
    assert!(list.body.contains(">25<"));
}

#[tokio::test]
async fn users_page_enforces_licences_and_case_insensitive_uniqueness() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("Hansen", 1).await;
    app.create_member(tenant, "admin@hansen.dk", "tenant_admin").await;
    let admin = app.browser();
    admin.login("admin@hansen.dk", PASSWORD).await;

    let res = admin
        .submit(
            "/users",
            "/users",
            &[
                ("email", "Anna@Hansen.dk"),
                ("display_name", "Anna"),
                ("extension", "201"),
                ("sync", "on"),
            ],
        )
        .await;
    assert_eq!(res.status, 303);
    let dup = admin.submit("/users", "/users", &[("email", "anna@HANSEN.dk")]).await;
    assert_eq!(dup.status, 422);
    assert!(dup.body.contains("already exists"));
    let bad = admin
        .submit("/users", "/users", &[("email", "not-an-address"), ("extension", "abc")])
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("Not a valid e-mail address"));
    assert!(bad.body.contains("may only contain digits"));

    // The only licence is taken: a second user cannot get sync.
    let res = admin.submit("/users", "/users", &[("email", "bo@hansen.dk"), ("sync", "on")]).await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("All licences are in use"));
    let bo = app.add_user(tenant, "bo@hansen.dk").await;
    let res = admin.submit("/users", &format!("/users/{bo}/sync"), &[("enabled", "true")]).await;
    assert_eq!(res.status, 409);
    assert!(res.body.contains("All licences are in use"));

    let page = admin.get("/users").await;
    assert!(page.body.contains("1 / 1"));
    assert!(page.body.contains("Anna@Hansen.dk"));
}

#[tokio::test]
async fn language_follows_account_then_tenant_then_browser() {
    let app = TestApp::spawn().await;
    let browser = app.browser();
    let da = browser.get_with("/login", &[("accept-language", "da")]).await;
    assert!(da.body.contains("Log ind med din e-mailadresse"));
    let en = browser.get_with("/login", &[("accept-language", "en-US")]).await;
    assert!(en.body.contains("Sign in with your e-mail address"));
    // An explicit choice on the sign-in page sticks.
    let chosen = browser.get_with("/login?lang=da", &[("accept-language", "en")]).await;
    assert!(chosen.body.contains("Log ind med din e-mailadresse"));
    let later = browser.get_with("/login", &[("accept-language", "en")]).await;
    assert!(later.body.contains("Log ind med din e-mailadresse"));

    // A Danish tenant's admin sees Danish even with an English browser.
    let tenant = app.create_tenant_in("Hansen", 5, "da").await;
    app.create_member(tenant, "admin@hansen.dk", "tenant_admin").await;
    let admin = app.browser();
    admin.login("admin@hansen.dk", PASSWORD).await;
    let page = admin.get_with("/dashboard", &[("accept-language", "en")]).await;
    assert!(page.body.contains("Overblik"), "{}", page.body);
}

#[tokio::test]
async fn static_assets_are_served_from_the_binary() {
    let app = TestApp::spawn().await;
    let css = app.browser().get("/static/app.css").await;
    assert_eq!(css.status, 200);
    assert!(css.headers.get("content-type").unwrap().to_str().unwrap().starts_with("text/css"));
    assert!(css.body.contains("--brand"));
    assert_eq!(app.browser().get("/static/../Cargo.toml").await.status, 404);
}

/// An English tenant with an admin signed in, a receptionist, and Anna Jensen (sync on).
async fn hansen(licences: u32) -> (TestApp, uuid::Uuid, crate::support::Browser, uuid::Uuid) {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("Hansen", licences).await;
    app.create_member(tenant, "admin@hansen.dk", "tenant_admin").await;
    app.create_member(tenant, "reception@hansen.dk", "receptionist").await;
    let admin = app.browser();
    admin.login("admin@hansen.dk", PASSWORD).await;
    let res = admin
        .submit(
            "/users",
            "/users",
            &[("email", "anna@hansen.dk"), ("display_name", "Anna Jensen"), ("sync", "on")],
        )
        .await;
    assert_eq!(res.status, 303);
    let users = directory::list(&app.state, tenant_scope(tenant)).await.unwrap();
    let anna = users.iter().find(|u| u.email == "anna@hansen.dk").unwrap().id;
    (app, tenant, admin, anna)
}

#[tokio::test]
async fn a_signed_in_person_switches_language_and_it_stays_on_their_account() {
    let (app, _, admin, _) = hansen(5).await;
    let users = admin.get("/users").await;
    assert!(users.body.contains("<html lang=\"en\">") && users.body.contains("Users"));
    // The footer's button: a form with the session's token, back to the same page.
    assert!(users.body.contains("action=\"/account/language\""));
    let token = users.csrf();
    let base = format!("http://{}", app.addr);
    let res = admin
        .post_raw(
            "/account/language",
            &[("csrf_token", token.as_str()), ("lang", "da")],
            &[("referer", &format!("{base}/users?done=saved"))],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(res.location(), Some("/users?done=saved"));
    let users = admin.get("/users").await;
    assert!(users.body.contains("<html lang=\"da\">"), "{}", users.body);
    assert!(users.body.contains("Brugere") && !users.body.contains("Add user"));

    // Saved on the account: a new session on another browser, which asks for English, too.
    let elsewhere = app.browser();
    elsewhere.login("admin@hansen.dk", PASSWORD).await;
    let page = elsewhere.get_with("/users", &[("accept-language", "en")]).await;
    assert!(page.body.contains("<html lang=\"da\">"));

    // Without the token nothing changes; an unknown language is refused.
    let res = admin.post_raw("/account/language", &[("lang", "en")], &[]).await;
    assert_eq!(res.status, 403);
    let res = admin.submit("/users", "/account/language", &[("lang", "xx")]).await;
    assert_eq!(res.status, 422);
    assert!(admin.get("/users").await.body.contains("<html lang=\"da\">"));
}

#[tokio::test]
async fn removing_a_user_asks_on_a_page_of_its_own_first() {
    let (_app, _, admin, anna) = hansen(5).await;
    // The edit page links to the question; it does not remove anything itself.
    let edit = admin.get(&format!("/users/{anna}")).await;
    assert!(edit.body.contains(&format!("href=\"/users/{anna}/delete\"")));
    let ask = admin.get(&format!("/users/{anna}/delete")).await;
    assert_eq!(ask.status, 200);
    let text = &ask.body;
    assert!(text.contains("Remove user?") && text.contains("Anna Jensen"), "{text}");
    assert!(text.contains("will no longer be read"), "{text}");
    assert!(ask.body.contains(&format!("action=\"/users/{anna}/delete\"")));
    assert_eq!(admin.get(&format!("/users/{anna}")).await.status, 200, "still there");

    let res =
        admin.submit(&format!("/users/{anna}/delete"), &format!("/users/{anna}/delete"), &[]).await;
    assert_eq!(res.location(), Some("/users?done=removed"));
    assert_eq!(admin.get(&format!("/users/{anna}")).await.status, 404);
    assert_eq!(admin.get(&format!("/users/{anna}/delete")).await.status, 404);
}

#[tokio::test]
async fn toggling_sync_says_what_happened_and_a_refusal_stands_beside_its_toggle() {
    let (app, tenant, admin, anna) = hansen(1).await;
    let res = admin.submit("/users", &format!("/users/{anna}/sync"), &[("enabled", "false")]).await;
    assert_eq!(res.status, 303);
    let page = admin.get(res.location().unwrap()).await;
    assert!(page.body.contains("Sync turned off for Anna Jensen."), "{}", page.body);
    let res = admin.submit("/users", &format!("/users/{anna}/sync"), &[("enabled", "true")]).await;
    let page = admin.get(res.location().unwrap()).await;
    assert!(page.body.contains("Sync turned on for Anna Jensen."));
    // Each row's button says whose sync it turns off.
    assert!(page.body.contains("aria-label=\"Turn off sync for Anna Jensen\""), "{}", page.body);

    // The only licence is Anna's: Bo's toggle is refused, and the reason stands in Bo's row.
    let bo = app.add_user(tenant, "bo@hansen.dk").await;
    let res = admin.submit("/users", &format!("/users/{bo}/sync"), &[("enabled", "true")]).await;
    assert_eq!(res.status, 409);
    let row_start = res.body.find(&format!("/users/{bo}/sync")).unwrap();
    let row = &res.body[row_start..row_start + res.body[row_start..].find("</tr>").unwrap()];
    assert!(
        row.contains(&format!("id=\"sync-error-{bo}\"")) && row.contains("All licences are in use")
    );
    assert!(row.contains(&format!("aria-describedby=\"sync-error-{bo}\"")));
    assert!(!res.body.contains("id=\"e-sync\""), "not at the add form");

    // Adding with sync ticked: the reason stands at the add form's checkbox.
    let res =
        admin.submit("/users", "/users", &[("email", "carl@hansen.dk"), ("sync", "on")]).await;
    assert_eq!(res.status, 422);
    let form = &res.body[res.body.find("action=\"/users\"").unwrap()..];
    assert!(form.contains("id=\"e-sync\"") && form.contains("All licences are in use"));
    assert!(!res.body.contains("sync-error-"));
}

#[tokio::test]
async fn too_long_says_how_long_is_allowed_and_hints_are_tied_to_their_fields() {
    let (_app, _, admin, _) = hansen(5).await;
    let long = "x".repeat(201);
    let res = admin
        .submit("/users", "/users", &[("email", "cai@hansen.dk"), ("display_name", &long)])
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("Too long: at most 200 characters."), "{}", res.body);
    // The hint and the problem both describe the field; our messages, not the browser's.
    assert!(res.body.contains("aria-describedby=\"h-display_name e-display_name\""));
    assert!(res.body.contains("action=\"/users\" class=\"grid-form\" novalidate"));
}

#[tokio::test]
async fn a_receptionist_works_on_the_board_and_a_new_board_says_how_to_fill_it() {
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("Hansen", 5).await;
    app.create_member(tenant, "admin@hansen.dk", "tenant_admin").await;
    app.create_member(tenant, "reception@hansen.dk", "receptionist").await;
    let desk = app.browser();
    assert_eq!(desk.login("reception@hansen.dk", PASSWORD).await.location(), Some("/presence"));
    assert_eq!(desk.get("/dashboard").await.location(), Some("/presence"));
    let board = desk.get("/presence").await;
    assert!(board.body.contains("Ask your administrator to add people."), "{}", board.body);
    assert!(!board.body.contains("href=\"/users\""));

    let admin = app.browser();
    admin.login("admin@hansen.dk", PASSWORD).await;
    let board = admin.get("/presence").await;
    assert!(board.body.contains("There is nobody on the board yet. Add people under"));
    assert!(board.body.contains("<a href=\"/users\">Users</a>"));
    // A search that matches nobody on a full board says just that.
    app.add_user(tenant, "anna@hansen.dk").await;
    let board = admin.get("/presence?q=zzz").await;
    assert!(board.body.contains("Nobody matches.") && !board.body.contains("nobody on the board"));
}

/// All-day appointments read as days on the board and in the rules preview, never as
/// "until 00:00" or "00:00–00:00".
#[tokio::test]
async fn all_day_appointments_read_as_days_not_midnights() {
    use crate::support::world::{World, at, now};
    let world = World::new().await;
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    let now = now();
    let all_day = |days: i64| calbridge::simulator::EventSpec {
        subject: "Kursus".into(),
        start: at(now),
        end: at(now + chrono::Duration::days(days)),
        all_day: true,
        show_as: Some("busy".into()),
        ..Default::default()
    };
    let bo = world.person(&hansen, "bo", vec![all_day(1)]).await;
    world.person(&hansen, "carl", vec![all_day(2)]).await;
    world.person(&hansen, "dan", vec![all_day(4)]).await;
    world.sync(&hansen).await;
    world.app.create_member(hansen.id, "it@hansen.dk", "tenant_admin").await;
    let admin = world.app.browser();
    admin.login("it@hansen.dk", PASSWORD).await;

    let board = admin.get("/presence").await;
    let row = |email: &str| {
        let start = board.body.find(&format!("data-email=\"{email}\"")).unwrap();
        board.body[start..start + board.body[start..].find("</tr>").unwrap()].to_owned()
    };
    assert!(row("bo@hansen.dk").contains("all day"), "{}", row("bo@hansen.dk"));
    assert!(row("carl@hansen.dk").contains("until tomorrow"), "{}", row("carl@hansen.dk"));
    // Four days: today and the next three, the last named by its weekday.
    let tz = chrono_tz::Europe::Copenhagen;
    let last = (now.with_timezone(&tz) + chrono::Duration::days(3)).format("%A").to_string();
    assert!(row("dan@hansen.dk").contains(&format!("until {last}")), "{}", row("dan@hansen.dk"));
    assert!(!board.body.contains("until 00:00"), "{}", board.body);

    let preview = admin.get(&format!("/rules?user={bo}")).await;
    assert_eq!(preview.status, 200);
    assert!(preview.body.contains("All day"), "{}", preview.body);
    assert!(!preview.body.contains("00:00–") && !preview.body.contains("until 00:00"));
}
