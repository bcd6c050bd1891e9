//! Sync enablement from an Entra group: the group's members get sync at the tenant's sync,
//! within the licences, against the simulator's transitiveMembers (pages of 3).

use calbridge::db::entities::{directory_user, tenant};
use calbridge::services::group_sync::{self, GroupProblem};
use calbridge::services::{self, Actor};
use calbridge::simulator::{EndpointKind, GroupSpec};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::support::PASSWORD;
use crate::support::world::{Customer, World};

async fn users(world: &World, customer: &Customer) -> Vec<directory_user::Model> {
    let mut users = directory_user::Entity::find()
        .filter(directory_user::Column::TenantId.eq(customer.id))
        .all(&world.state.db)
        .await
        .unwrap();
    users.sort_by(|a, b| a.email_key.cmp(&b.email_key));
    users
}

fn on(users: &[directory_user::Model]) -> Vec<&str> {
    users.iter().filter(|u| u.sync_enabled).map(|u| u.email.as_str()).collect()
}

async fn set_licences(world: &World, customer: &Customer, licences: i32) {
    tenant::Entity::update_many()
        .col_expr(tenant::Column::Licences, Expr::value(licences))
        .filter(tenant::Column::Id.eq(customer.id))
        .exec(&world.state.db)
        .await
        .unwrap();
}

async fn choose(world: &World, customer: &Customer, group: Uuid) {
    let scope = world.scope(customer);
    group_sync::set(&world.state, &Actor::command_line(), scope, &group.to_string()).await.unwrap();
}

fn group(id: Uuid, name: &str, members: &[String], nested: &[Uuid]) -> GroupSpec {
    GroupSpec {
        id,
        display_name: name.into(),
        members: members.to_vec(),
        groups: nested.to_vec(),
        devices: Vec::new(),
        service_principals: Vec::new(),
    }
}

async fn admin(world: &World, customer: &Customer) -> crate::support::Browser {
    let email = format!("it@{}", customer.domain);
    world.app.create_member(customer.id, &email, "tenant_admin").await;
    let admin = world.app.browser();
    assert_eq!(admin.login(&email, PASSWORD).await.status, 303);
    admin
}

#[tokio::test]
async fn members_across_pages_and_nested_groups_get_sync_as_far_as_the_licences_go() {
    let world = World::new().await;
    let hansen = world.group_customer("Hansen", "hansen.dk", true).await;
    set_licences(&world, &hansen, 4).await;
    let mail: Vec<String> = ["ea", "bo", "al", "di", "cy", "fi"]
        .iter()
        .map(|l| world.mailbox(&hansen, l, vec![], false))
        .collect();
    let reception = Uuid::new_v4();
    let nested = Uuid::new_v4();
    let deeper = Uuid::new_v4();
    let mut top = group(reception, "Reception", &mail[..2], &[nested]);
    top.devices = vec!["Lobby kiosk".into()];
    top.service_principals = vec!["Phone system".into()];
    // A user without a mailbox is a member too, and is ignored like the non-users.
    let no_mailbox = "guest@hansen.dk".to_string();
    world.sim.put_group(&hansen.directory, &top).unwrap();
    let mid = group(
        nested,
        "Front desk",
        &[mail[2].clone(), mail[3].clone(), no_mailbox],
        &[deeper, reception],
    );
    world.sim.put_group(&hansen.directory, &mid).unwrap();
    world.sim.put_group(&hansen.directory, &group(deeper, "Night shift", &mail[4..], &[])).unwrap();
    choose(&world, &hansen, reception).await;

    let before = world.sim.counters().total(EndpointKind::Groups);
    let report = world.sync(&hansen).await;
    assert!(report.error.is_none(), "{:?}", report.error);
    // 6 users, 1 without a mailbox, 2 devices/principals, 2 nested groups = 11 objects:
    // 4 pages of at most 3, after the group itself.
    assert_eq!(world.sim.counters().total(EndpointKind::Groups) - before, 5);

    let all = users(&world, &hansen).await;
    assert_eq!(all.len(), 4, "only members with a mailbox, only as far as the licences go");
    assert_eq!(on(&all), ["al@hansen.dk", "bo@hansen.dk", "cy@hansen.dk", "di@hansen.dk"]);
    assert!(all.iter().all(|u| u.group_managed));
    assert_eq!(report.users_read, 4, "the new members' calendars are read in the same sync");

    let status = group_sync::status(&world.state, world.scope(&hansen)).await.unwrap().unwrap();
    assert_eq!(status.group_name.as_deref(), Some("Reception"));
    assert_eq!((status.members, status.added, status.not_enabled_count), (6, 4, 2));
    assert_eq!(status.not_enabled, ["ea@hansen.dk", "fi@hansen.dk"]);
    assert!(status.problem.is_none());

    let page = admin(&world, &hansen).await.get("/sync").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Reception"), "{}", page.body);
    assert!(page.body.contains("Not enabled: no licence"));
    assert!(page.body.contains("ea@hansen.dk") && page.body.contains("fi@hansen.dk"));

    let audit = calbridge::db::audit::list_all(&world.state.db, 50).await.unwrap();
    let runs: Vec<_> = audit.iter().filter(|e| e.action == "group.synced").collect();
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].target.as_deref(), Some("Reception: +4 −0"));
}

#[tokio::test]
async fn leaving_the_group_switches_off_only_whom_the_group_switched_on() {
    let world = World::new().await;
    let hansen = world.group_customer("Hansen", "hansen.dk", true).await;
    let anna = world.mailbox(&hansen, "anna", vec![], false);
    let bent = world.mailbox(&hansen, "bent", vec![], false);
    // Switched on by hand before the group existed.
    world.person(&hansen, "carl", vec![]).await;
    let carl = format!("carl@{}", hansen.domain);
    let id = Uuid::new_v4();
    let everyone = [anna.clone(), bent.clone(), carl.clone()];
    world.sim.put_group(&hansen.directory, &group(id, "Staff", &everyone, &[])).unwrap();
    choose(&world, &hansen, id).await;
    world.sync(&hansen).await;
    let all = users(&world, &hansen).await;
    assert_eq!(on(&all), [anna.as_str(), bent.as_str(), carl.as_str()]);
    let managed: Vec<_> =
        all.iter().filter(|u| u.group_managed).map(|u| u.email.as_str()).collect();
    assert_eq!(managed, [anna.as_str(), bent.as_str()], "carl's sync was not the group's doing");

    world
        .sim
        .put_group(&hansen.directory, &group(id, "Staff", std::slice::from_ref(&anna), &[]))
        .unwrap();
    let read = world.sim.counters().total(EndpointKind::Groups);
    world.sync(&hansen).await;
    assert_eq!(world.sim.counters().total(EndpointKind::Groups), read, "read at most hourly");
    assert_eq!(on(&users(&world, &hansen).await).len(), 3);

    world.state.clock.advance(chrono::Duration::minutes(61));
    world.sync(&hansen).await;
    let all = users(&world, &hansen).await;
    assert_eq!(all.len(), 3, "nobody is deleted");
    assert_eq!(on(&all), [anna.as_str(), carl.as_str()]);
    let status = group_sync::status(&world.state, world.scope(&hansen)).await.unwrap().unwrap();
    assert_eq!((status.added, status.switched_off), (0, 1));
}

#[tokio::test]
async fn an_admin_who_switches_a_member_off_is_not_overruled_by_the_group() {
    let world = World::new().await;
    let hansen = world.group_customer("Hansen", "hansen.dk", true).await;
    let anna = world.mailbox(&hansen, "anna", vec![], false);
    let bent = world.mailbox(&hansen, "bent", vec![], false);
    let id = Uuid::new_v4();
    world
        .sim
        .put_group(&hansen.directory, &group(id, "Staff", &[anna.clone(), bent.clone()], &[]))
        .unwrap();
    choose(&world, &hansen, id).await;
    world.sync(&hansen).await;
    let all = users(&world, &hansen).await;
    let anna_id = all.iter().find(|u| u.email == anna).unwrap().id;

    let admin = admin(&world, &hansen).await;
    let res =
        admin.submit("/users", &format!("/users/{anna_id}/sync"), &[("enabled", "false")]).await;
    assert_eq!(res.status, 303, "{}", res.body);
    world.state.clock.advance(chrono::Duration::minutes(61));
    world.sync(&hansen).await;
    assert_eq!(on(&users(&world, &hansen).await), [bent.as_str()], "the admin's choice stands");
    let status = group_sync::status(&world.state, world.scope(&hansen)).await.unwrap().unwrap();
    assert_eq!((status.added, status.switched_off), (0, 0));

    // Switched back on by hand, she is the group's again: leaving it switches her off.
    admin.login(&format!("it@{}", hansen.domain), PASSWORD).await;
    let res =
        admin.submit("/users", &format!("/users/{anna_id}/sync"), &[("enabled", "true")]).await;
    assert_eq!(res.status, 303, "{}", res.body);
    world
        .sim
        .put_group(&hansen.directory, &group(id, "Staff", std::slice::from_ref(&bent), &[]))
        .unwrap();
    world.state.clock.advance(chrono::Duration::minutes(61));
    world.sync(&hansen).await;
    assert_eq!(on(&users(&world, &hansen).await), [bent.as_str()]);
}

#[tokio::test]
async fn without_the_permission_nothing_changes_and_the_admin_is_told_why() {
    let world = World::new().await;
    let hansen = world.group_customer("Hansen", "hansen.dk", false).await;
    world.person(&hansen, "anna", vec![]).await;
    let bent = world.mailbox(&hansen, "bent", vec![], false);
    let id = Uuid::new_v4();
    world.sim.put_group(&hansen.directory, &group(id, "Staff", &[bent], &[])).unwrap();
    choose(&world, &hansen, id).await;
    let before = users(&world, &hansen).await;

    let report = world.sync(&hansen).await;
    assert!(report.error.is_none(), "calendars are still read: {:?}", report.error);
    assert_eq!(users(&world, &hansen).await, before);
    let status = group_sync::status(&world.state, world.scope(&hansen)).await.unwrap().unwrap();
    assert_eq!(status.problem, Some(GroupProblem::PermissionMissing));
    assert!(status.error_message.unwrap().contains("Authorization_RequestDenied"));

    let page = admin(&world, &hansen).await.get("/sync").await;
    assert!(page.body.contains("GroupMember.Read.All"), "{}", page.body);
    assert!(page.body.contains("Grant admin consent"));
    assert!(page.body.contains("Nothing was changed."));
}

#[tokio::test]
async fn another_tenants_group_is_not_found_and_changes_nothing() {
    let world = World::new().await;
    let hansen = world.group_customer("Hansen", "hansen.dk", true).await;
    let jensen = world.group_customer("Jensen", "jensen.dk", true).await;
    let theirs = world.mailbox(&hansen, "anna", vec![], false);
    let id = Uuid::new_v4();
    world.sim.put_group(&hansen.directory, &group(id, "Hansen staff", &[theirs], &[])).unwrap();
    choose(&world, &jensen, id).await;

    world.sync(&jensen).await;
    assert!(users(&world, &jensen).await.is_empty());
    assert!(users(&world, &hansen).await.is_empty(), "Hansen's own group is not Jensen's doing");
    let status = group_sync::status(&world.state, world.scope(&jensen)).await.unwrap().unwrap();
    assert_eq!(status.problem, Some(GroupProblem::GroupNotFound));
    assert!(group_sync::status(&world.state, world.scope(&hansen)).await.unwrap().is_none());
}

#[tokio::test]
async fn the_admin_chooses_the_group_in_the_portal_and_on_the_command_line() {
    let world = World::new().await;
    let hansen = world.group_customer("Hansen", "hansen.dk", true).await;
    let admin = admin(&world, &hansen).await;
    let page = admin.get("/settings/group").await;
    assert!(page.body.contains("GroupMember.Read.All") && page.body.contains("whole directory"));

    let refused =
        admin.submit("/settings/group", "/settings/group", &[("group", "Reception")]).await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("Paste the group&#39;s object ID")
            || refused.body.contains("object ID from Microsoft Entra")
    );
    let id = Uuid::new_v4().to_string();
    let saved = admin.submit("/settings/group", "/settings/group", &[("group", &id)]).await;
    assert_eq!(saved.location(), Some("/settings/group?done=saved"));
    let status = group_sync::status(&world.state, world.scope(&hansen)).await.unwrap().unwrap();
    assert_eq!(status.group_id, id);

    let tenant = hansen.id.to_string();
    let cli = world.cli(&["tenant", "set-group", "--tenant", &tenant, "--none"]).await;
    assert_eq!(cli.code, 0, "{}", cli.stderr);
    assert!(group_sync::status(&world.state, world.scope(&hansen)).await.unwrap().is_none());
    let cli = world.cli(&["tenant", "set-group", "--tenant", &tenant, "--group", "nonsense"]).await;
    assert_ne!(cli.code, 0);

    // Exchange on-premises has no Entra groups.
    let fjordby = world.exchange_customer("Fjordby", "fjordby.dk", "full").await;
    let refused =
        services::group_sync::set(&world.state, &Actor::command_line(), world.scope(&fjordby), &id)
            .await;
    assert!(matches!(refused, Err(services::Error::Invalid(_))));
}
