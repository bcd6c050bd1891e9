//! The portal over HTTP: one route table, thin handlers, askama views.

pub mod assets;
pub mod caller;
pub mod cookies;
pub mod error;
pub mod extract;
pub mod handlers;
pub mod middleware;
pub mod openapi;
pub mod problem;
pub mod sse;
pub mod views;

use actix_web::{HttpResponse, http::header, web};

use handlers::{
    api, auth, connection, docs, group, health, integrations, invite, operator, presence, rules,
    setup, sync, team, tenant, users,
};

/// Who may call a route. The role extractor in each handler's signature enforces it; the
/// route matrix test checks every route of [`ROUTES`] against what is declared here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in account.
    SignedIn,
    Operator,
    TenantAdmin,
    /// A tenant's admins and receptionists.
    TenantMember,
    /// A machine client with an API token of a tenant (bearer), reading that tenant only.
    ApiToken,
}

/// One row of the route table.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    /// `GET` or `POST`.
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

/// Declares the route table once: the actix configuration and the list the tests enumerate.
macro_rules! route_table {
    ($($access:ident { $($method:ident $path:literal => $handler:path;)* })*) => {
        /// Every route of the service, in one place, grouped by who may call it.
        pub fn routes(cfg: &mut web::ServiceConfig) {
            $($(cfg.route($path, web::$method().to($handler));)*)*
        }

        /// The same routes as data.
        pub const ROUTES: &[Route] = &[
            $($(Route {
                method: route_table!(@method $method),
                path: $path,
                access: Access::$access,
            },)*)*
        ];
    };
    (@method get) => { "GET" };
    (@method post) => { "POST" };
}

route_table! {
    Public {
        get "/healthz" => health::healthz;
        get "/readyz" => health::readyz;
        get "/static/{file}" => assets::serve;
        get "/" => auth::home;
        get "/login" => auth::login_page;
        post "/login" => auth::login;
        get "/invite/{token}" => invite::page;
        post "/invite/{token}" => invite::accept;
        get "/api/v1/openapi.json" => docs::openapi;
        get "/metrics" => health::metrics;
    }
    ApiToken {
        get "/api/v1/presence" => api::presence_list;
        get "/api/v1/presence/stream" => api::presence_stream;
        get "/api/v1/presence/{email}" => api::presence_one;
    }
    SignedIn {
        post "/logout" => auth::logout;
        post "/account/language" => auth::set_language;
    }
    Operator {
        get "/operator" => operator::tenants;
        get "/operator/tenants/new" => operator::new_tenant;
        post "/operator/tenants" => operator::create_tenant;
        get "/operator/tenants/{id}" => operator::tenant;
        post "/operator/tenants/{id}/invites" => operator::invite;
        post "/operator/tenants/{id}/invites/{invite}/revoke" => operator::revoke_invite;
        get "/operator/tenants/{id}/sync" => sync::operator;
        get "/operator/audit" => operator::audit;
    }
    TenantMember {
        get "/dashboard" => tenant::dashboard;
        get "/presence" => presence::board;
        get "/presence/stream" => presence::stream;
    }
    TenantAdmin {
        get "/audit" => tenant::audit;
        get "/rules" => rules::page;
        post "/rules" => rules::save;
        post "/rules/preview" => rules::preview;
        get "/sync" => sync::tenant;
        get "/users" => users::list;
        post "/users" => users::add;
        get "/users/export" => users::export;
        get "/users/import" => users::import_form;
        post "/users/import" => users::import_upload;
        get "/users/import/template" => users::import_template;
        get "/users/import/{id}" => users::import_preview;
        post "/users/import/{id}" => users::import_apply;
        get "/users/{id}" => users::edit;
        post "/users/{id}" => users::update;
        post "/users/{id}/sync" => users::set_sync;
        get "/users/{id}/delete" => users::confirm_remove;
        post "/users/{id}/delete" => users::remove;
        get "/integrations" => integrations::page;
        post "/integrations/tokens" => integrations::create_token;
        post "/integrations/tokens/{id}/revoke" => integrations::revoke_token;
        post "/integrations/webhooks" => integrations::create_webhook;
        get "/integrations/webhooks/{id}" => integrations::webhook;
        post "/integrations/webhooks/{id}" => integrations::update_webhook;
        post "/integrations/webhooks/{id}/rotate" => integrations::rotate_secret;
        post "/integrations/webhooks/{id}/test" => integrations::send_test;
        post "/integrations/webhooks/{id}/delete" => integrations::delete_webhook;
        get "/team" => team::page;
        post "/team/invites" => team::invite;
        post "/team/invites/{id}/revoke" => team::revoke_invite;
        post "/team/accounts/{id}/disable" => team::disable;
        post "/team/accounts/{id}/enable" => team::enable;
        get "/setup" => setup::resume;
        get "/setup/company" => setup::company;
        post "/setup/company" => setup::save_company;
        post "/setup/calendar" => setup::choose_calendar;
        get "/setup/credentials" => setup::credentials;
        post "/setup/credentials" => setup::submit_credentials;
        get "/setup/users" => setup::users;
        post "/setup/users" => setup::add_user;
        post "/setup/next" => setup::next;
        post "/setup/done" => setup::finish;
        get "/setup/{step}" => setup::guide;
        get "/settings/connection" => connection::page;
        post "/settings/connection" => connection::submit;
        post "/settings/connection/test" => connection::retest;
        get "/settings/connection/disconnect" => connection::confirm_disconnect;
        post "/settings/connection/disconnect" => connection::disconnect;
        get "/settings/group" => group::page;
        post "/settings/group" => group::submit;
    }
}

/// The answer to a successful form post: go look at the result (post/redirect/get).
pub fn see_other(location: impl Into<String>) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location.into())).finish()
}
