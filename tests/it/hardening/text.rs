//! Text others wrote — in forms, in calendars — is refused, cleaned or escaped at the boundary:
//! NUL and control characters in form fields are field errors, calendar text is cleaned
//! before it is stored, every terminal table escapes control characters, and a form that is
//! not UTF-8 is refused whole.

use crate::support::world::{World, meeting, now};
use crate::support::{PASSWORD, TestApp, tenant_scope};

const TERMINAL_ATTACK: &str = "\u{1b}]0;owned\u{7}\u{1b}[2J";

async fn admin_of_hansen(app: &TestApp) -> (sea_orm::prelude::Uuid, crate::support::Browser) {
    let tenant = app.create_tenant("Hansen", 5).await;
    app.create_member(tenant, "admin@hansen.dk", "tenant_admin").await;
    let admin = app.browser();
    assert_eq!(admin.login("admin@hansen.dk", PASSWORD).await.status, 303);
    (tenant, admin)
}

#[tokio::test]
async fn control_characters_in_form_fields_are_field_errors_not_failures() {
    let app = TestApp::spawn().await;
    let (tenant, admin) = admin_of_hansen(&app).await;
    for (field, value) in [
        ("display_name", "Anna\0Hansen"),
        ("department", "Salg\u{1b}[2J"),
        ("display_name", "Anna\r\nSet-Cookie: x"),
    ] {
        let page =
            admin.submit("/users", "/users", &[("email", "anna@hansen.dk"), (field, value)]).await;
        assert_eq!(page.status, 422, "{field}={value:?}: {}", page.body);
        assert!(page.body.contains("control characters"), "{}", page.body);
    }
    let users =
        calbridge::services::directory::list(&app.state, tenant_scope(tenant)).await.unwrap();
    assert!(users.is_empty(), "nothing was saved");

    // The name an invitee gives is checked the same way.
    let invite = admin
        .submit("/team", "/team/invites", &[("email", "desk@hansen.dk"), ("role", "receptionist")])
        .await;
    let start = invite.body.find("/invite/").unwrap();
    let link = invite.body[start..start + invite.body[start..].find('<').unwrap()].to_owned();
    let invitee = app.browser();
    let fields =
        [("display_name", "Desk\0"), ("password", PASSWORD), ("password_repeat", PASSWORD)];
    let refused = invitee.submit(&link, &link, &fields).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("control characters"));
}

#[tokio::test]
async fn a_form_that_is_not_utf8_is_refused_whole() {
    let app = TestApp::spawn().await;
    let (tenant, admin) = admin_of_hansen(&app).await;
    let token = admin.get("/users").await.csrf();
    let base = format!("http://{}", app.addr);
    // What a client posting Windows-1252 sends for "Søren": an ø that is not UTF-8.
    let body = format!("email=s%F8ren%40hansen.dk&display_name=S%F8ren&csrf_token={token}");
    let page = admin.post_bytes("/users", body.into_bytes(), &[("origin", &base)]).await;
    assert_eq!(page.status, 400, "{}", page.body);
    assert!(page.body.contains("not UTF-8"), "{}", page.body);
    let users =
        calbridge::services::directory::list(&app.state, tenant_scope(tenant)).await.unwrap();
    assert!(users.is_empty(), "nothing was saved as U+FFFD");
}

#[tokio::test]
async fn calendar_text_is_cleaned_before_it_is_stored_and_shown() {
    let world = World::new().await;
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    let now = now();
    let subject = format!("{TERMINAL_ATTACK}Kundemøde\0 med\r\nJensen");
    world
        .person(
            &hansen,
            "anna",
            vec![meeting(
                &subject,
                now - chrono::Duration::minutes(5),
                now + chrono::Duration::minutes(25),
            )],
        )
        .await;
    let tenant = hansen.id.to_string();
    // On PostgreSQL a NUL used to fail the whole tenant's sync.
    let sync = world.cli(&["sync", "--tenant", &tenant, "--once"]).await;
    assert_eq!(sync.code, 0, "{}", sync.stderr);
    assert!(sync.stdout.contains("\"outcome\": \"ok\""), "{}", sync.stdout);

    let json = world.cli(&["presence", "--tenant", &tenant, "--json"]).await;
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let shown = doc["users"][0]["appointment"]["subject"].as_str().unwrap().to_owned();
    assert_eq!(shown, "]0;owned[2JKundemøde med  Jensen");
    let table = world.cli(&["presence", "--tenant", &tenant]).await;
    assert!(table.stdout.contains("Kundemøde med  Jensen"), "{}", table.stdout);
    assert!(!table.stdout.chars().any(|c| c.is_control() && c != '\n'), "{:?}", table.stdout);
}

#[tokio::test]
async fn terminal_tables_escape_control_characters_stored_before_they_were_refused() {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
    let app = TestApp::spawn().await;
    let tenant = app.create_tenant("Hansen", 5).await;
    let user = app.add_user(tenant, "anna@hansen.dk").await;
    // As an earlier version could have stored it.
    let row = calbridge::db::entities::directory_user::Entity::find_by_id(user)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let mut row: calbridge::db::entities::directory_user::ActiveModel = row.into();
    row.display_name = Set(Some(format!("Anna{TERMINAL_ATTACK}")));
    row.update(&app.state.db).await.unwrap();

    let list =
        crate::cli::calbridge(&app, &["user", "list", "--tenant", &tenant.to_string()], None).await;
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert!(!list.stdout.contains('\u{1b}'), "{:?}", list.stdout);
    assert!(list.stdout.contains("Anna\\u{1b}]0;owned\\u{7}"), "{}", list.stdout);
}
