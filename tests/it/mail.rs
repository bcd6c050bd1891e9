//! E-mail through a real SMTP conversation with a local sink: invitations, secret-expiry
//! warnings once per threshold, and "needs an administrator" alerts once per problem.

use std::sync::Arc;

use calbridge::services::credentials::GraphInput;
use calbridge::services::{Actor, notices};
use secrecy::SecretString;

use crate::support::smtp::SmtpSink;
use crate::support::world::World;
use crate::support::{PASSWORD, TestApp, tenant_scope};

const FROM: &str = "calbridge <noreply@calbridge.example.dk>";

#[tokio::test]
async fn invitations_are_emailed_in_the_tenants_language() {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = TestApp::spawn_with(|c| {
        c.smtp_url = Some(SecretString::from(url));
        c.mail_from = Some(FROM.into());
    })
    .await;
    let tenant = app.create_tenant_in("Hansen", 5, "da").await;
    app.create_member(tenant, "admin@hansen.dk", "tenant_admin").await;
    let before = sink.messages().len();
    let admin = app.browser();
    admin.login("admin@hansen.dk", PASSWORD).await;
    let page = admin
        .submit("/team", "/team/invites", &[("email", "desk@hansen.dk"), ("role", "receptionist")])
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("desk@hansen.dk"), "{}", page.body);
    let start = page.body.find("<code>").unwrap() + "<code>".len();
    let link = &page.body[start..start + page.body[start..].find("</code>").unwrap()];

    let mails = sink.wait_for(before + 1).await;
    let mail = mails.iter().find(|m| m.to == ["desk@hansen.dk"]).expect("the invitee got a mail");
    assert_eq!(mail.subject, "Invitation til calbridge: Hansen");
    assert!(mail.body.contains(link), "{}", mail.body);
    assert!(mail.body.contains("Receptionist") && mail.body.contains("udløber"), "{}", mail.body);
    // The page says so (Danish, the tenant's language).
    assert!(page.body.contains("sendt til desk@hansen.dk"), "{}", page.body);
}

async fn with_mail(world: &mut World) -> SmtpSink {
    let sink = SmtpSink::start().await;
    let mailer = calbridge::mail::SmtpMailer::new(&SecretString::from(sink.url()), FROM).unwrap();
    world.state.mailer = Some(Arc::new(mailer));
    sink
}

#[tokio::test]
async fn secret_expiry_is_announced_to_each_admin_once_per_threshold() {
    let mut world = World::new().await;
    let sink = with_mail(&mut world).await;
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    world.app.create_member(hansen.id, "it@hansen.dk", "tenant_admin").await;
    world.app.create_member(hansen.id, "boss@hansen.dk", "tenant_admin").await;
    world.app.create_member(hansen.id, "desk@hansen.dk", "receptionist").await;
    // The stored secret expires in 20 days.
    let expires = (world.state.clock.now() + chrono::Duration::days(20)).date_naive();
    let client = world
        .sim
        .tenants()
        .into_iter()
        .find(|t| t.directory_id.to_string() == hansen.directory)
        .unwrap()
        .client_id;
    let input = GraphInput {
        directory_id: hansen.directory.clone(),
        client_id: client.to_string(),
        client_secret: SecretString::from("Hansen~secret.value"),
        secret_expires: Some(expires.to_string()),
        detail: Some("full".into()),
    };
    calbridge::services::credentials::set_graph(
        &world.state,
        &Actor::command_line(),
        tenant_scope(hansen.id),
        &input,
    )
    .await
    .unwrap();

    assert_eq!(notices::run(&world.state).await.unwrap(), 2, "both admins, not the receptionist");
    let mails = sink.messages();
    assert!(mails.iter().all(|m| !m.to.contains(&"desk@hansen.dk".to_owned())));
    // The world's tenants speak English.
    assert!(mails[0].subject.contains("expires in 20 days"), "{}", mails[0].subject);
    assert!(mails[0].body.contains(&expires.to_string()));
    assert_eq!(notices::run(&world.state).await.unwrap(), 0, "once per threshold");

    world.state.clock.advance(chrono::Duration::days(7));
    assert_eq!(notices::run(&world.state).await.unwrap(), 2, "14 days left");
    assert_eq!(notices::run(&world.state).await.unwrap(), 0);
    world.state.clock.advance(chrono::Duration::days(14));
    assert_eq!(notices::run(&world.state).await.unwrap(), 2, "expired");
    assert!(sink.messages().last().unwrap().subject.contains("has expired"));
}

#[tokio::test]
async fn an_administrator_is_told_once_when_syncing_stops_for_them() {
    let mut world = World::new().await;
    let sink = with_mail(&mut world).await;
    let hansen = world.customer("Hansen", "hansen.dk", "full").await;
    world.person(&hansen, "anna", vec![]).await;
    world.app.create_member(hansen.id, "it@hansen.dk", "tenant_admin").await;

    world.store_secret(&hansen, "Wrong~secret.value").await;
    world.sync(&hansen).await;
    assert_eq!(notices::run(&world.state).await.unwrap(), 1);
    let mail = sink.messages().pop().unwrap();
    assert_eq!(mail.to, ["it@hansen.dk"]);
    assert!(mail.subject.contains("Hansen"), "{}", mail.subject);
    assert!(mail.body.contains("The client secret is wrong"), "{}", mail.body);
    assert!(!mail.body.contains("Wrong~secret"));
    assert_eq!(notices::run(&world.state).await.unwrap(), 0, "told once");

    // Fixed, then broken again: told again.
    let right = world
        .sim
        .tenants()
        .into_iter()
        .find(|t| t.directory_id.to_string() == hansen.directory)
        .unwrap();
    world.store_secret(&hansen, &format!("{}~secret.value", right.name)).await;
    world.sync(&hansen).await;
    assert_eq!(notices::run(&world.state).await.unwrap(), 0);
    world.store_secret(&hansen, "Wrong~again.value").await;
    world.sync(&hansen).await;
    assert_eq!(notices::run(&world.state).await.unwrap(), 1);
}
