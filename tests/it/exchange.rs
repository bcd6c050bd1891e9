//! Exchange on-premises from end to end: the wizard's path in the portal, the command line,
//! the scheduler and the board, against the simulator's EWS endpoint.

use std::time::{Duration, Instant};

use calbridge::simulator::{FaultEndpoint, FaultKind, FaultSpec};

use crate::support::world::{
    Customer, Prospect, World, admin_of, check_line, meeting, now, options,
};

const PRIVATE_SUBJECT: &str = "Psykologsamtale";
const PRIVATE_LOCATION: &str = "Klinikken";

async fn world() -> World {
    World::new_with(|c| c.ews_allow_private = true).await
}

#[tokio::test]
async fn an_admin_connects_exchange_on_premises_in_the_portal() {
    let world = world().await;
    let fjordby = world.exchange_prospect("Fjordby", "fjordby.dk").await;
    let now = now();
    let mut private = meeting(
        PRIVATE_SUBJECT,
        now - chrono::Duration::hours(3),
        now - chrono::Duration::hours(2),
    );
    private.location = PRIVATE_LOCATION.into();
    private.sensitivity = calbridge::simulator::Sensitivity::Private;
    let anna = world.mailbox(
        &fjordby.customer,
        "anna",
        vec![
            meeting(
                "Borgermøde",
                now - chrono::Duration::minutes(5),
                now + chrono::Duration::minutes(40),
            ),
            private,
        ],
        false,
    );
    let admin = admin_of(&world, &fjordby).await;
    let chosen = admin.submit("/setup/calendar", "/setup/calendar", &[("system", "ews")]).await;
    assert_eq!(chosen.location(), Some("/setup/entra"));
    // The guide is the Exchange script, finding the calendar by folder type.
    let guide = admin.get("/setup/entra").await;
    assert!(guide.body.contains("Prepare Exchange"), "{}", guide.body);
    assert!(
        guide.body.contains("Get-MailboxFolderStatistics") && guide.body.contains("FolderType")
    );
    assert!(guide.body.contains("Add-MailboxFolderPermission") && guide.body.contains("-WhatIf"));
    assert!(
        admin
            .get("/setup/entra?mailboxes=synced")
            .await
            .body
            .contains("nobody has calendar sync on yet")
    );
    // Application access policies are Microsoft 365's: that step leads on.
    assert_eq!(admin.get("/setup/restrict").await.location(), Some("/setup/credentials"));
    let form = admin.get("/setup/credentials").await;
    assert!(form.body.contains("name=\"ews_url\"") && form.body.contains("name=\"ews_ca_pem\""));

    let url = world.sim.ews_url();
    let ca = world.sim.ca_pem().to_owned();
    let fields = |password: &'static str, action: &'static str| -> Vec<(&'static str, String)> {
        vec![
            ("system", "ews".into()),
            ("ews_url", url.clone()),
            ("ews_username", fjordby.client.clone()),
            ("ews_password", password.into()),
            ("ews_auth", "auto".into()),
            ("ews_ca_pem", ca.clone()),
            ("detail", "full".into()),
            ("test_mailbox", anna.clone()),
            ("action", action.into()),
        ]
    };
    let as_refs = |f: &[(&'static str, String)]| -> Vec<(&'static str, String)> { f.to_vec() };
    // A wrong password: the server and TLS pass, the sign-in is explained.
    let wrong = as_refs(&fields("Forkert-2030", "save"));
    let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = admin.submit("/setup/credentials", "/setup/credentials", &wrong).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(check_line(&refused, "The Exchange server answers").contains("OK"));
    let sign_in = check_line(&refused, "The service account can sign in");
    assert!(
        sign_in.contains("Failed") && sign_in.contains("refused the service account"),
        "{sign_in}"
    );
    assert!(!refused.body.contains("Forkert-2030"), "the password is never shown back");

    // The right one: every item passes, the tenant is saved and the wizard goes on.
    let right_password: &'static str = Box::leak(fjordby.secret.clone().into_boxed_str());
    let right = as_refs(&fields(right_password, "save"));
    let right: Vec<(&str, &str)> = right.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let saved = admin.submit("/setup/credentials", "/setup/credentials", &right).await;
    assert_eq!(saved.location(), Some("/setup/users"), "{}", saved.body);
    let connection = admin.get("/settings/connection").await;
    assert!(
        connection.body.contains(&url) && connection.body.contains("NTLM"),
        "{}",
        connection.body
    );
    assert!(connection.body.contains("Connect Microsoft 365 instead"));
    assert!(!connection.body.contains(&fjordby.secret));

    let added = admin
        .submit("/setup/users", "/setup/users", &[("email", &anna), ("display_name", "Anna Holm")])
        .await;
    assert_eq!(added.location(), Some("/setup/users"), "{}", added.body);
    let next = admin.submit("/setup/users", "/setup/next", &[("from", "users")]).await;
    assert_eq!(next.location(), Some("/setup/done"));
    assert_eq!(admin.submit("/setup/done", "/setup/done", &[]).await.location(), Some("/presence"));
    let report = world.sync(&fjordby.customer).await;
    assert_eq!(report.outcome.as_str(), "ok", "{report:?}");
    let board = admin.get("/presence").await;
    assert!(
        board.body.contains("Anna Holm") && board.body.contains("Borgermøde"),
        "{}",
        board.body
    );

    // The private appointment's words are nowhere: not in the database, not on any page,
    // not in the command line's output.
    let dump = database_text(&world).await;
    for word in [PRIVATE_SUBJECT, PRIVATE_LOCATION, fjordby.secret.as_str()] {
        assert!(!dump.contains(word), "{word} is in the database");
    }
    let cli =
        world.cli(&["presence", "--tenant", &fjordby.customer.id.to_string(), "--json"]).await;
    assert_eq!(cli.code, 0, "{}", cli.stderr);
    assert!(cli.stdout.contains("Borgermøde"));
    assert!(!cli.stdout.contains(PRIVATE_SUBJECT) && !cli.stderr.contains(PRIVATE_SUBJECT));
}

/// Every text column of the rows calbridge keeps about calendars and connections.
async fn database_text(world: &World) -> String {
    use calbridge::db::entities::{
        audit_event, availability, availability_history, provider_config,
    };
    use sea_orm::EntityTrait;
    let mut dump = String::new();
    dump += &format!("{:?}", availability::Entity::find().all(&world.state.db).await.unwrap());
    dump +=
        &format!("{:?}", availability_history::Entity::find().all(&world.state.db).await.unwrap());
    dump += &format!("{:?}", provider_config::Entity::find().all(&world.state.db).await.unwrap());
    dump += &format!("{:?}", audit_event::Entity::find().all(&world.state.db).await.unwrap());
    dump
}

#[tokio::test]
async fn set_ews_and_test_connection_from_the_command_line() {
    let world = world().await;
    let fjordby = world.exchange_prospect("Fjordby", "fjordby.dk").await;
    let anna = world.mailbox(&fjordby.customer, "anna", vec![], false);
    let tenant = fjordby.customer.id.to_string();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("fjordby-ca.pem");
    std::fs::write(&ca_file, world.sim.ca_pem()).unwrap();
    let url = world.sim.ews_url();
    let set = |password: &str| {
        let args = [
            "tenant",
            "set-ews",
            "--tenant",
            &tenant,
            "--url",
            &url,
            "--username",
            &fjordby.client,
            "--password-stdin",
            "--ca-file",
            ca_file.to_str().unwrap(),
            "--detail",
            "full",
        ]
        .map(str::to_owned);
        let stdin = format!("{password}\n");
        let world = &world;
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            crate::cli::calbridge_with(
                &world.app,
                &args,
                Some(&stdin),
                &[
                    ("CALBRIDGE_MASTER_KEY", &world.app.master_key),
                    ("CALBRIDGE_EWS_ALLOW_PRIVATE", "true"),
                ],
            )
            .await
        }
    };
    let stored = set(&fjordby.secret).await;
    assert_eq!(stored.code, 0, "{}", stored.stderr);
    assert!(stored.stdout.contains("Exchange on-premises connection saved"), "{}", stored.stdout);
    assert!(!stored.stdout.contains(&fjordby.secret));
    let test = |mailbox: String| {
        let world = &world;
        let tenant = tenant.clone();
        async move {
            crate::cli::calbridge_with(
                &world.app,
                &["tenant", "test-connection", "--tenant", &tenant, "--mailbox", &mailbox],
                None,
                &[
                    ("CALBRIDGE_MASTER_KEY", &world.app.master_key),
                    ("CALBRIDGE_EWS_ALLOW_PRIVATE", "true"),
                ],
            )
            .await
        }
    };
    let passed = test(anna.clone()).await;
    assert_eq!(passed.code, 0, "{}{}", passed.stdout, passed.stderr);
    assert!(passed.stdout.contains("signed in to Exchange: ok (NTLM)"), "{}", passed.stdout);
    assert!(passed.stdout.contains("Reviewer on the calendar: ok"), "{}", passed.stdout);

    world.sim.set_ews_access(&anna, calbridge::simulator::scenario::EwsAccess::FreeBusy).unwrap();
    let denied = test(anna.clone()).await;
    assert_ne!(denied.code, 0);
    assert!(denied.stdout.contains("the Reviewer right on the calendar of"), "{}", denied.stdout);
    assert!(denied.stdout.contains("Grant the Monitor account Reviewer"), "{}", denied.stdout);

    assert_eq!(set("Forkert-2030").await.code, 0, "storing does not test");
    let wrong = test(anna).await;
    assert_ne!(wrong.code, 0);
    assert!(wrong.stdout.contains("signing in to Exchange: failed"), "{}", wrong.stdout);
    assert!(wrong.stdout.contains("Exchange refused the service account"), "{}", wrong.stdout);
    assert!(!wrong.stdout.contains("Forkert-2030") && !wrong.stderr.contains("Forkert-2030"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_exchange_server_does_not_delay_a_microsoft_365_tenant() {
    let world = world().await;
    let onprem = world.exchange_customer("Onprem", "onprem.dk", "full").await;
    let cloud = world.customer("Cloud", "cloud.dk", "full").await;
    world.person(&onprem, "sam", vec![]).await;
    let ulla = world.person(&cloud, "ulla", vec![]).await;
    world.sim.add_fault(FaultSpec {
        endpoint: FaultEndpoint::Ews,
        tenant: Some(onprem.directory.clone()),
        mailbox: None,
        kind: FaultKind::Hang { secs: Some(120) },
        count: None,
    });
    let started = Instant::now();
    let scheduler = world.scheduler(options("ews-hang")).await.unwrap();
    while world.row(ulla).await.is_none() {
        assert!(started.elapsed() < Duration::from_secs(5), "the cloud tenant waited for Exchange");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(scheduler.syncing().await.contains(&onprem.id), "Exchange is still being read");
    scheduler.shutdown().await;
}

#[tokio::test]
async fn moving_to_exchange_online_keeps_users_and_history() {
    use calbridge::simulator::{MailboxSpec, NewMailbox};
    let world = world().await;
    let onprem = world.exchange_customer("Flytter", "flytter.dk", "full").await;
    let now = now();
    let soon = now + chrono::Duration::minutes(30);
    let vera = world
        .person(
            &onprem,
            "vera",
            vec![meeting("Flyttemøde", now - chrono::Duration::minutes(5), soon)],
        )
        .await;
    assert_eq!(world.sync(&onprem).await.outcome.as_str(), "ok");
    let appointment = world.row(vera).await.unwrap().appointment_json.unwrap_or_default();
    assert!(appointment.contains("Flyttemøde"), "{appointment}");
    let history_before = history_count(&world).await;

    // The mailboxes move to Microsoft 365, where the company registered an app.
    let cloud = world
        .prospect("Flytter365", "flytter365.dk", calbridge::simulator::AppRole::CalendarsRead)
        .await;
    world.sim.remove_mailbox("vera@flytter.dk").unwrap();
    world
        .sim
        .add_mailbox(&NewMailbox {
            tenant: cloud.customer.directory.clone(),
            mailbox: MailboxSpec {
                upn: "vera@flytter.dk".into(),
                display_name: Some("vera".into()),
                object_id: None,
                time_zone: "Europe/Copenhagen".into(),
                access_denied_by_policy: false,
                working_hours: Default::default(),
                events: vec![meeting(
                    "Flyttemøde i skyen",
                    now - chrono::Duration::minutes(5),
                    soon,
                )],
                ews_access: Default::default(),
            },
        })
        .unwrap();
    let admin = admin_of(
        &world,
        &Prospect {
            customer: Customer {
                id: onprem.id,
                directory: onprem.directory.clone(),
                domain: onprem.domain.clone(),
            },
            client: String::new(),
            secret: String::new(),
        },
    )
    .await;
    let offer = admin.get("/settings/connection").await;
    assert!(offer.body.contains("Connect Microsoft 365 instead"), "{}", offer.body);
    let form = admin.get("/settings/connection?system=graph").await;
    assert!(form.body.contains("name=\"directory_id\""), "{}", form.body);
    let fields = [
        ("directory_id", cloud.customer.directory.as_str()),
        ("client_id", cloud.client.as_str()),
        ("client_secret", cloud.secret.as_str()),
        ("secret_expires", "2099-05-01"),
        ("detail", "full"),
        ("test_mailbox", "vera@flytter.dk"),
        ("action", "save"),
    ];
    let saved =
        admin.submit("/settings/connection?system=graph", "/settings/connection", &fields).await;
    assert_eq!(saved.location(), Some("/settings/connection?done=saved"), "{}", saved.body);

    assert_eq!(world.sync(&onprem).await.outcome.as_str(), "ok");
    let appointment = world.row(vera).await.unwrap().appointment_json.unwrap_or_default();
    assert!(
        appointment.contains("Flyttemøde i skyen"),
        "the same person, now from Graph: {appointment}"
    );
    assert!(history_count(&world).await > history_before, "the history goes on");
    use sea_orm::EntityTrait;
    let config = calbridge::db::entities::provider_config::Entity::find_by_id(onprem.id)
        .one(&world.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(config.kind.as_str(), "graph");
    assert!(config.ews_password_ciphertext.is_none(), "the Exchange password is deleted");
}

async fn history_count(world: &World) -> usize {
    use sea_orm::EntityTrait;
    calbridge::db::entities::availability_history::Entity::find()
        .all(&world.state.db)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn key_rotation_moves_the_exchange_password_and_the_connection_keeps_working() {
    use calbridge::secrets::{Keyring, MasterKey, SecretField};
    use secrecy::ExposeSecret;
    let world = world().await;
    let onprem = world.exchange_customer("Roter", "roter.dk", "free_busy").await;
    world.person(&onprem, "rita", vec![]).await;
    let new_key = MasterKey::generate();
    let new_b64 = new_key.to_base64().expose_secret().to_owned();
    let run = crate::cli::calbridge_with(
        &world.app,
        &["keys", "rotate"],
        None,
        &[
            ("CALBRIDGE_MASTER_KEY", &new_b64),
            ("CALBRIDGE_MASTER_KEY_PREVIOUS", &world.app.master_key),
        ],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("1 secrets re-encrypted"), "{}", run.stdout);
    use sea_orm::EntityTrait;
    let row = calbridge::db::entities::provider_config::Entity::find_by_id(onprem.id)
        .one(&world.state.db)
        .await
        .unwrap()
        .unwrap();
    let sealed = row.ews_password_ciphertext.unwrap();
    let only_new = Keyring::new(new_key, vec![]);
    let password = only_new.decrypt(&onprem.id, SecretField::EwsPassword, &sealed).unwrap();
    assert_eq!(password.expose_secret(), "Roter-Monitor-2030!");
    // Bound to its tenant: the same ciphertext is refused for another.
    assert!(only_new.decrypt(&uuid::Uuid::new_v4(), SecretField::EwsPassword, &sealed).is_err());
}
