//! API tokens are minted over the API only with the current password, as on the page.

use aftersales_app::users::hash_password;
use aftersales_storage::sessions::set_password_hash;
use aftersales_testkit::app_test;
use aftersales_testkit::client::ApiClient;
use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::pages::{ORIGIN, PASSWORD, request};
use crate::support::error_fields;

app_test!(minting_an_api_token_needs_the_current_password, |t| {
    let org = &t.org;
    set_password_hash(t.app().store().read(), org.desk.id(), &hash_password(PASSWORD).unwrap()).await.unwrap();
    let desk = t.api(&org.desk).await;
    let r = desk.post("/api/v1/me/tokens", &json!({"name": "ERP"})).await;
    assert_eq!((r.status, error_fields(&r.body)), (StatusCode::BAD_REQUEST, vec!["password".into()]), "{}", r.body);
    let r = desk.post("/api/v1/me/tokens", &json!({"name": "ERP", "password": ""})).await;
    assert_eq!((r.status, error_fields(&r.body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["password".into()]));
    let r = desk.post("/api/v1/me/tokens", &json!({"name": "ERP", "password": "not-it"})).await;
    assert_eq!((r.status, error_fields(&r.body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["password".into()]));
    assert!(r.body["error"]["message"].as_str().unwrap().contains("密码"), "{}", r.body);
    let r = desk.post("/api/v1/me/tokens", &json!({"name": "ERP", "password": PASSWORD})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let minted = ApiClient::new(t.router.clone(), r.body["token"].as_str().unwrap().to_owned());
    assert_eq!(minted.get("/api/v1/me").await.body["username"], org.desk.user.username.as_str());
    // Guesses count against the account's sign-in limit: after five, even the right one waits.
    for _ in 0..5 {
        let r = desk.post("/api/v1/me/tokens", &json!({"name": "x", "password": "guess"})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let r = desk.post("/api/v1/me/tokens", &json!({"name": "ERP", "password": PASSWORD})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body["error"]["fields"]["password"].as_str().unwrap().contains("15"), "{}", r.body);
    let form = format!("username={}&password={PASSWORD}", org.desk.user.username);
    let p = request(&t.db, Method::POST, "/login", None, Some(&form), &[("origin", ORIGIN)]).await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED, "the same limit guards the sign-in form");
    assert_eq!(t.app().my_tokens(&org.desk).await.unwrap().len(), 2, "the test's token and the confirmed one");
});
