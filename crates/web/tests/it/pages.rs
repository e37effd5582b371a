//! The web console's pages through the router (the browser run in e2e/ covers the same
//! flows in chromium): sign-in and cookies, escaping, customer scoping, CSRF and stale
//! forms, sign-out.

use aftersales_app::Actor;
use aftersales_app::users::hash_password;
use aftersales_domain::ticket::Status;
use aftersales_storage::sessions::set_password_hash;
use aftersales_testkit::{Org, db_test};
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

const PASSWORD: &str = "pages-test-pass";
const HOST: &str = "desk.example";
const ORIGIN: &str = "http://desk.example";
const XSS: &str = r#"<script>alert("xss")</script><img src=x onerror=alert(2)> 复印机第二纸盒卡纸，面板提示 E-201"#;

struct Page {
    status: StatusCode,
    headers: HeaderMap,
    html: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers.get("location").map_or("", |v| v.to_str().unwrap())
    }

    /// The session token of the forms on this page.
    fn csrf(&self) -> String {
        let at = self.html.find(r#"name="csrf" value=""#).expect("a form with a CSRF token");
        let rest = &self.html[at + r#"name="csrf" value=""#.len()..];
        rest[..rest.find('"').unwrap()].to_owned()
    }
}

async fn request(
    db: &aftersales_testkit::TestDb,
    method: Method,
    path: &str,
    cookie: Option<&str>,
    form: Option<&str>,
    extra: &[(&str, &str)],
) -> Page {
    let mut req = Request::builder().method(method).uri(path).header("host", HOST);
    if let Some(c) = cookie {
        req = req.header("cookie", format!("as_session={c}"));
    }
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let req = match form {
        Some(f) => {
            req.header("content-type", "application/x-www-form-urlencoded").body(Body::from(f.to_owned())).unwrap()
        }
        None => req.body(Body::empty()).unwrap(),
    };
    let res = aftersales_web::router(db.app.clone()).oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let html = String::from_utf8_lossy(&res.into_body().collect().await.unwrap().to_bytes()).into_owned();
    Page { status, headers, html }
}

async fn get(db: &aftersales_testkit::TestDb, path: &str, cookie: &str) -> Page {
    request(db, Method::GET, path, Some(cookie), None, &[]).await
}

async fn post(db: &aftersales_testkit::TestDb, path: &str, cookie: &str, form: &str) -> Page {
    request(db, Method::POST, path, Some(cookie), Some(form), &[("origin", ORIGIN)]).await
}

/// Gives the person a password and signs them in through the form; the session cookie.
async fn sign_in(db: &aftersales_testkit::TestDb, who: &Actor) -> String {
    set_password_hash(db.app.store().read(), who.id(), &hash_password(PASSWORD).unwrap()).await.unwrap();
    let form = format!("username={}&password={PASSWORD}&next=/board", who.user.username);
    let p = request(db, Method::POST, "/login", None, Some(&form), &[("origin", ORIGIN)]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let cookie = p.headers.get("set-cookie").unwrap().to_str().unwrap().to_owned();
    cookie.trim_start_matches("as_session=").split(';').next().unwrap().to_owned()
}

fn form_encode(s: &str) -> String {
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

db_test!(forms_need_the_session_token_and_the_current_version, |db| {
    let org = Org::create(&db.app).await;
    let t = aftersales_app::Outcome::into_value(
        db.app.register(&org.desk, &org.registration(db.now()), None).await.unwrap(),
    )
    .unwrap();
    let desk = sign_in(&db, &org.desk).await;
    let page = get(&db, &format!("/tickets/{}", t.id), &desk).await;
    assert!(page.html.contains(r#"id="form-accept""#), "the desk is offered Accept");
    let path = format!("/tickets/{}/act", t.id);
    // Without the session's token: refused, nothing changed.
    let forged = post(&db, &path, &desk, &format!("version={}&action=accept&csrf=forged", t.version)).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(db.app.ticket(&org.desk, t.id).await.unwrap().status, Status::Registered);
    // With it: accepted, and the page says so after the redirect.
    let csrf = page.csrf();
    let ok = post(&db, &path, &desk, &format!("csrf={csrf}&version={}&action=accept", t.version)).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.location(), format!("/tickets/{}?done=accept", t.id));
    let after = get(&db, ok.location(), &desk).await;
    assert!(after.html.contains("已完成：受理"), "{}", after.html);
    assert_eq!(db.app.ticket(&org.desk, t.id).await.unwrap().status, Status::Accepted);
    // A form from a page that is no longer current: the ticket as it is now, and a message.
    let stale =
        post(&db, &path, &desk, &format!("csrf={csrf}&version={}&action=cancel&reason=invalid", t.version)).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert!(stale.html.contains("已被他人更新"), "{}", stale.html);
    assert_eq!(db.app.ticket(&org.desk, t.id).await.unwrap().status, Status::Accepted);
    // A missing field is named.
    let current = db.app.ticket(&org.desk, t.id).await.unwrap();
    let bad = post(&db, &path, &desk, &format!("csrf={csrf}&version={}&action=grade&level=P1", current.version)).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains("reason"), "{}", bad.html);
    // A work-log entry through its form.
    let body = form_encode("已电话联系客户，约定明早上门");
    let log =
        post(&db, &format!("/tickets/{}/log", t.id), &desk, &format!("csrf={csrf}&kind=customer_message&body={body}"))
            .await;
    assert_eq!(log.status, StatusCode::SEE_OTHER, "{}", log.html);
    // Cancelling as a duplicate needs the original ticket named; then the ticket is cancelled.
    let page = get(&db, &format!("/tickets/{}", t.id), &desk).await;
    assert!(page.html.contains(r#"id="form-cancel""#), "the desk is offered Cancel");
    let current = db.app.ticket(&org.desk, t.id).await.unwrap();
    let dup =
        post(&db, &path, &desk, &format!("csrf={csrf}&version={}&action=cancel&reason=duplicate", current.version))
            .await;
    assert_eq!(dup.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(dup.html.contains("请注明与哪张工单重复"), "{}", dup.html);
    let note = form_encode("与 20240315-001 重复");
    let ok = post(
        &db,
        &path,
        &desk,
        &format!("csrf={csrf}&version={}&action=cancel&reason=duplicate&note={note}", current.version),
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.html);
    assert_eq!(db.app.ticket(&org.desk, t.id).await.unwrap().status, Status::Cancelled);
});
