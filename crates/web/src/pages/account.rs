//! Signing in and out, the language switch, and the person's own page: password and API
//! tokens.

use std::net::SocketAddr;

use aftersales_app::AppError;
use aftersales_app::sessions::TokenInfo;
use aftersales_domain::{Id, Lang};
use askama::Template;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;

use super::layout::Nav;
use super::view::L;
use super::{LANG_COOKIE, PageError, SESSION_COOKIE, Signed, anonymous_lang, cookie, render, same_origin, set_cookie};
use crate::AppState;
use crate::pages::{NoFields, Posted};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    next: String,
    username: String,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NextQuery {
    next: String,
}

/// Only a path on this site is a place to go after signing in (no open redirect).
fn safe_next(next: &str) -> String {
    // A path on this site only: no scheme-relative `//host`, no backslash, and no control or
    // space characters (a browser drops a tab in `/\t/evil.example`, leaving `//evil.example`).
    let plain = next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    if plain && next.starts_with('/') && !next.starts_with("//") { next.to_owned() } else { "/".into() }
}

fn lang_of(s: &AppState, headers: &HeaderMap) -> L {
    L::new(anonymous_lang(headers), s.app.settings().time_zone.clone())
}

pub async fn login_form(State(s): State<AppState>, headers: HeaderMap, Query(q): Query<NextQuery>) -> Response {
    let l = lang_of(&s, &headers);
    render(&LoginPage { l: &l, nav: None, next: safe_next(&q.next), username: String::new(), error: None })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LoginForm {
    username: String,
    password: String,
    next: String,
}

pub async fn login(
    State(s): State<AppState>,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    Form(f): Form<LoginForm>,
) -> Result<Response, PageError> {
    let l = lang_of(&s, &headers);
    if !same_origin(&headers) {
        return Err(PageError::Csrf(l));
    }
    let peer = peer.map(|Extension(ConnectInfo(a))| a.ip());
    let address = super::client_address(&headers, peer, &s.app.settings().trusted_proxies);
    let agent = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
    match s.app.sign_in(f.username.trim(), &f.password, &address, agent).await {
        Ok(signed) => {
            // The cookie lives as long as the session can (7 days); the server ends it sooner
            // when idle for 12 hours.
            let max_age = aftersales_domain::session::MAX_AGE.as_secs();
            let mut res = Redirect::to(&safe_next(&f.next)).into_response();
            res.headers_mut()
                .append(header::SET_COOKIE, set_cookie(&headers, SESSION_COOKIE, &signed.token, Some(max_age)));
            Ok(res)
        }
        Err(e @ AppError::SignInFailed) => {
            let page = LoginPage {
                l: &l,
                nav: None,
                next: safe_next(&f.next),
                username: f.username.chars().take(100).collect(),
                error: Some(e.message(l.lang)),
            };
            Ok((StatusCode::UNAUTHORIZED, render(&page)).into_response())
        }
        Err(e) => Err(PageError::App(e, l)),
    }
}

pub async fn logout(
    State(s): State<AppState>,
    headers: HeaderMap,
    Posted { who, .. }: Posted<NoFields>,
) -> Result<Response, PageError> {
    s.app.sign_out(&who.token).await.map_err(|e| PageError::App(e, who.l.clone()))?;
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().append(header::SET_COOKIE, set_cookie(&headers, SESSION_COOKIE, "", Some(0)));
    Ok(res)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LangForm {
    lang: String,
    csrf: String,
}

/// Switches the language: remembered on the person's account when signed in, in a cookie
/// otherwise; back to the page it was asked from.
pub async fn switch_language(
    State(s): State<AppState>,
    headers: HeaderMap,
    Form(f): Form<LangForm>,
) -> Result<Response, PageError> {
    let l = lang_of(&s, &headers);
    if !same_origin(&headers) {
        return Err(PageError::Csrf(l));
    }
    let (lang, code) = if f.lang == "en" { (Lang::En, "en") } else { (Lang::Zh, "zh") };
    if let Some(token) = cookie(&headers, SESSION_COOKIE)
        && let Ok(session) = s.app.session(token).await
    {
        if session.csrf != f.csrf {
            return Err(PageError::Csrf(l));
        }
        s.app.set_language(&session.actor, lang).await.map_err(|e| PageError::App(e, l.clone()))?;
    }
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_owned()))
        .map(|p| safe_next(&p))
        .unwrap_or_else(|| "/".into());
    let mut res = Redirect::to(&back).into_response();
    res.headers_mut().append(header::SET_COOKIE, set_cookie(&headers, LANG_COOKIE, code, Some(365 * 24 * 3600)));
    Ok(res)
}

#[derive(Template)]
#[template(path = "me.html")]
struct MePage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    role: &'static str,
    username: String,
    tokens: Vec<TokenInfo>,
    new_token: Option<String>,
    message: Option<String>,
    error: Option<String>,
    /// The token name typed before an error, kept in the form.
    token_name: String,
}

async fn me_page(
    s: &AppState,
    who: &Signed,
    new_token: Option<String>,
    message: Option<String>,
    error: Option<String>,
    status: StatusCode,
    token_name: &str,
) -> Result<Response, PageError> {
    let l = &who.l;
    let tokens = s.app.my_tokens(&who.actor).await.map_err(|e| PageError::App(e, l.clone()))?;
    let nav = Some(Nav::of(s, who, "me").await);
    let page = MePage {
        l,
        nav,
        role: who.actor.user.role.label(l.lang),
        username: who.actor.user.username.clone(),
        tokens,
        new_token,
        message,
        error,
        token_name: token_name.to_owned(),
    };
    Ok((status, render(&page)).into_response())
}

pub async fn me(State(s): State<AppState>, who: Signed) -> Result<Response, PageError> {
    me_page(&s, &who, None, None, None, StatusCode::OK, "").await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PasswordForm {
    old_password: String,
    new_password: String,
    repeat_password: String,
}

pub async fn change_password(
    State(s): State<AppState>,
    Posted { who, form: f }: Posted<PasswordForm>,
) -> Result<Response, PageError> {
    let l = &who.l;
    if f.new_password != f.repeat_password {
        let e = l.t("account.the_two_new_passwords_differ").to_owned();
        return me_page(&s, &who, None, None, Some(e), StatusCode::UNPROCESSABLE_ENTITY, "").await;
    }
    match s.app.change_password(&who.actor, Some(&who.token), &f.old_password, &f.new_password).await {
        Ok(()) => {
            let m = l.t("account.password_changed_your_other_sessions").to_owned();
            me_page(&s, &who, None, Some(m), None, StatusCode::OK, "").await
        }
        Err(e) if matches!(e, AppError::Domain(_)) => {
            let status = crate::error::status_of(&e);
            me_page(&s, &who, None, None, Some(e.message(l.lang)), status, "").await
        }
        Err(e) => Err(PageError::App(e, l.clone())),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TokenForm {
    name: String,
    password: String,
}

pub async fn create_token(
    State(s): State<AppState>,
    Posted { who, form: f }: Posted<TokenForm>,
) -> Result<Response, PageError> {
    match s.app.create_own_token_confirmed(&who.actor, &f.password, f.name.trim()).await {
        Ok(token) => me_page(&s, &who, Some(token), None, None, StatusCode::OK, "").await,
        Err(e @ AppError::Domain(_)) => {
            let status = crate::error::status_of(&e);
            let msg = e.message(who.l.lang);
            me_page(&s, &who, None, None, Some(msg), status, f.name.trim()).await
        }
        Err(e) => Err(PageError::App(e, who.l.clone())),
    }
}

pub async fn revoke_token(
    State(s): State<AppState>,
    Path(id): Path<Id>,
    Posted { who, .. }: Posted<NoFields>,
) -> Result<Response, PageError> {
    s.app.revoke_token(&who.actor, id).await.map_err(|e| PageError::App(e, who.l.clone()))?;
    let m = who.l.t("account.token_revoked").to_owned();
    me_page(&s, &who, None, Some(m), None, StatusCode::OK, "").await
}
