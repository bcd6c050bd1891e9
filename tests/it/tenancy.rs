//! The route matrix: every route of the route table, as every kind of caller who must be
//! refused. The routes come from the table itself, so a new route is checked the moment it is
//! added, and a route with a path parameter the matrix cannot fill fails the test until it can.

use calbridge::web::{Access, ROUTES, Route};
use sea_orm::prelude::Uuid;
use sea_orm::{ConnectionTrait, Statement};

use crate::support::{Browser, PASSWORD, TestApp};

/// Tenant A and the ids of its objects; tenant B with an admin of its own.
struct Tenants {
    app: TestApp,
    a: Uuid,
    a_user: Uuid,
    a_reception: Uuid,
    a_invite: Uuid,
    a_token: Uuid,
    a_hook: Uuid,
}

async fn two_tenants() -> Tenants {
    let app = TestApp::spawn_with(|c| c.webhook_allow_private = true).await;
    let a = app.create_tenant("Alfa A/S", 5).await;
    let b = app.create_tenant("Beta ApS", 5).await;
    app.create_member(a, "admin@alfa.dk", "tenant_admin").await;
    let a_reception = app.create_member(a, "reception@alfa.dk", "receptionist").await;
    let a_user = app.add_user(a, "anna@alfa.dk").await;
    let scope = calbridge::services::tenants::operator_scope(&app.state, a).await.unwrap();
    let actor = calbridge::services::Actor::command_line();
    let a_invite = calbridge::services::invites::create(
        &app.state,
        &actor,
        scope,
        "new@alfa.dk",
        "receptionist",
    )
    .await
    .unwrap()
    .id;
    let a_token = calbridge::services::api_tokens::create(&app.state, &actor, scope, "Omstilling")
        .await
        .unwrap()
        .row
        .id;
    let hook = calbridge::services::webhooks::EndpointInput {
        url: "http://127.0.0.1:9/alfa".into(),
        events: vec!["presence.changed".into()],
        enabled: false,
    };
    let a_hook = calbridge::services::webhooks::create(&app.state, &actor, scope, &hook)
        .await
        .unwrap()
        .endpoint_id;
    app.create_member(b, "admin@beta.dk", "tenant_admin").await;
    app.create_operator("ops@calbridge.dk").await;
    Tenants { app, a, a_user, a_reception, a_invite, a_token, a_hook }
}

impl Tenants {
    /// The route's path with tenant A's objects in its parameters.
    fn path(&self, route: &Route) -> String {
        let id = |prefix: &str| {
            if prefix.starts_with("/operator/tenants") {
                self.a
            } else if prefix.starts_with("/users") {
                self.a_user
            } else if prefix.starts_with("/team/invites") {
                self.a_invite
            } else if prefix.starts_with("/team/accounts") {
                self.a_reception
            } else if prefix.starts_with("/integrations/tokens") {
                self.a_token
            } else if prefix.starts_with("/integrations/webhooks") {
                self.a_hook
            } else {
                panic!("the matrix has no object for {} {}: add one", route.method, route.path)
            }
        };
        let mut path = route.path.to_owned();
        while let Some(open) = path.find('{') {
            let close = path[open..].find('}').unwrap() + open;
            let value = match &path[open + 1..close] {
                "invite" => self.a_invite.to_string(),
                "email" => "anna@alfa.dk".to_owned(),
                "id" => id(&path[..open]).to_string(),
                // A wizard page: not an object of anyone's.
                "step" => "entra".to_owned(),
                other => panic!("the matrix cannot fill {{{other}}} in {}", route.path),
            };
            path.replace_range(open..=close, &value);
        }
        path
    }

    /// Everything stored about tenant A, to prove a refused request changed none of it.
    async fn snapshot(&self) -> String {
        let db = &self.app.state.db;
        let backend = db.get_database_backend();
        let mut rows = Vec::new();
        for (table, column) in [
            ("tenants", "id"),
            ("accounts", "tenant_id"),
            ("invites", "tenant_id"),
            ("directory_users", "tenant_id"),
            ("availability", "tenant_id"),
            ("availability_history", "tenant_id"),
            ("provider_configs", "tenant_id"),
            ("sync_states", "tenant_id"),
            ("audit_events", "tenant_id"),
            ("api_tokens", "tenant_id"),
            ("webhook_endpoints", "tenant_id"),
            ("webhook_deliveries", "tenant_id"),
        ] {
            let sql = format!("SELECT * FROM {table} WHERE {column} = $1 ORDER BY 1");
            let sql = if backend == sea_orm::DatabaseBackend::Sqlite {
                sql.replace('$', "?")
            } else {
                sql
            };
            let found = db
                .query_all_raw(Statement::from_sql_and_values(backend, sql, [self.a.into()]))
                .await
                .unwrap();
            rows.push(format!("{table}: {found:?}"));
        }
        rows.join("\n")
    }
}

/// Any field a form might read, so that a request that got through would change something.
const FIELDS: &[(&str, &str)] = &[
    ("email", "intruder@evil.example"),
    ("display_name", "Hacked"),
    ("department", "Hacked"),
    ("enabled", "true"),
    ("role", "tenant_admin"),
    ("name", "Evil A/S"),
    ("licences", "99"),
    ("rules_form", "1"),
    ("tentative_shown", "on"),
    ("tentative_unavailable", "on"),
];

/// Sends the route as `browser`, with a valid CSRF token for its session on a POST.
async fn call(browser: &Browser, route: &Route, path: &str, token: &str) -> crate::support::Page {
    match route.method {
        "GET" => browser.get(path).await,
        "POST" => browser.post_with_token(path, token, FIELDS).await,
        other => panic!("a {other} route: teach the matrix its method"),
    }
}

/// Routes for signed-in people (the API's routes answer machine clients, see `integrations`).
fn portal_routes() -> impl Iterator<Item = &'static Route> {
    ROUTES.iter().filter(|r| !matches!(r.access, Access::Public | Access::ApiToken))
}

fn routes(access: &[Access]) -> impl Iterator<Item = &'static Route> {
    ROUTES.iter().filter(move |r| access.contains(&r.access))
}

async fn signed_in(app: &TestApp, email: &str, home: &str) -> (Browser, String) {
    let browser = app.browser();
    assert_eq!(browser.login(email, PASSWORD).await.status, 303, "{email} signs in");
    let token = browser.get(home).await.csrf();
    (browser, token)
}

#[tokio::test]
async fn another_tenants_admin_gets_404_for_this_tenants_objects_and_changes_nothing() {
    let t = two_tenants().await;
    let (intruder, token) = signed_in(&t.app, "admin@beta.dk", "/dashboard").await;
    let before = t.snapshot().await;
    let mut checked = 0;
    for route in routes(&[Access::TenantAdmin, Access::TenantMember]) {
        let path = t.path(route);
        let res = call(&intruder, route, &path, &token).await;
        // `{step}` names a wizard page, not anybody's object.
        if route.path.contains("{id}") || route.path.contains("{invite}") {
            assert_eq!(res.status, 404, "{} {path}", route.method);
            checked += 1;
        } else {
            // The tenant's own pages: whatever they show, nothing of tenant A.
            assert!(!res.body.contains("alfa.dk"), "{} {path} shows tenant A's data", route.method);
        }
    }
    assert!(checked >= 7, "the routes with object ids were reached: {checked}");
    assert_eq!(t.snapshot().await, before, "a refused request changed tenant A");
}

#[tokio::test]
async fn a_receptionist_is_refused_every_admin_route() {
    let t = two_tenants().await;
    let (desk, token) = signed_in(&t.app, "reception@alfa.dk", "/presence").await;
    let before = t.snapshot().await;
    for route in routes(&[Access::TenantAdmin]) {
        let path = t.path(route);
        let res = call(&desk, route, &path, &token).await;
        assert_eq!(res.status, 403, "{} {path}", route.method);
        assert!(res.body.contains("No access") || res.body.contains("Ingen adgang"), "{path}");
    }
    for route in routes(&[Access::TenantMember]) {
        let res = desk.get(&t.path(route)).await;
        if route.path == "/dashboard" {
            // The dashboard is the admin's; the receptionist is sent to the board.
            assert_eq!(res.location(), Some("/presence"), "{}", route.path);
        } else {
            assert_eq!(res.status, 200, "{}", route.path);
        }
    }
    assert_eq!(t.snapshot().await, before);
}

#[tokio::test]
async fn anonymous_callers_are_sent_to_sign_in_on_every_route_that_needs_an_account() {
    let t = two_tenants().await;
    let anonymous = t.app.browser();
    // A valid token for the pre-session, as the sign-in page hands out.
    let token = anonymous.get("/login").await.csrf();
    let before = t.snapshot().await;
    let mut checked = 0;
    for route in portal_routes() {
        let path = t.path(route);
        let res = call(&anonymous, route, &path, &token).await;
        assert_eq!(res.status, 303, "{} {path}", route.method);
        let location = res.location().unwrap_or_default();
        assert!(location.starts_with("/login"), "{} {path} -> {location}", route.method);
        checked += 1;
    }
    assert_eq!(checked, portal_routes().count());
    assert_eq!(t.snapshot().await, before);
}

#[tokio::test]
async fn operators_and_tenant_admins_are_refused_each_others_routes() {
    let t = two_tenants().await;
    let (operator, op_token) = signed_in(&t.app, "ops@calbridge.dk", "/operator").await;
    let (admin, admin_token) = signed_in(&t.app, "admin@alfa.dk", "/dashboard").await;
    let before = t.snapshot().await;
    for route in routes(&[Access::TenantAdmin, Access::TenantMember]) {
        let path = t.path(route);
        assert_eq!(call(&operator, route, &path, &op_token).await.status, 403, "operator: {path}");
    }
    for route in routes(&[Access::Operator]) {
        let path = t.path(route);
        assert_eq!(call(&admin, route, &path, &admin_token).await.status, 403, "admin: {path}");
    }
    assert_eq!(t.snapshot().await, before);
    // Each is let in where it belongs.
    assert_eq!(operator.get(&format!("/operator/tenants/{}", t.a)).await.status, 200);
    assert_eq!(admin.get(&format!("/users/{}", t.a_user)).await.status, 200);
}

#[tokio::test]
async fn every_route_of_the_table_is_known_to_the_matrix() {
    // Public routes need no account, so only the rest can be refused; each kind must exist.
    for access in [
        Access::SignedIn,
        Access::Operator,
        Access::TenantAdmin,
        Access::TenantMember,
        Access::ApiToken,
    ] {
        assert!(ROUTES.iter().any(|r| r.access == access), "{access:?}");
    }
    let t = two_tenants().await;
    for route in ROUTES.iter().filter(|r| r.access != Access::Public) {
        assert!(!t.path(route).contains('{'), "{}", route.path);
    }
}

#[tokio::test]
async fn the_apis_routes_refuse_callers_without_a_token_and_hide_other_tenants() {
    let t = two_tenants().await;
    let b = t.app.create_tenant("Gamma ApS", 5).await;
    let b_token = crate::integrations::token(&t.app, b, "Gamma").await;
    // A signed-in admin of tenant A, with the session cookie but no token.
    let (admin, _) = signed_in(&t.app, "admin@alfa.dk", "/dashboard").await;
    let before = t.snapshot().await;
    let mut checked = 0;
    for route in ROUTES.iter().filter(|r| r.access == Access::ApiToken) {
        let path = t.path(route);
        let res = admin.get(&path).await;
        assert_eq!(res.status, 401, "a session is not an API token: {path}");
        assert_eq!(res.headers["content-type"], "application/problem+json");
        let api = crate::integrations::ApiClient::new(&t.app, &b_token);
        let res = api.get(&path).await;
        if route.path.contains('{') {
            assert_eq!(res.status(), 404, "{path}");
        } else if path.ends_with("/stream") {
            let mut stream = api.stream(&path, None).await;
            let first = stream.next(std::time::Duration::from_secs(5)).await.unwrap();
            assert!(!first.data.contains("alfa.dk"), "{path}");
        } else {
            assert!(!res.text().await.unwrap().contains("alfa.dk"), "{path}");
        }
        checked += 1;
    }
    assert_eq!(checked, 3);
    assert_eq!(t.snapshot().await, before);
}
