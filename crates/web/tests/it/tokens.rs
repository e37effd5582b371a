//! API tokens are minted over the API only with the current password, as on the page.

use aftersales_app::users::hash_password;
use aftersales_storage::sessions::set_password_hash;
use aftersales_testkit::{Org, db_test};
use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::pages::{ORIGIN, PASSWORD, request};
use crate::support::{Client, error_fields, token};

db_test!(minting_an_api_token_needs_the_current_password, |db| {
    let org = Org::create(&db.app).await;
    let c = Client::new(&db);
    set_password_hash(db.app.store().read(), org.desk.id(), &hash_password(PASSWORD).unwrap()).await.unwrap();
    let desk = token(&db, &org.desk).await;
    let r = c.post("/api/v1/me/tokens", &desk, &json!({"name": "ERP"}), &[]).await;
    assert_eq!((r.status, error_fields(&r.body)), (StatusCode::BAD_REQUEST, vec!["password".into()]), "{}", r.body);
    let r = c.post("/api/v1/me/tokens", &desk, &json!({"name": "ERP", "password": ""}), &[]).await;
    assert_eq!((r.status, error_fields(&r.body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["password".into()]));
    let r = c.post("/api/v1/me/tokens", &desk, &json!({"name": "ERP", "password": "not-it"}), &[]).await;
    assert_eq!((r.status, error_fields(&r.body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["password".into()]));
    assert!(r.body["error"]["message"].as_str().unwrap().contains("密码"), "{}", r.body);
    let r = c.post("/api/v1/me/tokens", &desk, &json!({"name": "ERP", "password": PASSWORD}), &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let minted = r.body["token"].as_str().unwrap().to_owned();
    assert_eq!(c.get("/api/v1/me", &minted).await.body["username"], org.desk.user.username.as_str());
    // Guesses count against the account's sign-in limit: after five, even the right one waits.
    for _ in 0..5 {
        let r = c.post("/api/v1/me/tokens", &desk, &json!({"name": "x", "password": "guess"}), &[]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let r = c.post("/api/v1/me/tokens", &desk, &json!({"name": "ERP", "password": PASSWORD}), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body["error"]["fields"]["password"].as_str().unwrap().contains("15"), "{}", r.body);
    let form = format!("username={}&password={PASSWORD}", org.desk.user.username);
    let p = request(&db, Method::POST, "/login", None, Some(&form), &[("origin", ORIGIN)]).await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED, "the same limit guards the sign-in form");
    assert_eq!(db.app.my_tokens(&org.desk).await.unwrap().len(), 2, "the test's token and the confirmed one");
});
