//! The frontend, bundled by `build.rs` and embedded in the binary: the page at `/` and its files.

use std::io::Read;

use actix_web::http::header::{
    self, AcceptEncoding, ContentType, Encoding, EntityTag, Header, IfNoneMatch,
};
use actix_web::{HttpRequest, HttpResponse};
use flate2::read::GzDecoder;
use rust_embed::RustEmbed;

use super::terminal::Route;
use crate::auth::Identity;

/// The files `build.rs` put in `$OUT_DIR/frontend`, each gzipped (`NAME.gz`).
#[derive(RustEmbed)]
#[folder = "$OUT_DIR/frontend"]
struct Frontend;

/// `GET /`: the terminal page.
pub async fn index(req: HttpRequest, route: Route, identity: Identity) -> HttpResponse {
    if let Some(refusal) = super::terminal::refuse_user(route.0.as_ref(), &identity) {
        return refusal;
    }
    serve(&req, "index.html")
}

/// `GET /replay`: the page that plays a recording the user picks (it stays in the browser).
pub async fn replay(req: HttpRequest) -> HttpResponse {
    serve(&req, "replay.html")
}

/// `GET /{file}` (and under a terminal's path, which must exist): one embedded file, or 404.
pub async fn file(req: HttpRequest, _route: Route) -> HttpResponse {
    let name = req.match_info().get("file").unwrap_or_default();
    // SECURITY: the page is only served by `index`, behind the authentication gate.
    if name == "index.html" {
        return not_found();
    }
    serve(&req, name)
}

/// `GET {base_path}` without the trailing slash: the page's relative URLs need it.
pub async fn add_slash(req: HttpRequest) -> HttpResponse {
    let location = match req.query_string() {
        "" => format!("{}/", req.path()),
        query => format!("{}/?{query}", req.path()),
    };
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, location))
        .finish()
}

fn not_found() -> HttpResponse {
    HttpResponse::NotFound()
        .content_type(ContentType::plaintext())
        .body("not found\n")
}

/// Answers with the embedded file `name`, with its content type and a strong ETag (304 when the client
/// already has it): gzipped to a client that accepts gzip, else unzipped here.
pub fn serve(req: &HttpRequest, name: &str) -> HttpResponse {
    // SECURITY: only names the embed table knows are served; there is no filesystem path to traverse.
    let Some(file) = Frontend::get(&format!("{name}.gz")) else {
        return not_found();
    };
    let gzip = accepts_gzip(req);
    let hash: String = file
        .metadata
        .sha256_hash()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
    // The two encodings are two representations: each has its own tag (RFC 9110, 8.8.3).
    let etag = EntityTag::new_strong(if gzip { format!("{hash}-gz") } else { hash });
    let unchanged = match IfNoneMatch::parse(req) {
        Ok(IfNoneMatch::Any) => true,
        Ok(IfNoneMatch::Items(tags)) => tags.iter().any(|tag| tag.strong_eq(&etag)),
        Err(_) => false,
    };
    if unchanged {
        return HttpResponse::NotModified()
            .insert_header(header::ETag(etag))
            .insert_header((header::VARY, "accept-encoding"))
            .finish();
    }
    let mut response = HttpResponse::Ok();
    response
        .insert_header((header::CONTENT_TYPE, content_type(name)))
        .insert_header(header::ETag(etag))
        .insert_header((header::VARY, "accept-encoding"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if gzip {
        return response
            .insert_header((header::CONTENT_ENCODING, "gzip"))
            .body(file.data.into_owned());
    }
    let mut body = Vec::new();
    match GzDecoder::new(&file.data[..]).read_to_end(&mut body) {
        Ok(_) => response.body(body),
        // The build wrote every file with gzip: this is a broken build, not a bad request.
        Err(error) => {
            tracing::error!(file = name, %error, "an embedded file does not unzip");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// Whether the request's `Accept-Encoding` takes gzip (and prefers it to no encoding at all, as every browser does).
fn accepts_gzip(req: &HttpRequest) -> bool {
    let Ok(accept) = AcceptEncoding::parse(req) else {
        return false;
    };
    let offered = [Encoding::gzip(), Encoding::identity()];
    accept.negotiate(offered.iter()) == Some(Encoding::gzip())
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json") | Some("map") => "application/json",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::Frontend;

    /// `server::OWN_PATHS` leaves the page's files out because a `[[terminal]]` path cannot have a `.`.
    #[test]
    fn every_file_of_the_page_has_a_dot_that_no_terminal_path_can_have() {
        for name in Frontend::iter() {
            let name = name
                .strip_suffix(".gz")
                .expect("every embedded file is gzipped");
            assert!(
                name.contains('.'),
                "a [[terminal]] at /{name} would hide the file {name}: add it to server::OWN_PATHS"
            );
        }
    }
}
