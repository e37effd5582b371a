//! Signing in to the web console (issue 5): sessions, throttling, password changes, the
//! remembered language and one's own API tokens.

use aftersales_app::sessions::SignedIn;
use aftersales_app::users::hash_password;
use aftersales_app::{Actor, App, AppError};
use aftersales_domain::role::Role;
use aftersales_domain::user::{UserInput, UserUpdate};
use aftersales_domain::{DomainError, Lang};
use aftersales_testkit::db_test;
use jiff::SignedDuration;

const PASSWORD: &str = "s3cret-pass";

fn input(username: &str, password: Option<&str>) -> UserInput {
    UserInput {
        username: Some(username.into()),
        display_name: Some("张敏".into()),
        role: Some(Role::DeskAgent),
        password: password.map(Into::into),
        ..UserInput::default()
    }
}

/// A desk agent who signs in with [`PASSWORD`].
async fn person(app: &App, username: &str) -> Actor {
    Actor { user: app.create_user(None, &input(username, Some(PASSWORD))).await.unwrap() }
}

async fn sign_in(app: &App, username: &str, password: &str, address: &str) -> Result<SignedIn, AppError> {
    app.sign_in(username, password, address, Some("Mozilla/5.0 (test)")).await
}

/// What a person sees of a refusal: code and message in both languages.
fn seen(e: &AppError) -> (&'static str, String, String) {
    (e.code(), e.message(Lang::Zh), e.message(Lang::En))
}

fn refused_fields(e: AppError) -> Vec<(&'static str, &'static str)> {
    match e {
        AppError::Domain(DomainError::Invalid(fields)) => fields.into_iter().map(|(f, r)| (f, r.code())).collect(),
        e => panic!("expected invalid input, got {e:?}"),
    }
}

db_test!(the_right_password_opens_a_session_that_knows_the_person, |db| {
    let app = &db.app;
    let desk = person(app, "desk1").await;
    let signed = app.sign_in(" Desk1 ", PASSWORD, "10.0.0.1", Some("Mozilla/5.0")).await.unwrap();
    assert!(signed.token.starts_with("as_s_") && signed.token.len() == 5 + 64, "{}", signed.token);
    assert_eq!(signed.csrf.len(), 64);
    assert_eq!(signed.actor, desk);
    assert_eq!(signed.expires_at, db.now() + SignedDuration::from_hours(12));
    assert_eq!(signed.lang, None);

    let session = app.session(&signed.token).await.unwrap();
    assert_eq!(session.actor, desk);
    assert_eq!(session.csrf, signed.csrf);
    assert_eq!(session.lang, None);
    // A session cookie is not an API token, and a made-up cookie is nobody.
    assert!(matches!(app.authenticate(&signed.token).await, Err(AppError::Unauthenticated)));
    assert!(matches!(app.session("as_s_0000").await, Err(AppError::Unauthenticated)));
    assert!(matches!(app.session("").await, Err(AppError::Unauthenticated)));

    // Each sign-in is a new session with its own token and CSRF token.
    let again = sign_in(app, "desk1", PASSWORD, "10.0.0.1").await.unwrap();
    assert_ne!(again.token, signed.token);
    assert_ne!(again.csrf, signed.csrf);
    assert_eq!(app.session(&signed.token).await.unwrap().actor, desk);
    assert_eq!(app.session(&again.token).await.unwrap().actor, desk);

    // The chosen language is remembered for the next requests and sign-ins.
    app.set_language(&desk, Lang::En).await.unwrap();
    assert_eq!(app.session(&signed.token).await.unwrap().lang, Some(Lang::En));
    assert_eq!(app.language(&desk).await.unwrap(), Some(Lang::En));
    assert_eq!(sign_in(app, "desk1", PASSWORD, "10.0.0.1").await.unwrap().lang, Some(Lang::En));
    app.set_language(&desk, Lang::Zh).await.unwrap();
    assert_eq!(app.session(&signed.token).await.unwrap().lang, Some(Lang::Zh));
});

db_test!(every_refusal_looks_the_same, |db| {
    let app = &db.app;
    person(app, "desk1").await;
    let mut gone = input("gone1", Some(PASSWORD)).check().unwrap();
    gone.active = false;
    app.create_user_hashed(&mut gone, Some(hash_password(PASSWORD).unwrap())).await.unwrap();
    app.create_user(None, &input("tokens.only", None)).await.unwrap();

    let wrong = sign_in(app, "desk1", "not-the-password", "10.0.0.1").await.unwrap_err();
    assert!(matches!(wrong, AppError::SignInFailed), "{wrong:?}");
    assert_eq!(wrong.code(), "sign_in_failed");
    assert_eq!(wrong.message(Lang::Zh), "用户名或密码错误，或尝试次数过多，请稍后再试");
    assert_eq!(wrong.message(Lang::En), "Wrong username or password, or too many attempts; try again later");
    for (username, password) in
        [("nobody", PASSWORD), ("gone1", PASSWORD), ("tokens.only", PASSWORD), ("desk1", ""), ("", "")]
    {
        let e = sign_in(app, username, password, "10.0.0.2").await.unwrap_err();
        assert_eq!(seen(&e), seen(&wrong), "{username}");
    }
    // Too many failures: the same answer again.
    for _ in 0..4 {
        sign_in(app, "desk1", "not-the-password", "10.0.0.3").await.unwrap_err();
    }
    let throttled = sign_in(app, "desk1", PASSWORD, "10.0.0.4").await.unwrap_err();
    assert_eq!(seen(&throttled), seen(&wrong));
});

db_test!(an_account_refuses_everyone_for_fifteen_minutes_after_five_failures, |db| {
    let app = &db.app;
    person(app, "desk1").await;
    person(app, "desk2").await;
    // A success forgets the failures before it.
    for i in 0..4 {
        sign_in(app, "desk1", "guess", &format!("10.0.1.{i}")).await.unwrap_err();
    }
    sign_in(app, "desk1", PASSWORD, "10.0.0.1").await.unwrap();
    for i in 0..5 {
        db.advance(SignedDuration::from_mins(1));
        sign_in(app, "desk1", "guess", &format!("10.0.2.{i}")).await.unwrap_err();
    }
    // The sixth attempt is refused even with the right password, from anywhere …
    let e = sign_in(app, "DESK1", PASSWORD, "10.0.0.1").await.unwrap_err();
    assert!(matches!(e, AppError::SignInFailed));
    // … while other accounts are unaffected.
    sign_in(app, "desk2", PASSWORD, "10.0.2.0").await.unwrap();
    // 14 minutes after the first of the five it is still closed; 15 minutes after it,
    // four remain in the window and the right password works again.
    db.advance(SignedDuration::from_mins(10));
    assert!(sign_in(app, "desk1", PASSWORD, "10.0.0.1").await.is_err(), "14 minutes after the first");
    db.advance(SignedDuration::from_mins(1));
    let signed = sign_in(app, "desk1", PASSWORD, "10.0.0.1").await.unwrap();
    assert!(app.session(&signed.token).await.is_ok());
});

db_test!(an_address_is_refused_after_twenty_failures, |db| {
    let app = &db.app;
    person(app, "desk1").await;
    // Guessing across many accounts from one address.
    for i in 0..20 {
        sign_in(app, &format!("user{i}"), "guess", "203.0.113.7").await.unwrap_err();
    }
    assert!(matches!(sign_in(app, "desk1", PASSWORD, "203.0.113.7").await, Err(AppError::SignInFailed)));
    // Another address is not affected, and the account itself has no failures.
    sign_in(app, "desk1", PASSWORD, "198.51.100.1").await.unwrap();
    db.advance(SignedDuration::from_mins(15));
    sign_in(app, "desk1", PASSWORD, "203.0.113.7").await.unwrap();
});

db_test!(sessions_end_on_sign_out_after_twelve_idle_hours_and_after_seven_days, |db| {
    let app = &db.app;
    person(app, "desk1").await;
    let phone = sign_in(app, "desk1", PASSWORD, "10.0.0.1").await.unwrap();
    let laptop = sign_in(app, "desk1", PASSWORD, "10.0.0.2").await.unwrap();
    app.sign_out(&phone.token).await.unwrap();
    assert!(matches!(app.session(&phone.token).await, Err(AppError::Unauthenticated)));
    app.sign_out(&phone.token).await.unwrap();
    assert!(app.session(&laptop.token).await.is_ok(), "only the session signed out ends");

    // Use within a minute does not move the end (no write per request); later use does.
    db.advance(SignedDuration::from_secs(30));
    assert_eq!(app.session(&laptop.token).await.unwrap().expires_at, laptop.expires_at);
    db.advance(SignedDuration::from_secs(30));
    assert_eq!(app.session(&laptop.token).await.unwrap().expires_at, db.now() + SignedDuration::from_hours(12));
    // Used every 11 hours it lives on; 12 idle hours end it.
    db.advance(SignedDuration::from_hours(11));
    assert!(app.session(&laptop.token).await.is_ok());
    db.advance(SignedDuration::from_hours(12));
    assert!(matches!(app.session(&laptop.token).await, Err(AppError::Unauthenticated)));

    // However busy, a session ends 7 days after sign-in.
    let busy = sign_in(app, "desk1", PASSWORD, "10.0.0.3").await.unwrap();
    for _ in 0..15 {
        db.advance(SignedDuration::from_hours(11));
        assert!(app.session(&busy.token).await.is_ok());
    }
    db.advance(SignedDuration::from_hours(3));
    assert!(matches!(app.session(&busy.token).await, Err(AppError::Unauthenticated)));
    // The laptop's ended session was removed when `busy` signed in; `busy`'s now.
    assert_eq!(app.prune_sessions().await.unwrap().0, 1);
});

db_test!(changing_the_password_ends_the_other_sessions, |db| {
    let app = &db.app;
    person(app, "desk1").await;
    let phone = sign_in(app, "desk1", PASSWORD, "10.0.0.1").await.unwrap();
    let laptop = sign_in(app, "desk1", PASSWORD, "10.0.0.2").await.unwrap();
    let me = &laptop.actor;

    let e = app.change_password(me, Some(&laptop.token), PASSWORD, "short").await.unwrap_err();
    assert_eq!(e.code(), "invalid_input");
    assert_eq!(refused_fields(e), [("new_password", "malformed")]);
    let e = app.change_password(me, Some(&laptop.token), "wrong-old", "brand-new-pass").await.unwrap_err();
    assert_eq!(refused_fields(e), [("old_password", "mismatch")]);
    let e = app.change_password(me, Some(&laptop.token), PASSWORD, PASSWORD).await.unwrap_err();
    assert_eq!(refused_fields(e), [("new_password", "mismatch")]);
    let e = app.change_password(me, Some(&laptop.token), "", &"x".repeat(129)).await.unwrap_err();
    assert_eq!(refused_fields(e), [("old_password", "missing"), ("new_password", "too_long")]);
    assert!(app.session(&phone.token).await.is_ok(), "nothing changed on refusal");

    app.change_password(me, Some(&laptop.token), PASSWORD, "brand-new-pass").await.unwrap();
    assert!(matches!(app.session(&phone.token).await, Err(AppError::Unauthenticated)));
    assert_eq!(app.session(&laptop.token).await.unwrap().actor, *me);
    assert!(sign_in(app, "desk1", PASSWORD, "10.0.0.1").await.is_err());
    sign_in(app, "desk1", "brand-new-pass", "10.0.0.1").await.unwrap();

    // Without a current session (an API client), every session ends.
    app.change_password(me, None, "brand-new-pass", "another-pass").await.unwrap();
    assert!(matches!(app.session(&laptop.token).await, Err(AppError::Unauthenticated)));
});

db_test!(guessing_the_current_password_is_throttled_like_signing_in, |db| {
    let app = &db.app;
    person(app, "desk1").await;
    let stolen = sign_in(app, "desk1", PASSWORD, "10.0.0.1").await.unwrap();
    let me = &stolen.actor;
    // A right answer takes its attempt back: it never adds up.
    for _ in 0..6 {
        let e = app.change_password(me, None, PASSWORD, PASSWORD).await.unwrap_err();
        assert_eq!(refused_fields(e), [("new_password", "mismatch")]);
    }
    for guess in ["guess-1", "guess-2", "guess-3", "guess-4", "guess-5"] {
        let e = app.change_password(me, None, guess, "brand-new-pass").await.unwrap_err();
        assert_eq!(refused_fields(e), [("old_password", "mismatch")]);
    }
    // The sixth try is refused even with the right password, and says why.
    let e = app.change_password(me, None, PASSWORD, "brand-new-pass").await.unwrap_err();
    assert!(e.message(Lang::Zh).contains("尝试次数过多"), "{}", e.message(Lang::Zh));
    assert!(sign_in(app, "desk1", PASSWORD, "10.0.0.9").await.is_err(), "the account is throttled for sign-in too");
    assert!(app.session(&stolen.token).await.is_ok(), "nothing changed");
    db.advance(SignedDuration::from_mins(16));
    app.change_password(me, None, PASSWORD, "brand-new-pass").await.unwrap();
});

db_test!(a_revoked_token_stops_working_and_only_its_owner_may_revoke_it, |db| {
    let app = &db.app;
    let desk = person(app, "desk1").await;
    let other = person(app, "desk2").await;
    let token = app.create_token(Some(&desk), desk.id(), "命令行").await.unwrap();
    assert_eq!(app.authenticate(&token).await.unwrap(), desk);
    let mine = app.my_tokens(&desk).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!((mine[0].name.as_str(), mine[0].created_at, mine[0].revoked_at), ("命令行", db.now(), None));
    assert!(app.my_tokens(&other).await.unwrap().is_empty());

    let e = app.revoke_token(&other, mine[0].id).await.unwrap_err();
    assert_eq!(e.code(), "not_found");
    let unknown = app.revoke_token(&desk, mine[0].id + 1000).await.unwrap_err();
    assert_eq!(seen(&unknown).0, "not_found");
    assert_eq!(app.authenticate(&token).await.unwrap(), desk, "still valid after a foreign revocation");

    db.advance(SignedDuration::from_mins(5));
    app.revoke_token(&desk, mine[0].id).await.unwrap();
    assert!(matches!(app.authenticate(&token).await, Err(AppError::Unauthenticated)));
    let revoked_at = Some(db.now());
    db.advance(SignedDuration::from_mins(5));
    app.revoke_token(&desk, mine[0].id).await.unwrap();
    assert_eq!(app.my_tokens(&desk).await.unwrap()[0].revoked_at, revoked_at, "revoking twice keeps the first time");
});

db_test!(an_administrator_resets_a_password_or_deactivates_an_account_and_its_sessions_end, |db| {
    let app = &db.app;
    let admin = input("admin", Some(PASSWORD));
    let admin = Actor { user: app.create_user(None, &UserInput { role: Some(Role::Admin), ..admin }).await.unwrap() };
    let desk = person(app, "desk1").await;
    let other = person(app, "desk2").await;
    let signed = sign_in(app, "desk1", PASSWORD, "10.0.0.1").await.unwrap();
    let token = app.create_token(Some(&desk), desk.id(), "集成").await.unwrap();

    // Administrators only; a new password's rules; never one's own (that asks for the old one).
    assert_eq!(app.reset_password(&other, desk.id(), "new-pass-123").await.unwrap_err().code(), "forbidden");
    let e = app.reset_password(&admin, desk.id(), "short").await.unwrap_err();
    assert_eq!(refused_fields(e), [("new_password", "malformed")]);
    assert_eq!(app.reset_password(&admin, admin.id(), "new-pass-123").await.unwrap_err().code(), "own_password");
    assert_eq!(app.reset_password(&admin, 99999, "new-pass-123").await.unwrap_err().code(), "not_found");
    assert!(app.session(&signed.token).await.is_ok(), "nothing changed on refusal");
    app.reset_password(&admin, desk.id(), "new-pass-123").await.unwrap();
    assert!(matches!(app.session(&signed.token).await, Err(AppError::Unauthenticated)));
    assert!(sign_in(app, "desk1", PASSWORD, "10.0.0.1").await.is_err());
    let signed = sign_in(app, "desk1", "new-pass-123", "10.0.0.1").await.unwrap();
    assert_eq!(app.authenticate(&token).await.unwrap(), desk, "API tokens stay");

    // Changes are checked like a new user's, references included; nothing changes on refusal.
    let bad = UserUpdate {
        role: Some(Role::CustomerContact),
        customer_id: Some(Some(99999)),
        group_id: Some(Some(99999)),
        ..UserUpdate::default()
    };
    let e = app.update_user(&admin, desk.id(), &bad).await.unwrap_err();
    assert_eq!(refused_fields(e), [("customer_id", "unknown"), ("group_id", "unknown")]);
    let contact = UserUpdate { role: Some(Role::CustomerContact), ..UserUpdate::default() };
    let e = app.update_user(&admin, desk.id(), &contact).await.unwrap_err();
    assert_eq!(refused_fields(e), [("customer_id", "missing")]);
    assert_eq!(app.get_user(&admin, desk.id()).await.unwrap(), desk.user);

    // Deactivated: the session ends, the token and the password no longer let them in.
    let off = UserUpdate { active: Some(false), ..UserUpdate::default() };
    assert_eq!(app.update_user(&other, desk.id(), &off).await.unwrap_err().code(), "forbidden");
    assert_eq!(app.update_user(&admin, admin.id(), &off).await.unwrap_err().code(), "self_lockout");
    let demote = UserUpdate { role: Some(Role::DeskAgent), ..UserUpdate::default() };
    assert_eq!(app.update_user(&admin, admin.id(), &demote).await.unwrap_err().code(), "self_lockout");
    assert!(!app.update_user(&admin, desk.id(), &off).await.unwrap().active);
    assert!(matches!(app.session(&signed.token).await, Err(AppError::Unauthenticated)));
    assert!(matches!(app.authenticate(&token).await, Err(AppError::Unauthenticated)));
    assert!(sign_in(app, "desk1", "new-pass-123", "10.0.0.1").await.is_err());
    // Reactivated: the token works again.
    let on = UserUpdate { active: Some(true), ..UserUpdate::default() };
    app.update_user(&admin, desk.id(), &on).await.unwrap();
    assert_eq!(app.authenticate(&token).await.unwrap(), desk);
});

db_test!(an_account_whose_contact_left_cannot_be_reactivated_or_kept_active, |db| {
    let app = &db.app;
    let org = aftersales_testkit::Org::create(app).await;
    let portal = org.portal_other_a.id();
    app.reset_password(&org.admin, portal, PASSWORD).await.unwrap();
    app.set_contact_left(&org.admin, org.other_a.id, true).await.unwrap();
    assert!(!app.get_user(&org.admin, portal).await.unwrap().active, "leaving deactivates the account");
    // Reactivating it is refused with a sentence in both languages; nothing changes.
    let on = UserUpdate { active: Some(true), ..UserUpdate::default() };
    let (code, zh, en) = seen(&app.update_user(&org.admin, portal, &on).await.unwrap_err());
    assert_eq!(code, "contact_left");
    assert!(zh.contains("联系人已离开客户单位") && en.contains("has left the customer"), "{zh} / {en}");
    assert!(!app.get_user(&org.admin, portal).await.unwrap().active);
    assert!(sign_in(app, "pj.li", PASSWORD, "10.0.0.1").await.is_err());
    // While inactive it may still be corrected.
    let renamed = UserUpdate { display_name: Some("李工（已离职）".into()), ..UserUpdate::default() };
    assert!(!app.update_user(&org.admin, portal, &renamed).await.unwrap().active);
    // An account left active from before (the contact left without it being deactivated)
    // cannot be kept active by another change either.
    app.set_contact_left(&org.admin, org.other_a.id, false).await.unwrap();
    app.update_user(&org.admin, portal, &on).await.unwrap();
    let still_on = aftersales_storage::directory::set_contact_left(app.store().read(), org.other_a.id, Some(db.now()));
    still_on.await.unwrap();
    assert_eq!(app.update_user(&org.admin, portal, &renamed).await.unwrap_err().code(), "contact_left");
    let off = UserUpdate { active: Some(false), ..renamed.clone() };
    assert!(!app.update_user(&org.admin, portal, &off).await.unwrap().active, "deactivating is always allowed");
    // Back with the customer: the account can be reactivated and signs in.
    app.set_contact_left(&org.admin, org.other_a.id, false).await.unwrap();
    assert!(app.update_user(&org.admin, portal, &on).await.unwrap().active);
    assert!(sign_in(app, "pj.li", PASSWORD, "10.0.0.1").await.is_ok());
});
