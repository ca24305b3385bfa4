//! The analyst map: a page at `/` and its files at `/assets/…`, embedded in
//! the binary at build time (see `collector/build.rs` and `collector/web`),
//! plus `/api/v1/map-config`, which tells the page its base layer and whether
//! the API wants a bearer token.
//!
//! Also the handler of `/api/v1/suspects/history` (the time slider's data;
//! routed, behind the API token, in [`crate::service::router`]).
//!
//! Static files need no token (they hold no data); the page asks for one when
//! the API answers 401 and sends it as `Authorization: Bearer`, like any client.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use towerwatch_models::Timestamp;

use crate::store::{Revision, Store};

include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));

/// What the page needs to know about this collector.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MapConfig {
    /// Raster tile URL template, or none for the plain grid.
    pub tiles: Option<String>,
    /// Attribution text for the tiles.
    pub tile_attribution: Option<String>,
    /// The API wants `Authorization: Bearer TOKEN`.
    pub auth_required: bool,
    /// Region served.
    pub region: String,
    /// Collector version.
    pub version: String,
}

struct Page {
    config: MapConfig,
    csp: HeaderValue,
}

/// The embedded files: (path below `/assets/`, content type).
pub fn assets() -> impl Iterator<Item = (&'static str, &'static str)> {
    ASSETS.iter().map(|(p, m, _, _)| (*p, *m))
}

/// The routes of the page and its assets.
pub fn router(config: MapConfig) -> Router {
    let csp = HeaderValue::from_str(&csp(config.tiles.as_deref()))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'"));
    Router::new()
        .route("/", get(index))
        .route("/assets/{*path}", get(asset))
        .route("/api/v1/map-config", get(map_config))
        .with_state(Arc::new(Page { config, csp }))
}

/// Content-Security-Policy: our own files only, images also from the tile server.
fn csp(tiles: Option<&str>) -> String {
    let tile_src = tiles.map(tile_origin).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:{tile_src}; \
         connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"
    )
}

/// ` https://host` of a tile template (`{s}.` as a wildcard label), or the scheme alone.
fn tile_origin(t: &str) -> String {
    let (scheme, rest) = t.split_once("://").unwrap_or(("https", ""));
    let host = rest.split('/').next().unwrap_or("");
    let host = match host.strip_prefix("{s}.") {
        Some(h) => format!("*.{h}"),
        None => host.to_string(),
    };
    let ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:*[]".contains(c));
    if ok {
        format!(" {scheme}://{host}")
    } else {
        format!(" {scheme}:")
    }
}

fn file(path: &str) -> Option<&'static (&'static str, &'static str, &'static str, &'static [u8])> {
    ASSETS.iter().find(|(p, _, _, _)| *p == path)
}

fn serve(path: &str, h: &HeaderMap, csp: Option<&HeaderValue>) -> Response {
    let Some((_, mime, etag, bytes)) = file(path) else {
        return (StatusCode::NOT_FOUND, "no such file\n").into_response();
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::ETAG, HeaderValue::from_static(etag));
    // Revalidate every time: cheap (304) and never stale after an upgrade.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Some(c) = csp {
        headers.insert(header::CONTENT_SECURITY_POLICY, c.clone());
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    }
    let matches = h
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == *etag || t.trim() == "*"));
    if matches {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    (headers, *bytes).into_response()
}

async fn index(State(p): State<Arc<Page>>, h: HeaderMap) -> Response {
    serve("index.html", &h, Some(&p.csp))
}

async fn asset(Path(path): Path<String>, h: HeaderMap) -> Response {
    serve(&path, &h, None)
}

async fn map_config(State(p): State<Arc<Page>>) -> Response {
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(p.config.clone()),
    )
        .into_response()
}

/// Revisions returned when `limit` is not given.
pub const HISTORY_LIMIT_DEFAULT: usize = 10_000;
/// The largest `limit` accepted.
pub const HISTORY_LIMIT_MAX: usize = 50_000;

/// Query of `/api/v1/suspects/history`.
#[derive(Debug, Deserialize)]
pub struct HistoryQuery {
    since: Option<String>,
    until: Option<String>,
    limit: Option<usize>,
}

#[derive(Serialize)]
struct History {
    revisions: Vec<Revision>,
    truncated: bool,
}

fn bad(what: impl std::fmt::Display) -> Response {
    (StatusCode::BAD_REQUEST, format!("{what}\n")).into_response()
}

/// `GET /api/v1/suspects/history?since=&until=&limit=`: recorded suspect
/// revisions, oldest first (see [`Store::revisions`]). The caller checks the token.
pub async fn suspect_history(
    store: Store,
    q: Result<Query<HistoryQuery>, QueryRejection>,
) -> Response {
    let Query(q) = match q {
        Ok(q) => q,
        Err(e) => return bad(e.body_text()),
    };
    let time = |name: &str, v: Option<&str>| match v.map(str::parse::<Timestamp>) {
        Some(Err(e)) => Err(format!("{name}: {e}")),
        Some(Ok(t)) => Ok(Some(t)),
        None => Ok(None),
    };
    let (since, until) = match (
        time("since", q.since.as_deref()),
        time("until", q.until.as_deref()),
    ) {
        (Ok(s), Ok(u)) => (s, u),
        (Err(e), _) | (_, Err(e)) => return bad(e),
    };
    if since.zip(until).is_some_and(|(s, u)| u < s) {
        return bad("until is before since");
    }
    let limit = q.limit.unwrap_or(HISTORY_LIMIT_DEFAULT);
    if !(1..=HISTORY_LIMIT_MAX).contains(&limit) {
        return bad(format!("limit: 1 to {HISTORY_LIMIT_MAX}"));
    }
    match tokio::task::spawn_blocking(move || store.revisions(since, until, limit)).await {
        Ok(Ok((revisions, truncated))) => (
            [(header::CACHE_CONTROL, "no-store")],
            Json(History {
                revisions,
                truncated,
            }),
        )
            .into_response(),
        Ok(Err(e)) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_and_leaflet_are_embedded() {
        let names: Vec<&str> = assets().map(|(p, _)| p).collect();
        for n in [
            "index.html",
            "app.js",
            "app.css",
            "vendor/leaflet/leaflet.js",
            "vendor/leaflet/leaflet.css",
            "vendor/leaflet/images/layers.png",
        ] {
            assert!(names.contains(&n), "{n} missing from {names:?}");
        }
    }

    #[test]
    fn tile_origins_for_the_policy() {
        assert_eq!(
            tile_origin("https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
            " https://tile.openstreetmap.org"
        );
        assert_eq!(
            tile_origin("https://{s}.tile.example.org/{z}/{x}/{y}.png"),
            " https://*.tile.example.org"
        );
        assert_eq!(
            tile_origin("http://10.0.0.5:8081/{z}/{x}/{y}.png"),
            " http://10.0.0.5:8081"
        );
        assert_eq!(
            tile_origin("https://t{s}.example.org/{z}/{x}/{y}"),
            " https:"
        );
        assert!(csp(None).contains("img-src 'self' data: blob:;"));
    }
}
