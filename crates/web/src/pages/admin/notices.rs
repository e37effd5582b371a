//! Administration of notices (通告, DOMAIN §5): the routing table (which notice kind is told to
//! whom, on which channels, and to which group robots or webhooks), the robot and webhook
//! targets (群机器人: 企业微信, 钉钉, 飞书, Webhook), and the deliveries an administrator must
//! look at: those in doubt (待确认: a worker stopped mid-send) and the dead letters (投递失败).
//!
//! Every page calls the `app` use cases the JSON API calls, which ask for the manage-policy
//! permission; the page asks too before reading anything. A target's secret is never shown,
//! and its URL (which may hold a robot's key) only in part.

use std::collections::HashMap;

use aftersales_app::AppError;
use aftersales_app::notices::{DeliveryContext, SecretEdit, TargetInfo};
use aftersales_domain::error::Reason;
use aftersales_domain::notice::{
    Audience, ChannelKind, Delivery, DeliveryState, NoticeKind, Route, Wording, default_wording,
};
use aftersales_domain::permission::Action;
use aftersales_domain::{DomainError, Id};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::super::view::L;
use super::super::{PageError, Signed, render};
use super::form::{Choice, PageId, Problems, app_err, choices, done_message, require};
use super::labels::Kind;
use super::labels::field_label;
use super::shared::{Pairs, after_post};
use crate::AppState;
use crate::pages::layout::Nav;
use crate::pages::{NoFields, Posted};

// ----- shared -----

/// A URL as lists show it: the host, the first characters of the rest and its last four (a
/// robot's URL holds its key).
pub fn mask_url(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let cut = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (host, tail) = rest.split_at(cut);
    // Credentials before the host are never shown.
    let host = host.rsplit('@').next().unwrap_or(host);
    let tail: Vec<char> = tail.chars().collect();
    match tail.len() {
        0 => host.to_owned(),
        n if n <= 12 => format!("{host}{}…", tail.iter().take(n.min(4)).collect::<String>()),
        n => format!("{host}{}…{}", tail.iter().take(8).collect::<String>(), tail[n - 4..].iter().collect::<String>()),
    }
}

/// One checkbox of a form.
#[derive(Debug, Clone)]
pub struct Check {
    pub value: String,
    pub label: String,
    pub checked: bool,
    /// Always on (the in-app inbox).
    pub fixed: bool,
}

fn join(l: &L, items: impl IntoIterator<Item = String>) -> String {
    let v: Vec<String> = items.into_iter().collect();
    if v.is_empty() { l.t("common.none_2").to_owned() } else { v.join(l.t("common.sep_2")) }
}

fn kind_label(l: &L, k: ChannelKind) -> String {
    k.label(l.lang).to_owned()
}

/// The robot kinds a target may be.
const TARGET_KINDS: [ChannelKind; 4] =
    [ChannelKind::WeCom, ChannelKind::DingTalk, ChannelKind::Feishu, ChannelKind::Webhook];

/// A `?done=` after a redirect, and what the page should show.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NoticesQuery {
    done: String,
    /// The target whose form is filled in for editing.
    target: String,
}

// ----- routes and targets -----

/// One row of the routing table, with its form.
pub struct RouteRow {
    pub kind: String,
    pub title: String,
    pub audiences: Vec<Check>,
    pub channels: Vec<Check>,
    pub targets: Vec<Check>,
    pub audiences_text: String,
    pub channels_text: String,
    pub targets_text: String,
    /// The form is open (it was just refused).
    pub open: bool,
    pub error: Option<String>,
    /// Raised at all (an administrator may turn a notice off).
    pub enabled: bool,
    /// Addressed to the customer (DOMAIN §8): its words can be edited.
    pub customer: bool,
    /// The words in force (the administrator's, or the default ones).
    pub wording: Option<Wording>,
    /// The administrator changed the default words.
    pub reworded: bool,
}

fn route_row(l: &L, r: &Route, targets: &[TargetInfo], error: Option<String>) -> RouteRow {
    // A customer notice goes only to the reporting contact; an internal one never does.
    let customer = r.kind.is_customer_facing();
    let audiences = Audience::ALL
        .iter()
        .filter(|a| (**a == Audience::Contact) == customer)
        .map(|a| Check {
            value: a.code().to_owned(),
            label: a.label(l.lang).to_owned(),
            checked: r.audiences.contains(a),
            fixed: false,
        })
        .collect();
    // People are told in the inbox (always) and by e-mail; a channel set through the API
    // stays offered so that saving the form keeps it.
    let channels = ChannelKind::ALL
        .iter()
        .filter(|c| matches!(c, ChannelKind::InApp | ChannelKind::Email) || r.channels.contains(c))
        .map(|c| Check {
            value: c.code().to_owned(),
            label: c.label(l.lang).to_owned(),
            checked: *c == ChannelKind::InApp || r.channels.contains(c),
            fixed: *c == ChannelKind::InApp,
        })
        .collect();
    let mut target_checks: Vec<Check> = targets
        .iter()
        .map(|t| Check {
            value: t.name.clone(),
            label: format!("{}（{}）", t.name, kind_label(l, t.kind)),
            checked: r.targets.contains(&t.name),
            fixed: false,
        })
        .collect();
    for name in r.targets.iter().filter(|n| !targets.iter().any(|t| &t.name == *n)) {
        target_checks.push(Check { value: name.clone(), label: name.clone(), checked: true, fixed: false });
    }
    let mut channels_shown: Vec<ChannelKind> = r.channels.clone();
    if !channels_shown.contains(&ChannelKind::InApp) {
        channels_shown.insert(0, ChannelKind::InApp);
    }
    RouteRow {
        kind: r.kind.code().to_owned(),
        title: r.kind.label(l.lang).to_owned(),
        audiences_text: join(l, r.audiences.iter().map(|a| a.label(l.lang).to_owned())),
        channels_text: join(l, channels_shown.iter().map(|c| c.label(l.lang).to_owned())),
        targets_text: join(l, r.targets.iter().cloned()),
        audiences,
        channels,
        targets: target_checks,
        open: error.is_some(),
        error,
        enabled: r.enabled,
        customer,
        wording: r.wording.clone().or_else(|| default_wording(r.kind)),
        reworded: r.wording.is_some(),
    }
}

/// One robot or webhook as listed.
pub struct TargetRow {
    pub name: String,
    pub kind: String,
    pub url: String,
    pub has_secret: bool,
    pub used_by: String,
}

/// The target form as entered.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TargetForm {
    name: String,
    kind: String,
    url: String,
    secret: String,
    /// A checkbox: present when ticked.
    clear_secret: Option<String>,
    /// `1` when an existing target is edited.
    editing: String,
}

#[derive(Template)]
#[template(path = "admin/notices.html")]
struct NoticesPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    csrf: String,
    routes: Vec<RouteRow>,
    targets: Vec<TargetRow>,
    f: TargetForm,
    kinds: Vec<Choice>,
    /// The edited target has a secret stored.
    has_secret: bool,
    errs: Problems,
    message: Option<String>,
}

/// A refused route form: the kind it was for, the route as entered, and the message.
struct RefusedRoute {
    route: Route,
    message: String,
}

async fn notices_page(
    s: &AppState,
    who: &Signed,
    refused: Option<RefusedRoute>,
    f: TargetForm,
    errs: Problems,
    message: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    require(who, Action::ManageServicePolicy)?;
    let stored = s.app.notice_routes(&who.actor).await.map_err(app_err(l))?;
    let targets = s.app.notify_targets(&who.actor).await.map_err(app_err(l))?;
    let routes = NoticeKind::ALL
        .iter()
        .map(|k| match &refused {
            Some(r) if r.route.kind == *k => route_row(l, &r.route, &targets, Some(r.message.clone())),
            _ => route_row(l, &aftersales_domain::notice::route_of(&stored, *k), &targets, None),
        })
        .collect();
    let has_secret = f.editing == "1" && targets.iter().any(|t| t.name == f.name && t.has_secret);
    let rows = targets
        .iter()
        .map(|t| TargetRow {
            name: t.name.clone(),
            kind: kind_label(l, t.kind),
            url: mask_url(&t.url),
            has_secret: t.has_secret,
            used_by: join(
                l,
                NoticeKind::ALL
                    .iter()
                    .filter(|k| aftersales_domain::notice::route_of(&stored, **k).targets.contains(&t.name))
                    .map(|k| k.label(l.lang).to_owned()),
            ),
        })
        .collect();
    let kinds = choices(TARGET_KINDS.iter().map(|k| (k.code().to_owned(), kind_label(l, *k))), &f.kind);
    let page = NoticesPage {
        l,
        nav: Some(Nav::of(s, who, "admin").await),
        csrf: who.csrf.clone(),
        routes,
        targets: rows,
        f,
        kinds,
        has_secret,
        errs,
        message,
    };
    Ok((status, render(&page)).into_response())
}

pub(crate) async fn notices(
    State(s): State<AppState>,
    who: Signed,
    Query(q): Query<NoticesQuery>,
) -> Result<Response, PageError> {
    let l = &who.l;
    require(&who, Action::ManageServicePolicy)?;
    let message = done_message(l, &q.done);
    let mut f = TargetForm { kind: ChannelKind::WeCom.code().to_owned(), ..TargetForm::default() };
    if !q.target.is_empty() {
        let targets = s.app.notify_targets(&who.actor).await.map_err(app_err(l))?;
        let Some(t) = targets.into_iter().find(|t| t.name == q.target) else {
            return Err(PageError::NotFound(l.clone()));
        };
        f = TargetForm {
            name: t.name,
            kind: t.kind.code().to_owned(),
            url: t.url,
            editing: "1".into(),
            ..TargetForm::default()
        };
    }
    notices_page(&s, &who, None, f, Problems::default(), message, StatusCode::OK).await
}

/// The route a form describes, or the fields that could not be read.
fn posted_route(p: &Pairs) -> Result<Route, Vec<(&'static str, Reason)>> {
    let mut problems = Vec::new();
    let kind = NoticeKind::from_code(p.get("kind"));
    if kind.is_none() {
        problems.push(("kind", Reason::Unknown));
    }
    let mut audiences = Vec::new();
    for a in p.all("audience") {
        match Audience::from_code(a) {
            Some(a) if !audiences.contains(&a) => audiences.push(a),
            Some(_) => {}
            None => problems.push(("audiences", Reason::Unknown)),
        }
    }
    let mut channels = vec![ChannelKind::InApp];
    for c in p.all("channel") {
        match ChannelKind::from_code(c) {
            Some(c) if !channels.contains(&c) => channels.push(c),
            Some(_) => {}
            None => problems.push(("channels", Reason::Unknown)),
        }
    }
    let mut targets: Vec<String> = Vec::new();
    for t in p.all("target") {
        if !targets.iter().any(|x| x == t) {
            targets.push(t.to_owned());
        }
    }
    let enabled = posted_enabled(p);
    let wording = kind.and_then(|k| posted_wording(p, k));
    match kind {
        Some(kind) if problems.is_empty() => Ok(Route { kind, audiences, channels, targets, enabled, wording }),
        _ => Err(problems),
    }
}

/// Whether the form keeps the notice on: an unticked box is not sent, so the form says it
/// showed the box (`enabled_shown`); a post without it leaves the notice on.
fn posted_enabled(p: &Pairs) -> bool {
    p.get("enabled_shown") != "1" || p.get("enabled") == "1"
}

/// A customer notice's words as posted: none when they are the default words (the notice
/// then follows future changes of the defaults) or when the kind has none to edit.
fn posted_wording(p: &Pairs, kind: NoticeKind) -> Option<Wording> {
    let default = default_wording(kind)?;
    let posted = Wording {
        subject_zh: p.get("subject_zh").trim().to_owned(),
        body_zh: p.get("body_zh").trim().replace("\r\n", "\n"),
        subject_en: p.get("subject_en").trim().to_owned(),
        body_en: p.get("body_en").trim().replace("\r\n", "\n"),
    };
    let untouched = posted == default
        || [&posted.subject_zh, &posted.body_zh, &posted.subject_en, &posted.body_en].iter().all(|t| t.is_empty());
    (!untouched).then_some(posted)
}

pub(crate) async fn save_route(
    State(s): State<AppState>,
    Posted { who, form: pairs }: Posted<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let p = Pairs(pairs);
    let l = &who.l;
    require(&who, Action::ManageServicePolicy)?;
    let result = match posted_route(&p) {
        Ok(route) => s.app.put_notice_route(&who.actor, &route).await.map_err(|e| (route, e)),
        Err(problems) => {
            let Some(kind) = NoticeKind::from_code(p.get("kind")) else {
                // No kind: there is no row to show the refusal on.
                let e: AppError = DomainError::Invalid(problems).into();
                let (status, errs) = Problems::of_error(e, l.lang, |f| field_label(f, l)).map_err(app_err(l))?;
                let f = TargetForm { kind: ChannelKind::WeCom.code().to_owned(), ..TargetForm::default() };
                let message = errs.summary.clone();
                return notices_page(&s, &who, None, f, Problems::default(), message, status).await;
            };
            let route = Route {
                kind,
                audiences: p.all("audience").filter_map(Audience::from_code).collect(),
                channels: p.all("channel").filter_map(ChannelKind::from_code).collect(),
                targets: p.all("target").map(str::to_owned).collect(),
                enabled: posted_enabled(&p),
                wording: posted_wording(&p, kind),
            };
            Err((route, DomainError::Invalid(problems).into()))
        }
    };
    match result {
        Ok(_) => Ok(Redirect::to("/admin/notices?done=saved").into_response()),
        Err((route, e)) => {
            let (status, errs) = Problems::of_error(e, l.lang, |f| field_label(f, l)).map_err(app_err(l))?;
            let refused = RefusedRoute { route, message: errs.summary.unwrap_or_default() };
            let f = TargetForm { kind: ChannelKind::WeCom.code().to_owned(), ..TargetForm::default() };
            notices_page(&s, &who, Some(refused), f, Problems::default(), None, status).await
        }
    }
}

pub(crate) async fn save_target(
    State(s): State<AppState>,
    Posted { who, form: f }: Posted<TargetForm>,
) -> Result<Response, PageError> {
    require(&who, Action::ManageServicePolicy)?;
    let name = f.name.trim().to_owned();
    let result = match ChannelKind::from_code(&f.kind).filter(|k| TARGET_KINDS.contains(k)) {
        None => Err(DomainError::field("kind", Reason::Unknown).into()),
        Some(kind) => {
            // A secret is never shown, so an edit that leaves it empty keeps the stored one
            // (unless it is to be removed).
            let secret = match (f.secret.trim(), f.clear_secret.is_some()) {
                ("", true) => SecretEdit::Remove,
                ("", false) => SecretEdit::Keep,
                (typed, _) => SecretEdit::Set(typed.to_owned()),
            };
            s.app.save_notify_target(&who.actor, &name, kind, &f.url, secret).await
        }
    };
    after_post(
        result,
        |_| "/admin/notices?done=saved".into(),
        Kind::Setting,
        &who.l,
        |errs, status| {
            // What was typed stays, except the secret: it is never sent back to the browser.
            let f = TargetForm { secret: String::new(), ..f };
            notices_page(&s, &who, None, f, errs, None, status)
        },
    )
    .await
}

// ----- deliveries -----

/// One delivery as the list and the delivery page show it.
pub struct DeliveryRow {
    pub id: Id,
    pub kind: String,
    pub subject: String,
    pub ticket_id: Option<Id>,
    pub ticket_number: String,
    pub channel: String,
    pub target: String,
    pub state: String,
    pub state_code: &'static str,
    pub attempts: i32,
    pub last_error: String,
    pub at: String,
    pub confirmable: bool,
    pub retryable: bool,
}

fn delivery_row(l: &L, d: &Delivery, contexts: &HashMap<Id, DeliveryContext>, targets: &[TargetInfo]) -> DeliveryRow {
    let c = contexts.get(&d.notice_id);
    let target = match d.channel {
        ChannelKind::Email | ChannelKind::InApp => d.target.clone(),
        _ => match targets.iter().find(|t| t.name == d.target) {
            Some(t) => format!("{}（{}）", t.name, mask_url(&t.url)),
            None => d.target.clone(),
        },
    };
    let at = d.log.last().map_or(d.next_attempt_at, |a| a.at);
    DeliveryRow {
        id: d.id,
        kind: c.map_or_else(|| format!("#{}", d.notice_id), |c| c.kind.label(l.lang).to_owned()),
        subject: c.map_or_else(String::new, |c| if l.is_en() { c.subject_en.clone() } else { c.subject_zh.clone() }),
        ticket_id: c.map(|c| c.ticket_id),
        ticket_number: c.map_or_else(String::new, |c| {
            if c.ticket_number.is_empty() { format!("#{}", c.ticket_id) } else { c.ticket_number.clone() }
        }),
        channel: d.channel.label(l.lang).to_owned(),
        target,
        state: d.state.label(l.lang).to_owned(),
        state_code: d.state.code(),
        attempts: d.attempts,
        last_error: d.last_error.clone().unwrap_or_default(),
        at: l.ts(at),
        confirmable: d.state == DeliveryState::Uncertain,
        retryable: matches!(d.state, DeliveryState::Uncertain | DeliveryState::Dead),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DeliveriesQuery {
    state: String,
    done: String,
}

#[derive(Template)]
#[template(path = "admin/deliveries.html")]
struct DeliveriesPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    csrf: String,
    rows: Vec<DeliveryRow>,
    states: Vec<Choice>,
    /// The default view (待确认 and 投递失败).
    open_view: bool,
    message: Option<String>,
}

pub(crate) async fn deliveries(
    State(s): State<AppState>,
    who: Signed,
    Query(q): Query<DeliveriesQuery>,
) -> Result<Response, PageError> {
    let l = &who.l;
    require(&who, Action::ManageServicePolicy)?;
    let state = DeliveryState::from_code(&q.state);
    let mut list = Vec::new();
    match state {
        Some(st) => list.extend(s.app.deliveries(&who.actor, None, Some(st)).await.map_err(app_err(l))?),
        None => {
            for st in [DeliveryState::Uncertain, DeliveryState::Dead] {
                list.extend(s.app.deliveries(&who.actor, None, Some(st)).await.map_err(app_err(l))?);
            }
        }
    }
    let ids: Vec<Id> = list.iter().map(|d| d.notice_id).collect();
    let contexts = s.app.delivery_contexts(&who.actor, &ids).await.map_err(app_err(l))?;
    let targets = s.app.notify_targets(&who.actor).await.map_err(app_err(l))?;
    let rows = list.iter().map(|d| delivery_row(l, d, &contexts, &targets)).collect();
    let chosen = state.map_or("", |s| s.code());
    let states = choices(
        std::iter::once((String::new(), l.t("admin.notices.in_doubt_and_dead_letters").to_owned()))
            .chain(DeliveryState::ALL.iter().map(|s| (s.code().to_owned(), s.label(l.lang).to_owned()))),
        chosen,
    );
    let message = delivery_done(l, &q.done);
    let page = DeliveriesPage {
        l,
        nav: Some(Nav::of(&s, &who, "admin").await),
        csrf: who.csrf.clone(),
        rows,
        states,
        open_view: state.is_none(),
        message,
    };
    Ok(render(&page))
}

fn delivery_done(l: &L, done: &str) -> Option<String> {
    match done {
        "confirmed" => Some(l.t("admin.notices.confirmed_as_arrived_it_will_not").to_owned()),
        "retried" => Some(l.t("admin.notices.put_back_in_the_queue_it").to_owned()),
        d => done_message(l, d),
    }
}

/// One line of a delivery's log.
pub struct AttemptRow {
    pub attempt: i32,
    pub at: String,
    pub outcome: String,
    pub detail: String,
    pub by: String,
}

#[derive(Template)]
#[template(path = "admin/delivery.html")]
struct DeliveryPage<'a> {
    l: &'a L,
    nav: Option<Nav>,
    csrf: String,
    d: DeliveryRow,
    receipt: String,
    log: Vec<AttemptRow>,
    note: String,
    errs: Problems,
    message: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

async fn delivery_page(
    s: &AppState,
    who: &Signed,
    id: Id,
    note: String,
    errs: Problems,
    message: Option<String>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let l = &who.l;
    require(who, Action::ManageServicePolicy)?;
    let d = s.app.delivery(&who.actor, id).await.map_err(app_err(l))?;
    let contexts = s.app.delivery_contexts(&who.actor, &[d.notice_id]).await.map_err(app_err(l))?;
    let targets = s.app.notify_targets(&who.actor).await.map_err(app_err(l))?;
    let log = d
        .log
        .iter()
        .map(|a| AttemptRow {
            attempt: a.attempt,
            at: l.ts(a.at),
            outcome: a.outcome.label(l.lang).to_owned(),
            detail: a.detail.clone().unwrap_or_default(),
            by: a.by.clone(),
        })
        .collect();
    let page = DeliveryPage {
        l,
        nav: Some(Nav::of(s, who, "admin").await),
        csrf: who.csrf.clone(),
        receipt: d.receipt.clone().unwrap_or_default(),
        d: delivery_row(l, &d, &contexts, &targets),
        log,
        note,
        errs,
        message,
    };
    Ok((status, render(&page)).into_response())
}

pub(crate) async fn delivery(
    State(s): State<AppState>,
    who: Signed,
    PageId(id): PageId,
    Query(q): Query<DoneQuery>,
) -> Result<Response, PageError> {
    let message = delivery_done(&who.l, &q.done);
    delivery_page(&s, &who, id, String::new(), Problems::default(), message, StatusCode::OK).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConfirmForm {
    note: String,
}

pub(crate) async fn confirm(
    State(s): State<AppState>,
    PageId(id): PageId,
    Posted { who, form: f }: Posted<ConfirmForm>,
) -> Result<Response, PageError> {
    require(&who, Action::ManageServicePolicy)?;
    // The page asks where the message was seen: the decision is kept in the delivery's log.
    let result = if f.note.trim().is_empty() {
        Err(DomainError::field("note", Reason::Missing).into())
    } else {
        s.app.confirm_delivery(&who.actor, id, &f.note).await
    };
    after_post(
        result,
        |_| format!("/admin/deliveries/{id}?done=confirmed"),
        Kind::Setting,
        &who.l,
        |errs, status| delivery_page(&s, &who, id, f.note, errs, None, status),
    )
    .await
}

pub(crate) async fn retry(
    State(s): State<AppState>,
    PageId(id): PageId,
    Posted { who, .. }: Posted<NoFields>,
) -> Result<Response, PageError> {
    require(&who, Action::ManageServicePolicy)?;
    let result = s.app.retry_delivery(&who.actor, id).await;
    after_post(
        result,
        |_| format!("/admin/deliveries/{id}?done=retried"),
        Kind::Setting,
        &who.l,
        |errs, status| delivery_page(&s, &who, id, String::new(), errs, None, status),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::mask_url;

    #[test]
    fn urls_are_shown_only_in_part() {
        let wecom = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa";
        assert_eq!(mask_url(wecom), "qyapi.weixin.qq.com/cgi-bin…5aaa");
        assert_eq!(mask_url("https://user:pw@hooks.example.com/in"), "hooks.example.com/in…");
        assert_eq!(mask_url("http://h.example"), "h.example");
        assert!(!mask_url(wecom).contains("693a91f6"));
    }
}
