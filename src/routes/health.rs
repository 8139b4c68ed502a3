//! `GET /healthz` (liveness, no credentials) and `GET /metrics` (Prometheus text format).

use actix_web::{HttpResponse, web};

use crate::metrics::Metrics;

/// Answers 200 while the server serves requests.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok\n")
}

/// The counters, for a Prometheus scraper.
pub async fn metrics(metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(metrics.render())
}
