//! The person's notices (通告): unread first, with acknowledgement and a status note or an
//! instruction (批示), as in seed 004's daily table.

use aftersales_app::notices::{Acknowledgement, NoticeQuery};
use aftersales_domain::Id;
use aftersales_domain::notice::Notice;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::layout::Nav;
use super::view::{L, Pager};
use super::{PageError, Signed, render};
use crate::AppState;
use crate::pages::Posted;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InboxQuery {
    /// `all` shows acknowledged ones too.
    show: String,
    page: Option<u64>,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct Inbox<'a> {
    l: &'a L,
    nav: Option<Nav>,
    me: Id,
    notices: Vec<Notice>,
    all: bool,
    total: u64,
    pager: Pager,
}

impl Inbox<'_> {
    /// Whether the reader still has to acknowledge this notice.
    fn open(&self, n: &Notice) -> bool {
        n.recipients.iter().any(|r| r.user_id == self.me && r.acknowledged_at.is_none())
    }

    fn staff(&self) -> bool {
        self.nav.as_ref().is_some_and(|n| n.staff)
    }

    /// The notes people wrote on it (status notes, instructions; a contact sees only their own).
    fn notes<'n>(&self, n: &'n Notice) -> Vec<&'n str> {
        n.recipients.iter().filter_map(|r| r.note.as_deref()).collect()
    }
}

pub async fn inbox(State(s): State<AppState>, who: Signed, Query(q): Query<InboxQuery>) -> Result<Response, PageError> {
    let l = &who.l;
    let all = q.show == "all";
    let page = q.page.unwrap_or(1).max(1);
    let nq = NoticeQuery {
        mine: Some(true),
        acknowledged: if all { None } else { Some(false) },
        page: Some(page),
        per_page: Some(50),
        ..NoticeQuery::default()
    };
    let list = s.app.notices(&who.actor, &nq).await.map_err(|e| PageError::App(e, l.clone()))?;
    let pager = Pager::new("/inbox", page, list.total, list.per_page, &[("show", if all { "all" } else { "" })]);
    let nav = Some(Nav::of(&s, &who, "inbox").await);
    Ok(render(&Inbox { l, nav, me: who.actor.id(), notices: list.items, all, total: list.total, pager }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct AckForm {
    note: String,
}

pub async fn acknowledge(
    State(s): State<AppState>,
    Path(id): Path<Id>,
    Posted { who, form: f }: Posted<AckForm>,
) -> Result<Response, PageError> {
    let note = f.note.trim();
    let ack = Acknowledgement { note: (!note.is_empty()).then(|| note.to_owned()) };
    s.app.acknowledge_notice(&who.actor, id, &ack).await.map_err(|e| PageError::App(e, who.l.clone()))?;
    Ok(Redirect::to("/inbox").into_response())
}
