//! Static assets, compiled into the binary so it runs from any working directory.

use actix_web::{HttpResponse, http::header, web};

const ASSETS: &[(&str, &str, &[u8])] = &[
    ("app.css", "text/css; charset=utf-8", include_bytes!("../../static/app.css")),
    ("favicon.svg", "image/svg+xml", include_bytes!("../../static/favicon.svg")),
    ("copy.js", "text/javascript; charset=utf-8", include_bytes!("../../static/copy.js")),
    ("board.js", "text/javascript; charset=utf-8", include_bytes!("../../static/board.js")),
];

pub async fn serve(file: web::Path<String>) -> HttpResponse {
    match ASSETS.iter().find(|(name, _, _)| *name == file.as_str()) {
        Some((_, content_type, bytes)) => HttpResponse::Ok()
            .content_type(*content_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
            .body(*bytes),
        None => HttpResponse::NotFound().finish(),
    }
}
