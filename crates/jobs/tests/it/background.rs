//! Background jobs of kinds other than the notice checks, about subjects other than
//! tickets: enqueued once however often they are asked for, run, retried after a backoff,
//! given up after their last attempt (kept for an administrator); and the worker's hourly
//! housekeeping as such jobs.

use std::collections::HashMap;
use std::sync::Mutex;

use aftersales_app::jobs::{BackgroundJob, JobError, Retry, Subject};
use aftersales_app::{App, AppError};
use aftersales_domain::role::Role;
use aftersales_domain::user::UserInput;
use aftersales_domain::{DomainError, Timestamp};
use aftersales_jobs::Worker;
use aftersales_jobs::maintenance::{Hourly, OptimizeStore, PurgeSessions};
use aftersales_notify::{Notifier, WebhookPolicy};
use aftersales_testkit::{Org, db_test};
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};

/// Attempts so far, by report name (tests on both databases run at once: each names its
/// reports after its backend).
static ATTEMPTS: Mutex<Option<HashMap<String, u32>>> = Mutex::new(None);

fn attempts(name: &str) -> u32 {
    ATTEMPTS.lock().unwrap().as_ref().and_then(|m| m.get(name).copied()).unwrap_or(0)
}

/// A report mailed to a subscriber, whose mail server refuses the first `refusals` tries.
#[derive(Debug, Serialize, Deserialize)]
struct MailReport {
    name: String,
    refusals: u32,
}

impl BackgroundJob for MailReport {
    const KIND: &'static str = "test_mail_report";
    const DEDUPLICATED: bool = true;
    const RETRY: Retry =
        Retry { attempts: 3, first: SignedDuration::from_secs(60), cap: SignedDuration::from_secs(600) };

    fn subject(&self) -> Subject {
        Subject::of("subscription", &self.name)
    }

    fn dedup_key(&self) -> String {
        "2024-03".into()
    }

    async fn run(&self, _app: &App) -> Result<(), JobError> {
        let n = {
            let mut map = ATTEMPTS.lock().unwrap();
            let n = map.get_or_insert_default().entry(self.name.clone()).or_default();
            *n += 1;
            *n
        };
        if n <= self.refusals { Err(format!("mail server busy (try {n})").into()) } else { Ok(()) }
    }
}

fn worker(app: &App) -> Worker {
    let notifier = Notifier::new(None, WebhookPolicy::default()).unwrap();
    Worker::new(app.clone(), notifier, "w1").register::<MailReport>()
}

fn name(app: &App, what: &str) -> String {
    format!("{what}-{:?}", app.store().backend())
}

db_test!(a_job_about_a_subscription_is_enqueued_once_retried_after_a_backoff_and_done, |db| {
    let app = &db.app;
    let t0 = db.now();
    let report = MailReport { name: name(app, "monthly"), refusals: 1 };
    assert!(app.enqueue_now(&report, t0).await.unwrap());
    // The same kind, subject and key again: dropped.
    assert!(!app.enqueue_now(&MailReport { refusals: 0, ..report }, t0).await.unwrap());
    let report = MailReport { name: name(app, "monthly"), refusals: 1 };

    let w = worker(app);
    let s = w.sweep().await.unwrap();
    assert_eq!((s.jobs, s.jobs_failed), (1, 1), "{s:?}");
    let pending = app.jobs_of(MailReport::KIND, "pending").await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].subject, format!("subscription:{}", report.name));
    assert_eq!(pending[0].due_at, t0 + SignedDuration::from_secs(60), "due again after the first backoff");
    assert_eq!(pending[0].last_error.as_deref(), Some("mail server busy (try 1)"));

    // Not before its backoff ends.
    db.advance(SignedDuration::from_secs(59));
    assert_eq!(w.sweep().await.unwrap().jobs, 0);
    assert_eq!(attempts(&report.name), 1);
    db.advance(SignedDuration::from_secs(1));
    let s = w.sweep().await.unwrap();
    assert_eq!((s.jobs, s.jobs_failed), (1, 0), "{s:?}");
    assert_eq!(attempts(&report.name), 2);
    let done = app.jobs_of(MailReport::KIND, "done").await.unwrap();
    assert_eq!((done.len(), done[0].attempts), (1, 2));

    // Done is done: asked for again, it is not stored, and nothing runs twice.
    assert!(!app.enqueue_now(&report, db.now()).await.unwrap());
    db.advance(SignedDuration::from_secs(3600));
    assert_eq!(w.sweep().await.unwrap().jobs, 0);
    assert_eq!(attempts(&report.name), 2);
});

db_test!(a_job_that_keeps_failing_is_given_up_after_its_last_attempt_and_shown_to_administrators, |db| {
    let app = &db.app;
    let org = Org::create(app).await;
    let report = MailReport { name: name(app, "never"), refusals: 99 };
    app.enqueue_now(&report, db.now()).await.unwrap();
    let w = worker(app);
    // Attempt 1, then 60 s later attempt 2, then 120 s later attempt 3, the last.
    for wait in [0, 60, 120] {
        db.advance(SignedDuration::from_secs(wait));
        let s = w.sweep().await.unwrap();
        assert_eq!((s.jobs, s.jobs_failed), (1, 1), "after {wait} s: {s:?}");
    }
    assert_eq!(attempts(&report.name), 3);
    assert!(app.jobs_of(MailReport::KIND, "pending").await.unwrap().is_empty());
    let dead = app.dead_jobs(&org.admin, 50).await.unwrap();
    let mine: Vec<_> = dead.iter().filter(|j| j.subject == format!("subscription:{}", report.name)).collect();
    assert_eq!(mine.len(), 1, "{dead:?}");
    assert_eq!((mine[0].kind.as_str(), mine[0].attempts), (MailReport::KIND, 3));
    assert_eq!(mine[0].last_error.as_deref(), Some("mail server busy (try 3)"));
    // Only administrators see them.
    let refused = app.dead_jobs(&org.desk, 50).await.unwrap_err();
    assert!(matches!(refused, AppError::Domain(DomainError::Forbidden { .. })), "{refused:?}");
    // Given up is given up.
    db.advance(SignedDuration::from_secs(86_400));
    assert_eq!(w.sweep().await.unwrap().jobs, 0);
    assert_eq!(attempts(&report.name), 3);
});

db_test!(the_hourly_housekeeping_runs_as_jobs_once_an_hour_among_all_workers, |db| {
    let app = &db.app;
    // Someone signed in a week ago: their session has ended since.
    let input = UserInput {
        username: Some("desk9".into()),
        display_name: Some("张敏".into()),
        role: Some(Role::DeskAgent),
        password: Some("s3cret-pass".into()),
        ..UserInput::default()
    };
    app.create_user(None, &input).await.unwrap();
    let signed = app.sign_in("desk9", "s3cret-pass", "10.0.0.1", None).await.unwrap();
    let hash = aftersales_app::users::token_hash(&signed.token);
    assert!(aftersales_storage::sessions::session_by_token_hash(app.store().read(), &hash).await.unwrap().is_some());
    db.advance(SignedDuration::from_hours(24 * 8));
    let hour = |at: Timestamp| at.as_millisecond().div_euclid(3_600_000) * 3_600_000;
    let this_hour = hour(db.now());

    // Two workers start in the same hour; each schedules the hour's housekeeping.
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (stop_tx2, stop_rx2) = tokio::sync::oneshot::channel::<()>();
    let one = tokio::spawn(worker(app).run(async move { stop_rx.await.unwrap_or(()) }));
    let two = tokio::spawn(worker(app).run(async move { stop_rx2.await.unwrap_or(()) }));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let purged = app.jobs_of(Hourly::<PurgeSessions>::KIND, "done").await.unwrap();
        let optimized = app.jobs_of(Hourly::<OptimizeStore>::KIND, "done").await.unwrap();
        if !purged.is_empty() && !optimized.is_empty() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the housekeeping did not run within 20 s");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    stop_tx.send(()).unwrap();
    stop_tx2.send(()).unwrap();
    one.await.unwrap();
    two.await.unwrap();

    for kind in [Hourly::<PurgeSessions>::KIND, Hourly::<OptimizeStore>::KIND] {
        let done = app.jobs_of(kind, "done").await.unwrap();
        assert_eq!(done.len(), 1, "{kind} ran once for both workers: {done:?}");
        let next = app.jobs_of(kind, "pending").await.unwrap();
        assert_eq!(next.len(), 1, "{kind}: {next:?}");
        assert_eq!(next[0].due_at.as_millisecond(), this_hour + 3_600_000, "{kind} next runs at the next hour");
    }
    // The ended session's row is gone.
    let hash = aftersales_app::users::token_hash(&signed.token);
    let row = aftersales_storage::sessions::session_by_token_hash(app.store().read(), &hash).await.unwrap();
    assert!(row.is_none(), "the purge deleted the ended session");
});

db_test!(a_job_whose_worker_stopped_mid_run_is_taken_again_after_its_lease, |db| {
    let app = &db.app;
    let report = MailReport { name: name(app, "orphan"), refusals: 0 };
    app.enqueue_now(&report, db.now()).await.unwrap();
    // A worker claims it and is never heard of again.
    let tx = app.store().write().await.unwrap();
    let lease = db.now() + aftersales_app::jobs::LEASE;
    let claimed = aftersales_storage::jobs::claim(&*tx, MailReport::KIND, "gone", db.now(), lease, 10).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(claimed.len(), 1);

    let w = worker(app);
    assert_eq!(w.sweep().await.unwrap().jobs, 0, "not while the lease lasts");
    db.advance(aftersales_app::jobs::LEASE + SignedDuration::from_secs(1));
    let s = w.sweep().await.unwrap();
    assert_eq!((s.jobs, s.jobs_failed), (1, 0), "{s:?}");
    let done = app.jobs_of(MailReport::KIND, "done").await.unwrap();
    assert_eq!((done.len(), done[0].attempts), (1, 2));
    assert_eq!(attempts(&report.name), 1, "run once, by the worker that took it over");
});
