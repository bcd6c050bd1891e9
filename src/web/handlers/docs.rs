use actix_web::HttpResponse;

/// The API's OpenAPI 3.1 description, generated from its handlers.
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(crate::web::openapi::document())
}
