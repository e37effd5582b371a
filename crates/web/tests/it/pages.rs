//! The web console's pages through the router (the browser run in e2e/ covers the same
//! flows in chromium): sign-in and cookies, escaping, customer scoping, CSRF and stale
//! forms, sign-out.

use aftersales_app::users::hash_password;
use aftersales_app::{Actor, Outcome};
use aftersales_domain::ticket::Status;
use aftersales_storage::sessions::set_password_hash;
use aftersales_testkit::{Org, app_test, db_test};
use axum::http::{Method, StatusCode};

pub(crate) const PASSWORD: &str = "pages-test-pass";
pub(crate) use aftersales_testkit::client::ORIGIN;
pub(crate) const XSS: &str =
    r#"<script>alert("xss")</script><img src=x onerror=alert(2)> 复印机第二纸盒卡纸，面板提示 E-201"#;

pub(crate) use aftersales_testkit::client::Page;

pub(crate) async fn request(
    db: &aftersales_testkit::TestDb,
    method: Method,
    path: &str,
    cookie: Option<&str>,
    form: Option<&str>,
    extra: &[(&str, &str)],
) -> Page {
    let router = aftersales_web::router(db.app.clone());
    let cookie = cookie.map(|c| format!("as_session={c}"));
    aftersales_testkit::client::page_call(&router, method, path, cookie.as_deref(), form, extra).await
}

pub(crate) async fn get(db: &aftersales_testkit::TestDb, path: &str, cookie: &str) -> Page {
    request(db, Method::GET, path, Some(cookie), None, &[]).await
}

pub(crate) async fn post(db: &aftersales_testkit::TestDb, path: &str, cookie: &str, form: &str) -> Page {
    request(db, Method::POST, path, Some(cookie), Some(form), &[("origin", ORIGIN)]).await
}

/// Gives the person a password and signs them in through the form; the session cookie.
pub(crate) async fn sign_in(db: &aftersales_testkit::TestDb, who: &Actor) -> String {
    set_password_hash(db.app.store().read(), who.id(), &hash_password(PASSWORD).unwrap()).await.unwrap();
    let form = format!("username={}&password={PASSWORD}&next=/board", who.user.username);
    let p = request(db, Method::POST, "/login", None, Some(&form), &[("origin", ORIGIN)]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let cookie = p.headers.get("set-cookie").unwrap().to_str().unwrap().to_owned();
    cookie.trim_start_matches("as_session=").split(';').next().unwrap().to_owned()
}

pub(crate) fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

db_test!(signing_in_gives_a_safe_cookie_and_pages_ask_for_it, |db| {
    let org = Org::create(&db.app).await;
    let anonymous = request(&db, Method::GET, "/board", None, None, &[]).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(anonymous.location(), "/login?next=/board");
    // Every answer carries the security headers.
    let csp = anonymous.headers.get("content-security-policy").unwrap().to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(anonymous.headers.get("x-content-type-options").unwrap(), "nosniff");

    set_password_hash(db.app.store().read(), org.desk.id(), &hash_password(PASSWORD).unwrap()).await.unwrap();
    // A wrong password and an unknown account get the same page.
    let wrong = format!("username={}&password=nope", org.desk.user.username);
    let wrong = request(&db, Method::POST, "/login", None, Some(&wrong), &[("origin", ORIGIN)]).await;
    let unknown =
        request(&db, Method::POST, "/login", None, Some("username=nobody&password=nope"), &[("origin", ORIGIN)]).await;
    assert_eq!((wrong.status, unknown.status), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
    let message = |p: &Page| p.html[p.html.find("login-error").unwrap()..].split('<').next().unwrap().to_owned();
    assert_eq!(message(&wrong), message(&unknown));
    assert!(wrong.headers.get("set-cookie").is_none());
    // A sign-in form posted from another site is refused.
    let right = format!("username={}&password={PASSWORD}", org.desk.user.username);
    let cross = request(&db, Method::POST, "/login", None, Some(&right), &[("origin", "http://evil.example")]).await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    // The cookie: HttpOnly, SameSite=Lax, Secure behind HTTPS; a new session each time.
    let ok = request(&db, Method::POST, "/login", None, Some(&right), &[("origin", ORIGIN)]).await;
    let cookie = ok.headers.get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && !cookie.contains("Secure"), "{cookie}");
    let https =
        request(&db, Method::POST, "/login", None, Some(&right), &[("origin", ORIGIN), ("x-forwarded-proto", "https")])
            .await;
    let secure = https.headers.get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(secure.contains("; Secure"), "{secure}");
    assert_ne!(cookie.split(';').next(), secure.split(';').next(), "every sign-in opens a new session");
    // An open redirect through `next` is not possible.
    for next in ["//evil.example/", "/%09/evil.example", "https://evil.example/", "/%5Cevil.example"] {
        let evil = format!("{right}&next={next}");
        let p = request(&db, Method::POST, "/login", None, Some(&evil), &[("origin", ORIGIN)]).await;
        assert_eq!(p.location(), "/", "next={next}");
    }

    // Signing out ends the session: the same cookie now leads to the sign-in page.
    let session = cookie.trim_start_matches("as_session=").split(';').next().unwrap().to_owned();
    let board = get(&db, "/board", &session).await;
    assert_eq!(board.status, StatusCode::OK);
    let out = post(&db, "/logout", &session, &format!("csrf={}", board.csrf())).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(get(&db, "/board", &session).await.status, StatusCode::SEE_OTHER);
});

db_test!(user_text_is_escaped_and_customers_see_only_their_own, |db| {
    let org = Org::create(&db.app).await;
    let mut r = org.registration(db.now());
    r.description = Some(XSS.into());
    let t = aftersales_app::Outcome::into_value(db.app.register(&org.desk, &r, None).await.unwrap()).unwrap();
    let desk = sign_in(&db, &org.desk).await;
    for path in [format!("/tickets/{}", t.id), "/board".to_owned()] {
        let p = get(&db, &path, &desk).await;
        assert_eq!(p.status, StatusCode::OK, "{path}");
        // askama escapes with numeric references: the browser shows the characters.
        assert!(
            p.html
                .contains("&#60;script&#62;alert(&#34;xss&#34;)&#60;/script&#62;&#60;img src=x onerror=alert(2)&#62;"),
            "{path} shows the text"
        );
        assert!(!p.html.contains("<script>alert") && !p.html.contains("<img src=x"), "{path} runs nothing");
    }
    // A contact of another customer: the ticket does not exist for them, and their board
    // does not list it.
    let other = sign_in(&db, &org.portal_window_a).await; // customer A; the ticket is customer B's
    let p = get(&db, &format!("/tickets/{}", t.id), &other).await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    assert!(!p.html.contains(&t.number.to_string()) && !p.html.contains("E-201"));
    let board = get(&db, "/board", &other).await;
    assert!(!board.html.contains(&t.number.to_string()));
    let search = get(&db, &format!("/board?q={}", t.number), &other).await;
    assert_eq!(search.status, StatusCode::NOT_FOUND, "the number search does not reveal another customer's ticket");
    // Their own contact sees it.
    let own = sign_in(&db, &org.portal_b).await;
    assert_eq!(get(&db, &format!("/tickets/{}", t.id), &own).await.status, StatusCode::OK);
});

app_test!(forms_need_the_session_token_and_the_current_version, |t| {
    let (app, org) = (t.app(), &t.org);
    let t0 = app.register(&org.desk, &org.registration(t.db.now()), None).await.and_then(Outcome::into_value).unwrap();
    let version = async || app.ticket(&org.desk, t0.id).await.unwrap().version.to_string();
    let mut desk = t.browser(&org.desk).await;
    let page = desk.get(&format!("/tickets/{}", t0.id)).await;
    assert!(page.html.contains(r#"id="form-accept""#), "the desk is offered Accept");
    let path = format!("/tickets/{}/act", t0.id);
    let first = t0.version.to_string();
    // Without the session's token: refused, nothing changed.
    let forged = desk.post(&path, &[("csrf", "forged"), ("version", &first), ("action", "accept")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(app.ticket(&org.desk, t0.id).await.unwrap().status, Status::Registered);
    // With it: accepted, and the page says so after the redirect.
    let ok = desk.post(&path, &[("version", &first), ("action", "accept")]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.location(), format!("/tickets/{}?done=accept", t0.id));
    let after = desk.follow(&ok).await;
    assert!(after.html.contains("已完成：受理"), "{}", after.html);
    assert_eq!(app.ticket(&org.desk, t0.id).await.unwrap().status, Status::Accepted);
    // A form from a page that is no longer current: the ticket as it is now, and a message.
    let stale = desk.post(&path, &[("version", &first), ("action", "cancel"), ("reason", "invalid")]).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert!(stale.html.contains("已被他人更新"), "{}", stale.html);
    assert_eq!(app.ticket(&org.desk, t0.id).await.unwrap().status, Status::Accepted);
    // A missing field is named.
    let bad = desk.post(&path, &[("version", &version().await), ("action", "grade"), ("level", "P1")]).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("reason"), "{}", bad.html);
    // A work-log entry through its form.
    let log = desk
        .post(
            &format!("/tickets/{}/log", t0.id),
            &[("kind", "customer_message"), ("body", "已电话联系客户，约定明早上门")],
        )
        .await;
    assert_eq!(log.status, StatusCode::SEE_OTHER, "{}", log.html);
    // Cancelling as a duplicate needs the original ticket named; then the ticket is cancelled.
    let page = desk.get(&format!("/tickets/{}", t0.id)).await;
    assert!(page.html.contains(r#"id="form-cancel""#), "the desk is offered Cancel");
    let current = version().await;
    let dup = desk.post(&path, &[("version", &current), ("action", "cancel"), ("reason", "duplicate")]).await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(dup.html.contains("请注明与哪张工单重复"), "{}", dup.html);
    let named = [
        ("version", current.as_str()),
        ("action", "cancel"),
        ("reason", "duplicate"),
        ("note", "与 20240315-001 重复"),
    ];
    let ok = desk.post(&path, &named).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.html);
    assert_eq!(app.ticket(&org.desk, t0.id).await.unwrap().status, Status::Cancelled);
});

/// The desk's registration form on customer A (which has a window): what "check first"
/// finds before anything is stored.
fn desk_form(csrf: &str, org: &Org, contact: i64, intent: &str) -> String {
    let description = form_encode("第二纸盒卡纸，面板提示 E-201，每打印十张左右出现一次");
    let impact = form_encode("财务部一台复印机");
    format!(
        "csrf={csrf}&customer_id={}&contact_id={contact}&channel=phone&kind=fault&category_id={}&device_id={}\
         &fault_code=E-201&description={description}&occurred_at=2024-03-15T08:30&impact_scope={impact}&intent={intent}",
        org.customer_a.id, org.paper_jam.id, org.device_a.id
    )
}

db_test!(the_desk_checks_a_registration_before_submitting_it, |db| {
    let org = Org::create(&db.app).await;
    let desk = sign_in(&db, &org.desk).await;
    let search = get(&db, &format!("/tickets/new?q={}", form_encode("浦江")), &desk).await;
    assert_eq!(search.status, StatusCode::OK);
    // The contact picker lists A's contacts and marks the window.
    assert!(search.html.contains("王经理") && search.html.contains("客户窗口"), "{}", search.html);
    let csrf = search.csrf();
    let count = async || db.app.tickets(&org.admin, &Default::default()).await.unwrap().total;

    // Someone other than the window calls: the check says the window must confirm.
    let checked = post(&db, "/tickets/new", &desk, &desk_form(&csrf, &org, org.other_a.id, "check")).await;
    assert_eq!(checked.status, StatusCode::OK, "{}", checked.html);
    let window = checked.html.split(r#"id="check-window""#).nth(1).unwrap();
    assert!(window.starts_with(r#">来电人不是客户窗口（王经理）"#), "{window}");
    let device = checked.html.split(r#"id="check-device""#).nth(1).unwrap();
    assert!(device.contains("A1B2-000123") && device.contains("3楼财务部"), "{device}");
    assert!(!checked.html.contains("check-repeat"), "nothing to repeat yet");
    assert_eq!(count().await, 0, "checking stores nothing");
    // The form keeps what was typed.
    assert!(checked.html.contains("每打印十张左右出现一次"));

    // A vague description is flagged by the check, naming the field.
    let vague = desk_form(&csrf, &org, org.window_a.id, "check")
        .replace(&form_encode("第二纸盒卡纸，面板提示 E-201，每打印十张左右出现一次"), &form_encode("设备故障"));
    let flagged = post(&db, "/tickets/new", &desk, &vague).await;
    assert_eq!(flagged.status, StatusCode::UNPROCESSABLE_ENTITY);
    let error = flagged.html.split(r#"id="new-error">"#).nth(1).unwrap().split('<').next().unwrap();
    assert!(error.contains("故障描述") && error.contains("笼统"), "{error}");

    // Registered from the window: no confirmation needed.
    let done = post(&db, "/tickets/new", &desk, &desk_form(&csrf, &org, org.window_a.id, "")).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.html);
    let first = db.app.tickets(&org.admin, &Default::default()).await.unwrap().items.remove(0);
    assert_eq!(first.window_confirmation.code(), "not_needed");
    assert_eq!(first.contact_name, "王经理", "the picked contact's name and phone fill the ticket");

    // The same device and fault again: the check warns and links the earlier ticket.
    let again = post(&db, "/tickets/new", &desk, &desk_form(&csrf, &org, org.other_a.id, "check")).await;
    let repeat = again.html.split(r#"id="check-repeat""#).nth(1).expect("a repeat warning");
    assert!(repeat.contains(&format!(r#"href="/tickets/{}""#, first.id)) && repeat.contains(first.number.as_str()));
    assert_eq!(count().await, 1);
    let second = post(&db, "/tickets/new", &desk, &desk_form(&csrf, &org, org.other_a.id, "")).await;
    assert_eq!(second.status, StatusCode::SEE_OTHER);
    let page = get(&db, second.location(), &desk).await;
    // The history speaks the reader's language, not field codes.
    assert!(page.html.contains("登记报修") && page.html.contains("标记为重复报修"), "{}", page.html);
    assert!(!page.html.contains("<strong>repeat_flagged</strong>"));
    let t = db.app.tickets(&org.admin, &Default::default()).await.unwrap().items;
    let second = t.iter().find(|x| x.id != first.id).unwrap();
    assert_eq!((second.window_confirmation.code(), second.repeat_of), ("pending", Some(first.id)));
});

app_test!(the_supervisor_decides_downgrades_on_the_approvals_page, |t| {
    use aftersales_app::tickets::Command;
    let (app, org) = (t.app(), &t.org);
    let t0 = app.register(&org.desk, &org.registration(t.db.now()), None).await.and_then(Outcome::into_value).unwrap();
    let step = async |who: &Actor, version: i64, cmd: Command| {
        app.act(who, t0.id, Some(version), &cmd, None).await.and_then(Outcome::into_value).unwrap()
    };
    let grade = |level: &str, reason: &str| Command::Grade { level: level.into(), reason: reason.into() };
    let v = step(&org.desk, t0.version, Command::Accept).await.ticket.version;
    let v = step(&org.desk, v, grade("P1", "财务结账日")).await.ticket.version;
    let o = step(&org.dispatcher, v, grade("P3", "已有备用机<b>")).await;
    let request = o.priority_change_request.unwrap();
    let path = format!("/approvals/{}", request.id);

    let mut dispatcher = t.browser(&org.dispatcher).await;
    let seen = dispatcher.get("/approvals").await;
    assert!(seen.html.contains("已有备用机&#60;b&#62;"), "the reason is shown, escaped");
    assert!(!seen.html.contains("批准降级"), "no decision buttons for the dispatcher");
    let refused = dispatcher.post(&path, &[("decision", "approve")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let mut supervisor = t.browser(&org.supervisor).await;
    let ticket_page = supervisor.get(&format!("/tickets/{}", t0.id)).await;
    assert!(ticket_page.html.contains(r#"id="ticket-downgrade""#), "the ticket shows the waiting downgrade");
    let queue = supervisor.get("/approvals").await;
    assert!(queue.html.contains(&format!(r#"id="request-{}""#, request.id)) && queue.html.contains("批准降级"));
    let no_reason = supervisor.post(&path, &[("decision", "reject")]).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let error = no_reason.html.split(r#"id="approvals-error">"#).nth(1).unwrap().split('<').next().unwrap();
    assert!(error.contains("必填"), "{error}");
    // What was typed comes back with the error.
    let typed = supervisor.post(&path, &[("decision", "maybe"), ("note", "再议")]).await;
    assert_eq!(typed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(typed.html.contains(">再议</textarea>"), "{}", typed.html);
    assert_eq!(app.ticket(&org.admin, t0.id).await.unwrap().priority.as_deref(), Some("P1"), "nothing changed");
    let ok = supervisor.post(&path, &[("decision", "approve"), ("note", "同意")]).await;
    assert_eq!((ok.status, ok.location()), (StatusCode::SEE_OTHER, "/approvals?done=approved"));
    assert_eq!(app.ticket(&org.admin, t0.id).await.unwrap().priority.as_deref(), Some("P3"));
    let after = supervisor.follow(&ok).await;
    assert!(after.html.contains("approvals-empty") && after.html.contains("已批准"), "{}", after.html);
    // Deciding again: the request is already decided.
    let twice = supervisor.post(&path, &[("decision", "reject"), ("note", "x")]).await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.html);
});

app_test!(a_new_api_token_needs_the_current_password, |t| {
    let mut desk = t.browser(&t.org.desk).await;
    desk.get("/me").await;
    let without = desk.post("/me/tokens", &[("name", "ERP")]).await;
    assert_eq!(without.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!without.html.contains(r#"id="new-token""#));
    let wrong = desk.post("/me/tokens", &[("name", "ERP"), ("password", "not-it")]).await;
    assert!(wrong.html.contains("与当前密码不符"), "{}", wrong.html);
    assert!(wrong.html.contains(r#"name="name" value="ERP""#), "the name typed is kept");
    assert!(t.app().my_tokens(&t.org.desk).await.unwrap().is_empty(), "no token was made");
    let ok = desk.post("/me/tokens", &[("name", "ERP"), ("password", aftersales_testkit::PASSWORD)]).await;
    assert_eq!(ok.status, StatusCode::OK);
    let token = ok.html.split(r#"id="new-token">"#).nth(1).unwrap().split('<').next().unwrap();
    assert!(t.app().authenticate(token).await.is_ok());
});

db_test!(an_engineer_starts_with_their_own_tickets_and_the_board_filters_by_region, |db| {
    use aftersales_app::tickets::Command;
    let org = Org::create(&db.app).await;
    let app = &db.app;
    // B's ticket (华南) dispatched to eng.east; A's ticket (华东) left undispatched.
    let b = app.register(&org.desk, &org.registration(db.now()), None).await.and_then(Outcome::into_value).unwrap();
    let step = async |who: &Actor, id: i64, version: i64, cmd: Command| {
        app.act(who, id, Some(version), &cmd, None).await.and_then(Outcome::into_value).unwrap().ticket.version
    };
    let v = step(&org.desk, b.id, b.version, Command::Accept).await;
    let v = step(&org.desk, b.id, v, Command::Grade { level: "P3".into(), reason: "一般".into() }).await;
    let dispatch = Command::Dispatch { engineer_id: Some(org.eng_east.id()), group_id: None };
    step(&org.dispatcher, b.id, v, dispatch).await;
    let mut r = org.registration(db.now());
    r.customer_id = Some(org.customer_a.id);
    r.contact_id = Some(org.window_a.id);
    r.device_serial = Some(org.device_a.serial.clone());
    let a = app.register(&org.desk, &r, None).await.and_then(Outcome::into_value).unwrap();

    let eng = sign_in(&db, &org.eng_east).await;
    // The history names people and groups, not ids and codes.
    let page = get(&db, &format!("/tickets/{}", b.id), &eng).await;
    let history = page.html.split(r#"id="timeline""#).nth(1).unwrap();
    assert!(history.contains("一线工程师：— → 周工"), "{history}");
    assert!(!history.contains("first_line_id") && !history.contains("group_id"), "{history}");
    let mine = get(&db, "/board", &eng).await;
    assert!(mine.html.contains("我的工单"), "{}", mine.html);
    assert!(mine.html.contains(b.number.as_str()) && !mine.html.contains(a.number.as_str()));
    let all = get(&db, "/board?engineer_id=all", &eng).await;
    assert!(all.html.contains(b.number.as_str()) && all.html.contains(a.number.as_str()));

    let dispatcher = sign_in(&db, &org.dispatcher).await;
    let east = get(&db, &format!("/board?region={}", form_encode("华东")), &dispatcher).await;
    assert!(east.html.contains(a.number.as_str()) && !east.html.contains(b.number.as_str()), "{}", east.html);
    // The suggestions are the customers' regions.
    assert!(east.html.contains(r#"<option value="华东">"#) && east.html.contains(r#"<option value="华南">"#));
    let bad = get(&db, "/board?engineer_id=abc", &dispatcher).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
});
