//! The web console: server-rendered pages (askama) for the people of DOMAIN §1, in Simplified
//! Chinese first and English on request. Every page is a thin handler: read the session,
//! call `app` (which checks permissions exactly as for the API), render a template. All user
//! text goes through askama's HTML escaping; no template marks user data `safe`.
//!
//! Security: the session cookie is HttpOnly, SameSite=Lax and Secure behind HTTPS; every
//! state-changing form carries the session's CSRF token and is refused from another origin;
//! every answer carries a Content-Security-Policy without inline script, `nosniff` and
//! `frame-ancestors 'none'` (see [`security_headers`]).

mod account;
mod actions;
mod admin;
mod approvals;
mod assets;
mod attachments;
mod callbacks;
mod fees;
mod layout;
mod notices;
pub mod parts;
mod portal;
mod register;
mod reporting;
mod reports;
mod routes;
mod subscriptions;
mod tickets;
mod view;
mod visits;
mod work_orders;

use std::net::IpAddr;

use aftersales_app::sessions::Session;
use aftersales_app::{Actor, AppError};
use aftersales_domain::Lang;
use askama::Template;
use axum::extract::{FromRequest, FromRequestParts, RawForm, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use serde::de::DeserializeOwned;

use crate::AppState;

pub use routes::{PageRoute, router as routes, table};
pub use view::L;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "as_session";
/// The language cookie, for people who are not signed in.
pub const LANG_COOKIE: &str = "as_lang";

/// The headers every answer carries (pages and API alike).
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    // A download keeps its own, stricter policy (`api::attachments::serve`).
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                 form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
            ),
        );
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::REFERRER_POLICY) {
        h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    }
    // Pages show personal data (and a new API token once): never kept in a shared cache or
    // the browser's history cache. Assets keep their own caching.
    if h.get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html")) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// A cookie's value from the request.
pub(crate) fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Whether the request came over HTTPS (directly or through a proxy that says so), which
/// makes the session cookie `Secure`.
fn https(headers: &HeaderMap) -> bool {
    headers.get("x-forwarded-proto").and_then(|v| v.to_str().ok()).is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

/// A `Set-Cookie` value. `max_age` none: ends with the browser session; zero: deletes.
pub(crate) fn set_cookie(headers: &HeaderMap, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if https(headers) {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
}

/// The language for someone not signed in: their cookie, else the browser's preference.
pub(crate) fn anonymous_lang(headers: &HeaderMap) -> Lang {
    match cookie(headers, LANG_COOKIE) {
        Some("en") => Lang::En,
        Some("zh") => Lang::Zh,
        _ => headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(Lang::from_accept_language)
            .unwrap_or_default(),
    }
}

/// The client's address for sign-in throttling: the peer, unless the peer is a trusted
/// reverse proxy; then the nearest address in `X-Forwarded-For` that is not one (the ones
/// further left were written by the client and prove nothing).
pub(crate) fn client_address(headers: &HeaderMap, peer: Option<IpAddr>, trusted: &[IpAddr]) -> String {
    // A dual-stack listener sees an IPv4 proxy as `::ffff:10.0.0.2`.
    let trusted_ip = |ip: IpAddr| trusted.iter().any(|t| t.to_canonical() == ip.to_canonical());
    let Some(mut addr) = peer.map(|p| p.to_canonical()) else { return String::new() };
    if trusted_ip(addr) {
        let hops = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        for hop in hops.iter().rev() {
            // Some proxies write `ip:port` (`[v6]:port`).
            let ip = hop.parse::<IpAddr>().ok().or_else(|| hop.parse::<std::net::SocketAddr>().ok().map(|a| a.ip()));
            match ip.map(|ip| ip.to_canonical()) {
                Some(ip) if trusted_ip(ip) => addr = ip,
                Some(ip) => return ip.to_string(),
                // A malformed entry: stop at the last address we could believe.
                None => break,
            }
        }
    }
    addr.to_string()
}

/// A form post must come from this site: browsers send `Origin` (or at least `Referer`) on
/// a form post, and a cross-site one names another host. Together with SameSite=Lax and
/// the per-session token this refuses cross-site form posts, including to the sign-in form.
pub(crate) fn same_origin(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else { return false };
    let from = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok())
        .filter(|v| *v != "null");
    match from {
        Some(url) => {
            let rest = url.split_once("://").map_or(url, |(_, r)| r);
            rest.split('/').next() == Some(host)
        }
        None => false,
    }
}

/// The signed-in person of a page request, with what the pages need of the session.
pub struct Signed {
    pub actor: Actor,
    pub csrf: String,
    pub token: String,
    pub l: L,
}

impl Signed {
    /// Refuses a form post without this session's token, or from another site.
    fn check_form(&self, headers: &HeaderMap, token: &str) -> Result<(), PageError> {
        if !same_origin(headers) || !constant_time_eq(token.as_bytes(), self.csrf.as_bytes()) {
            return Err(PageError::Csrf(self.l.clone()));
        }
        Ok(())
    }
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let lang = anonymous_lang(&parts.headers);
        // After signing in, back to the page asked for; a form post cannot be repeated by a
        // redirect, so that goes to the start page.
        let next = if parts.method == axum::http::Method::GET {
            parts.uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "/".into())
        } else {
            "/".into()
        };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(PageError::SignIn { next });
        };
        match state.app.session(token).await {
            Ok(Session { actor, csrf, lang: chosen, .. }) => {
                crate::metrics::RequestNotes::user(parts, actor.id());
                let l = L::new(chosen.unwrap_or(lang), state.app.settings().time_zone.clone());
                Ok(Signed { actor, csrf, token: token.to_owned(), l })
            }
            Err(AppError::Unauthenticated) => Err(PageError::SignIn { next }),
            Err(e) => Err(PageError::App(e, L::new(lang, state.app.settings().time_zone.clone()))),
        }
    }
}

/// A form post of a signed-in reader: refused (403) unless it comes from this site and
/// carries the session's CSRF token (field `csrf`), then read into `T`, whose missing fields
/// take their defaults (form types are `#[serde(default)]` as a whole: an unchecked box or an
/// empty select sends nothing).
pub struct Posted<T> {
    pub who: Signed,
    pub form: T,
}

/// A form with no fields of its own (a button that carries only the CSRF token).
#[derive(Debug, Default, serde::Deserialize)]
pub struct NoFields {}

impl<T: DeserializeOwned> FromRequest<AppState> for Posted<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let who = Signed::from_request_parts(&mut parts, state).await.map_err(IntoResponse::into_response)?;
        let headers = parts.headers.clone();
        let RawForm(bytes) = RawForm::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        let token = form_urlencoded::parse(&bytes).find(|(k, _)| k == "csrf").map(|(_, v)| v.into_owned());
        who.check_form(&headers, token.as_deref().unwrap_or_default()).map_err(IntoResponse::into_response)?;
        // Read as axum reads a form, with its answers to a malformed one.
        let again = Request::builder()
            .method(axum::http::Method::POST)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(bytes))
            .map_err(|_| StatusCode::BAD_REQUEST.into_response())?;
        let axum::Form(form) =
            axum::Form::<T>::from_request(again, state).await.map_err(IntoResponse::into_response)?;
        Ok(Posted { who, form })
    }
}

/// What a page answers instead of itself: a sign-in redirect, or an error page in the
/// reader's language with the status the API would give.
#[derive(Debug)]
pub enum PageError {
    SignIn {
        next: String,
    },
    App(AppError, L),
    Csrf(L),
    NotFound(L),
    /// A field refused before the handler ran (`crate::input`), named as the form names it.
    Invalid {
        field: String,
        reason: aftersales_domain::error::Reason,
        l: L,
    },
    TooLarge(L),
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    l: &'a L,
    title: &'a str,
    message: String,
    status: u16,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, l, title, message) = match &self {
            PageError::SignIn { next } => {
                let to = if next.starts_with('/') && !next.starts_with("//") { next.as_str() } else { "/" };
                let q: String = form_urlencode(to);
                return Redirect::to(&format!("/login?next={q}")).into_response();
            }
            PageError::App(e, l) => {
                let status = crate::error::status_of(e);
                if status.is_server_error() {
                    tracing::error!(error = %e, "page failed");
                }
                (status, l, l.t("pages.could_not_be_done"), e.message(l.lang))
            }
            PageError::Csrf(l) => (
                StatusCode::FORBIDDEN,
                l,
                l.t("pages.request_expired"),
                l.t("pages.the_form_expired_or_came_from").to_owned(),
            ),
            PageError::NotFound(l) => {
                (StatusCode::NOT_FOUND, l, l.t("pages.not_found"), l.t("pages.there_is_no_such_page").to_owned())
            }
            PageError::Invalid { field, reason, l } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                l,
                l.t("pages.invalid_input"),
                match l.lang {
                    Lang::Zh => format!(
                        "{}：{}。请返回修改后重新提交。",
                        crate::error::label(field, l.lang),
                        reason.message(l.lang)
                    ),
                    Lang::En => format!("{field} {}. Go back, correct it and submit again.", reason.message(l.lang)),
                },
            ),
            PageError::TooLarge(l) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                l,
                l.t("pages.too_large"),
                format!("{} {} KiB。", l.t("pages.the_form_is_too_large_the"), crate::BODY_LIMIT / 1024),
            ),
        };
        let page = ErrorPage { l, title, message, status: status.as_u16() };
        (status, render(&page)).into_response()
    }
}

/// Renders a template to an HTML answer (a template that fails to render is a bug: 500).
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(html) => ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

/// Percent-encodes for a query value.
pub(crate) fn form_urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn xff(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn the_client_address_believes_only_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let peer = Some(proxy);
        // Not trusted: the header is the client's own words.
        assert_eq!(client_address(&xff("203.0.113.7"), peer, &[]), "10.0.0.2");
        // Trusted: the nearest untrusted hop, not a forged one further left.
        assert_eq!(client_address(&xff("1.1.1.1, 203.0.113.7"), peer, &[proxy]), "203.0.113.7");
        let inner: IpAddr = "10.0.0.3".parse().unwrap();
        assert_eq!(client_address(&xff("203.0.113.7, 10.0.0.3"), peer, &[proxy, inner]), "203.0.113.7");
        assert_eq!(client_address(&xff("garbage"), peer, &[proxy]), "10.0.0.2");
        assert_eq!(client_address(&HeaderMap::new(), None, &[proxy]), "");
        // The proxy as an IPv4-mapped IPv6 peer, hops with ports.
        let mapped: IpAddr = "::ffff:10.0.0.2".parse().unwrap();
        assert_eq!(client_address(&xff("203.0.113.7:51234"), Some(mapped), &[proxy]), "203.0.113.7");
        assert_eq!(client_address(&xff("[2001:db8::1]:443"), Some(mapped), &[proxy]), "2001:db8::1");
    }
}
