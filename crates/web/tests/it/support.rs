//! A client for the router in tests.

use aftersales_app::Actor;
use aftersales_testkit::TestDb;
pub use aftersales_testkit::client::Reply;
use axum::Router;
use axum::http::Method;
use serde_json::Value;

pub struct Client {
    pub router: Router,
}

impl Client {
    pub fn new(db: &TestDb) -> Client {
        Client { router: aftersales_web::router(db.app.clone()) }
    }

    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        extra: &[(&str, &str)],
    ) -> Reply {
        aftersales_testkit::client::api_call(&self.router, method, path, token, body, extra).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send(Method::GET, path, Some(token), None, &[]).await
    }

    pub async fn post(&self, path: &str, token: &str, body: &Value, extra: &[(&str, &str)]) -> Reply {
        self.send(Method::POST, path, Some(token), Some(body), extra).await
    }
}

pub async fn token(db: &TestDb, actor: &Actor) -> String {
    db.app.create_token(None, actor.id(), "test").await.unwrap()
}

/// A complete registration for customer B's device, as the desk sends it.
pub fn registration(org: &aftersales_testkit::Org, description: &str) -> Value {
    serde_json::json!({
        "customer_id": org.customer_b.id,
        "contact_id": org.contact_b.id,
        "device_serial": org.device_b.serial,
        "category_id": org.paper_jam.id,
        "fault_code": "J-7012",
        "description": description,
        "occurred_at": "2024-03-15T08:30:00+08:00",
        "impact_scope": "财务部一台复印机",
    })
}

/// The fields an error answer names.
pub fn error_fields(body: &Value) -> Vec<String> {
    body["error"]["fields"].as_object().map(|f| f.keys().cloned().collect()).unwrap_or_default()
}

/// How many tickets are stored.
pub async fn ticket_count(db: &TestDb, org: &aftersales_testkit::Org) -> u64 {
    db.app.tickets(&org.admin, &Default::default()).await.unwrap().total
}
