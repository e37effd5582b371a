//! Clients for the router in tests: one that calls the API with a bearer token, and a
//! browser that signs in through the real page, keeps its cookies, and sends each form's
//! CSRF token back as a browser does.

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

/// The host the browser thinks it talks to, and the origin of its form posts.
pub const HOST: &str = "desk.example";
pub const ORIGIN: &str = "http://desk.example";

/// Sends one request through the router: the status, headers and body of the answer.
pub async fn call(router: &Router, req: Request<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
    let res = router.clone().oneshot(req).await.unwrap();
    let (status, headers) = (res.status(), res.headers().clone());
    (status, headers, res.into_body().collect().await.unwrap().to_bytes().to_vec())
}

/// An API answer; a body that is not JSON is kept as a string.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn etag(&self) -> String {
        self.headers.get("etag").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
    }
}

/// One API request: `token` as a bearer token, `body` as JSON, `extra` headers.
pub async fn api_call(
    router: &Router,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<&Value>,
    extra: &[(&str, &str)],
) -> Reply {
    let mut req = Request::builder().method(method).uri(path);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let req = match body {
        Some(b) => req.header("content-type", "application/json").body(Body::from(b.to_string())).unwrap(),
        None => req.body(Body::empty()).unwrap(),
    };
    let (status, headers, bytes) = call(router, req).await;
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    Reply { status, headers, body }
}

/// The API as one user calls it.
pub struct ApiClient {
    router: Router,
    token: String,
}

impl ApiClient {
    pub fn new(router: Router, token: String) -> ApiClient {
        ApiClient { router, token }
    }

    pub fn token(&self) -> &str {
        &self.token
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>, extra: &[(&str, &str)]) -> Reply {
        api_call(&self.router, method, path, Some(&self.token), body, extra).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Method::GET, path, None, &[]).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::POST, path, Some(body), &[]).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        self.send(Method::PUT, path, Some(body), &[]).await
    }

    /// A change of a resource whose version the client read as `etag`.
    pub async fn post_if_match(&self, path: &str, body: &Value, etag: &str) -> Reply {
        self.send(Method::POST, path, Some(body), &[("if-match", etag)]).await
    }
}

/// A page as the browser got it.
pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub html: String,
}

const CSRF_FIELD: &str = r#"name="csrf" value=""#;

impl Page {
    pub fn location(&self) -> &str {
        self.headers.get("location").map_or("", |v| v.to_str().unwrap())
    }

    /// The session's CSRF token in the page's forms, if it has one.
    pub fn find_csrf(&self) -> Option<String> {
        let at = self.html.find(CSRF_FIELD)?;
        let rest = &self.html[at + CSRF_FIELD.len()..];
        Some(rest[..rest.find('"')?].to_owned())
    }

    /// The session's CSRF token in the page's forms.
    pub fn csrf(&self) -> String {
        self.find_csrf().expect("a form with a CSRF token")
    }
}

/// One page request: `cookie` as the session cookie, `form` as an url-encoded body.
pub async fn page_call(
    router: &Router,
    method: Method,
    path: &str,
    cookie: Option<&str>,
    form: Option<&str>,
    extra: &[(&str, &str)],
) -> Page {
    let mut req = Request::builder().method(method).uri(path).header("host", HOST);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
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
    let (status, headers, bytes) = call(router, req).await;
    Page { status, headers, html: String::from_utf8_lossy(&bytes).into_owned() }
}

/// A browser on the web console: a cookie jar, and the CSRF token of the last page that had
/// forms, which [`Browser::post`] sends with every form as the page's hidden field would.
pub struct Browser {
    router: Router,
    jar: BTreeMap<String, String>,
    csrf: Option<String>,
}

impl Browser {
    pub fn new(router: Router) -> Browser {
        Browser { router, jar: BTreeMap::new(), csrf: None }
    }

    /// Signs in through the sign-in page, as a person types it; panics unless it succeeds.
    pub async fn sign_in(&mut self, username: &str, password: &str) -> Page {
        let form = self.get("/login").await;
        assert_eq!(form.status, StatusCode::OK, "the sign-in page: {}", form.html);
        let done = self.post("/login", &[("username", username), ("password", password), ("next", "/")]).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "signing in as {username}: {}", done.html);
        assert!(!self.jar.is_empty(), "signing in set no cookie");
        done
    }

    /// The value of a cookie the browser holds.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.jar.get(name).map(String::as_str)
    }

    fn cookie_header(&self) -> Option<String> {
        (!self.jar.is_empty()).then(|| self.jar.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; "))
    }

    async fn request(&mut self, method: Method, path: &str, form: Option<&str>) -> Page {
        let cookie = self.cookie_header();
        let origin: &[(&str, &str)] = if form.is_some() { &[("origin", ORIGIN)] } else { &[] };
        let page = page_call(&self.router, method, path, cookie.as_deref(), form, origin).await;
        for set in page.headers.get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let (pair, attributes) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || attributes.contains("Max-Age=0") {
                self.jar.remove(name.trim());
            } else {
                self.jar.insert(name.trim().to_owned(), value.to_owned());
            }
        }
        if let Some(token) = page.find_csrf() {
            self.csrf = Some(token);
        }
        page
    }

    pub async fn get(&mut self, path: &str) -> Page {
        self.request(Method::GET, path, None).await
    }

    /// Posts a form: `fields`, and the CSRF token of the last page with forms unless
    /// `fields` name one.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let mut body = form_urlencoded::Serializer::new(String::new());
        body.extend_pairs(fields);
        if let Some(token) = &self.csrf
            && !fields.iter().any(|(k, _)| *k == "csrf")
        {
            body.append_pair("csrf", token);
        }
        let body = body.finish();
        self.request(Method::POST, path, Some(&body)).await
    }

    /// Opens the page a redirect leads to.
    pub async fn follow(&mut self, redirect: &Page) -> Page {
        assert!(redirect.status.is_redirection(), "not a redirect: {} {}", redirect.status, redirect.html);
        let to = redirect.location().to_owned();
        self.get(&to).await
    }
}
