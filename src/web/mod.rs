//! The portal over HTTP: one route table, thin handlers, askama views.

pub mod assets;
pub mod cookies;
pub mod error;
pub mod extract;
pub mod handlers;
pub mod middleware;
pub mod views;

use actix_web::{HttpResponse, http::header, web};

use handlers::{auth, health, invite, operator, presence, rules, sync, team, tenant, users};

/// Every route of the service, in one place.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/static/{file}", web::get().to(assets::serve))
        .route("/", web::get().to(auth::home))
        .route("/login", web::get().to(auth::login_page))
        .route("/login", web::post().to(auth::login))
        .route("/logout", web::post().to(auth::logout))
        .route("/invite/{token}", web::get().to(invite::page))
        .route("/invite/{token}", web::post().to(invite::accept))
        // Operator console
        .route("/operator", web::get().to(operator::tenants))
        .route("/operator/tenants/new", web::get().to(operator::new_tenant))
        .route("/operator/tenants", web::post().to(operator::create_tenant))
        .route("/operator/tenants/{id}", web::get().to(operator::tenant))
        .route("/operator/tenants/{id}/invites", web::post().to(operator::invite))
        .route(
            "/operator/tenants/{id}/invites/{invite}/revoke",
            web::post().to(operator::revoke_invite),
        )
        .route("/operator/tenants/{id}/sync", web::get().to(sync::operator))
        .route("/operator/audit", web::get().to(operator::audit))
        // Tenant area
        .route("/dashboard", web::get().to(tenant::dashboard))
        .route("/audit", web::get().to(tenant::audit))
        .route("/presence", web::get().to(presence::board))
        .route("/rules", web::get().to(rules::page))
        .route("/rules", web::post().to(rules::save))
        .route("/rules/preview", web::post().to(rules::preview))
        .route("/sync", web::get().to(sync::tenant))
        .route("/users", web::get().to(users::list))
        .route("/users", web::post().to(users::add))
        .route("/users/{id}", web::get().to(users::edit))
        .route("/users/{id}", web::post().to(users::update))
        .route("/users/{id}/sync", web::post().to(users::set_sync))
        .route("/users/{id}/delete", web::post().to(users::remove))
        .route("/team", web::get().to(team::page))
        .route("/team/invites", web::post().to(team::invite))
        .route("/team/invites/{id}/revoke", web::post().to(team::revoke_invite))
        .route("/team/accounts/{id}/disable", web::post().to(team::disable))
        .route("/team/accounts/{id}/enable", web::post().to(team::enable));
}

/// The answer to a successful form post: go look at the result (post/redirect/get).
pub fn see_other(location: impl Into<String>) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location.into())).finish()
}
