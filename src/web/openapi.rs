//! The OpenAPI 3.1 document of `/api/v1`, generated from the handlers and types themselves.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::handlers::api;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "calbridge API",
        description = "Switchboard availability from employees' calendars, for phone systems \
            and switchboards. Every request carries an API token of one tenant \
            (`Authorization: Bearer cbk_…`), created on the portal's Integrations page or \
            with `calbridge api-token create`; it reads that tenant's presence only.",
    ),
    paths(api::presence_list, api::presence_stream, api::presence_one),
    components(schemas(crate::web::problem::Problem)),
    modifiers(&TokenAuth),
    tags((name = "presence", description = "Who is available now, and until when"))
)]
struct ApiDoc;

struct TokenAuth;

impl Modify for TokenAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some("An API token of the tenant, `cbk_…`"))
            .build();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("token", SecurityScheme::Http(scheme));
    }
}

/// The document, with the version of this build.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc
}
