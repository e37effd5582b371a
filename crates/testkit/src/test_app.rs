//! A whole service desk for one test: the router over a fresh database with the small
//! organization, clients per user, the notice worker delivering into local sinks, and a
//! check at the end that the test left no due job behind.

use aftersales_app::{Actor, App};
use aftersales_jobs::{Sweep, Worker};
use aftersales_notify::{Notifier, SmtpConfig, SmtpTls, WebhookPolicy};
use axum::Router;

use crate::client::{ApiClient, Browser};
use crate::http_sink::{HttpSink, Recorded};
use crate::smtp_sink::{Received, SmtpSink};
use crate::{Org, TestDb};

/// The password [`TestApp::browser`] gives the people it signs in.
pub const PASSWORD: &str = "testkit-password";

/// Channels that deliver into the local sinks: e-mail to `smtp`, robot and webhook posts to
/// `robots` (allowed although local).
pub fn notifier(smtp: &SmtpSink, robots: &HttpSink) -> Notifier {
    let relay = SmtpConfig {
        host: smtp.addr.ip().to_string(),
        port: smtp.addr.port(),
        tls: SmtpTls::None,
        username: None,
        password: None,
        from: "售后服务台 <desk@example.com>".into(),
        timeout_secs: 5,
        ca_file: None,
    };
    let hooks = WebhookPolicy { allowed_hosts: vec![robots.addr.ip().to_string()], timeout_secs: 5 };
    Notifier::new(Some(relay), hooks).unwrap()
}

pub struct TestApp {
    pub db: TestDb,
    pub org: Org,
    pub router: Router,
    /// Receives the e-mail the worker sends.
    pub smtp: SmtpSink,
    /// Receives the robot and webhook posts the worker sends (allowed although local).
    pub robots: HttpSink,
    worker: Worker,
}

impl TestApp {
    /// The organization of [`Org::create`] on `db`, served by the real router.
    pub async fn new(db: TestDb) -> TestApp {
        let org = Org::create(&db.app).await;
        let (smtp, robots) = (SmtpSink::start().await, HttpSink::start().await);
        let worker = Worker::new(db.app.clone(), notifier(&smtp, &robots), "testkit");
        TestApp { router: aftersales_web::router(db.app.clone()), db, org, smtp, robots, worker }
    }

    pub fn app(&self) -> &App {
        &self.db.app
    }

    /// The API as `who` calls it (with a new token).
    pub async fn api(&self, who: &Actor) -> ApiClient {
        let token = self.db.app.create_token(None, who.id(), "testkit").await.unwrap();
        ApiClient::new(self.router.clone(), token)
    }

    /// A browser signed in as `who` through the sign-in page (`who` gets [`PASSWORD`]).
    pub async fn browser(&self, who: &Actor) -> Browser {
        let hash = aftersales_app::users::hash_password(PASSWORD).unwrap();
        aftersales_storage::sessions::set_password_hash(self.db.app.store().read(), who.id(), &hash).await.unwrap();
        let mut browser = Browser::new(self.router.clone());
        browser.sign_in(&who.user.username, PASSWORD).await;
        browser
    }

    /// A browser nobody signed in with.
    pub fn anonymous(&self) -> Browser {
        Browser::new(self.router.clone())
    }

    /// What the notice worker does now: the due jobs, then the deliveries, into the sinks.
    pub async fn work(&self) -> Sweep {
        self.worker.sweep().await.unwrap()
    }

    /// The e-mail sent so far.
    pub fn mail(&self) -> Vec<Received> {
        self.smtp.received()
    }

    /// The robot and webhook posts sent so far.
    pub fn robot_posts(&self) -> Vec<Recorded> {
        self.robots.requests()
    }

    /// An address on the robot sink, for a notify target.
    pub fn robot_url(&self, path: &str) -> String {
        format!("http://{}{path}", self.robots.addr)
    }

    /// Fails the test if a job was due and never ran (a test that moves the clock past a
    /// deadline runs [`TestApp::work`] and looks at what came of it), then removes the database.
    pub async fn finish(self) {
        let now = self.db.now();
        let due = aftersales_storage::jobs::due(self.db.app.store().read(), now, 10).await.unwrap();
        let names: Vec<String> = due
            .iter()
            .map(|j| format!("{} ({} {} of {}, due {})", j.key, j.kind, j.data, j.subject, j.due_at))
            .collect();
        assert!(names.is_empty(), "jobs due by {now} were left unprocessed: {}", names.join(", "));
        self.db.finish().await;
    }
}
