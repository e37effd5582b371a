//! Calendars, service policies and ticket clocks over HTTP.

use aftersales_testkit::{Org, db_test};
use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::support::{Client, token};

db_test!(an_administrator_checks_a_policy_against_the_calendar, |db| {
    let org = Org::create(&db.app).await;
    let c = Client::new(&db);
    let (desk, admin, customer) =
        (token(&db, &org.desk).await, token(&db, &org.admin).await, token(&db, &org.portal_b).await);
    // National Day 2025: Oct 1–8 off; 1.5 h on Sep 30, the other 2.5 h from 08:30 on Oct 9.
    let r = c.get("/api/v1/calendars/cn/add?from=2025-09-30T16:00:00%2B08:00&working=4h", &desk).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (r.body["due"].as_str(), r.body["working_minutes"].as_i64()),
        (Some("2025-10-09T11:00:00+08:00"), Some(240))
    );
    let r = c
        .get("/api/v1/calendars/cn/between?from=2025-09-26T17:00:00%2B08:00&to=2025-09-29T08:30:00%2B08:00", &desk)
        .await;
    // Friday 17:00–17:30, then all of Sunday Sep 28, a make-up working day (调休上班).
    assert_eq!(r.body["working_minutes"], 30 + 450, "{}", r.body);
    let r = c.get("/api/v1/calendars/cn/add?from=2026-12-31T16:00:00%2B08:00&working=1d", &desk).await;
    assert_eq!(r.body["warnings"][0], json!({"code": "no_holiday_data", "calendar": "cn", "year": 2027}));

    let r = c.get("/api/v1/calendars/cn/add?from=2025-09-30T16:00:00%2B08:00&working=4x", &desk).await;
    assert_eq!((r.status, r.body["error"]["fields"]["working"].is_string()), (StatusCode::UNPROCESSABLE_ENTITY, true));
    let r = c.get("/api/v1/calendars/cn/add?from=yesterday&working=4h", &desk).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body["error"]["fields"]["from"].is_string(), "{}", r.body);
    let r = c.get("/api/v1/calendars/mars/add?from=2025-09-30T16:00:00%2B08:00&working=4h", &desk).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = c.get("/api/v1/calendars/cn", &customer).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "customers do not read internal policies");

    let r = c.get("/api/v1/calendars/cn", &desk).await;
    assert_eq!((r.body["time_zone"].as_str(), r.body["day_minutes"].as_i64()), (Some("Asia/Shanghai"), Some(450)));
    assert!(r.body["holiday_years"]["2026"].as_str().unwrap().contains("2026年部分节假日安排"), "{}", r.body);

    // Next year's holidays arrive as an iCalendar file.
    let ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270101\r\nSUMMARY:元旦\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let import = json!({"format": "ics", "data": ics, "source": "国务院办公厅通知（测试）"});
    let r = c.post("/api/v1/holiday-sets/cn/import", &desk, &import, &[]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = c.post("/api/v1/holiday-sets/cn/import", &admin, &import, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["years"]["2027"], "国务院办公厅通知（测试）");
    let r = c.get("/api/v1/calendars/cn/add?from=2026-12-31T16:00:00%2B08:00&working=1d", &desk).await;
    assert_eq!((r.body["due"].as_str(), &r.body["warnings"]), (Some("2027-01-04T16:00:00+08:00"), &json!([])));

    // A new policy version.
    let mut p = c.get("/api/v1/service-policy", &desk).await.body;
    assert_eq!(p["version"], 1);
    p["progress_cutoff"] = json!("16:30");
    let r = c.send(Method::PUT, "/api/v1/service-policy", Some(&admin), Some(&p), &[]).await;
    assert_eq!((r.status, r.body["version"].as_i64()), (StatusCode::CREATED, Some(2)), "{}", r.body);
    p["rules"][0]["minutes"] = json!(0);
    let r = c.send(Method::PUT, "/api/v1/service-policy", Some(&admin), Some(&p), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["error"]["fields"]["rules.minutes"].is_string(), "{}", r.body);
    let r = c.get("/api/v1/service-policy/versions", &desk).await;
    assert_eq!(r.body.as_array().unwrap().len(), 2);
});

db_test!(a_ticket_shows_its_clocks_and_lists_sort_by_the_nearest_deadline, |db| {
    let org = Org::create(&db.app).await;
    let c = Client::new(&db);
    let desk = token(&db, &org.desk).await;
    let mut numbers = Vec::new();
    for (level, description) in [("P3", "复印偶尔卡纸，报警 J-7012"), ("P1", "整机无法开机，报警 C-2557")]
    {
        let body = json!({
            "customer_id": org.customer_b.id,
            "contact_id": org.contact_b.id,
            "description": description,
            "occurred_at": "2024-03-15T08:30:00+08:00",
            "impact_scope": "财务部一台复印机",
        });
        let r = c.post("/api/v1/tickets", &desk, &body, &[]).await;
        let (id, mut etag) = (r.body["id"].as_i64().unwrap(), r.etag());
        for step in [json!({"action": "accept"}), json!({"action": "grade", "level": level, "reason": "按影响范围"})]
        {
            let r = c.post(&format!("/api/v1/tickets/{id}/transitions"), &desk, &step, &[("if-match", &etag)]).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            etag = r.etag();
        }
        numbers.push((id, r.body["number"].as_str().unwrap().to_owned()));
    }
    let (p1_id, p1) = &numbers[1];
    let r = c.get(&format!("/api/v1/tickets/{p1_id}"), &desk).await;
    let response = r.body["clocks"].as_array().unwrap().iter().find(|k| k["clock"] == "response").unwrap().clone();
    assert_eq!(
        (response["state"].as_str(), response["due_at"].as_str(), response["remaining_minutes"].as_i64()),
        (Some("running"), Some("2024-03-15T03:00:00Z"), Some(120))
    );
    let r = c.get("/api/v1/tickets?sort=due&status=open", &desk).await;
    assert_eq!(r.body["items"][0]["number"].as_str(), Some(p1.as_str()), "the P1 is due first");
    let r = c.get("/api/v1/tickets?due_within=150", &desk).await;
    assert_eq!(r.body["total"], 1, "only the P1 falls due within 150 minutes: {}", r.body);
    db.advance(jiff::SignedDuration::from_hours(3));
    let r = c.get("/api/v1/tickets?overdue=true", &desk).await;
    assert_eq!(r.body["items"][0]["number"].as_str(), Some(p1.as_str()));
    let r = c.get("/api/v1/tickets?breached=true", &desk).await;
    assert_eq!(r.body["total"], 1);
    let r = c.get("/api/v1/tickets?overdue=maybe", &desk).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body["error"]["fields"]["overdue"].is_string(), "{}", r.body);
    let r = c.get("/api/v1/tickets?due_within=-5", &desk).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
});

db_test!(the_grading_scheme_shows_the_deadlines_of_the_service_policy, |db| {
    let org = Org::create(&db.app).await;
    let c = Client::new(&db);
    let admin = token(&db, &org.admin).await;
    let scheme = c.get("/api/v1/grading-scheme", &admin).await.body;
    let p1 =
        |s: &serde_json::Value| s["levels"].as_array().unwrap().iter().find(|l| l["code"] == "P1").cloned().unwrap();
    assert_eq!(p1(&scheme)["respond_minutes"], 120, "{scheme}");
    // The policy answers P1 within 2 minutes from now on.
    let mut p = c.get("/api/v1/service-policy", &admin).await.body;
    let rules = p["rules"].as_array_mut().unwrap();
    let response = rules
        .iter_mut()
        .find(|r| r["clock"] == "response" && r["level"] == "P1" && r["customer_level"].is_null())
        .unwrap();
    response["minutes"] = json!(2);
    let r = c.send(Method::PUT, "/api/v1/service-policy", Some(&admin), Some(&p), &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // The grading scheme says the same: the policy is the one source of the deadlines.
    let scheme = c.get("/api/v1/grading-scheme", &admin).await.body;
    assert_eq!(
        (p1(&scheme)["respond_minutes"].as_i64(), p1(&scheme)["resolve_minutes"].as_i64()),
        (Some(2), Some(24 * 60))
    );
    // Saving the scheme as shown keeps the policy's 2 minutes (no new version undoes it).
    let r = c.send(Method::PUT, "/api/v1/grading-scheme", Some(&admin), Some(&scheme), &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let p = c.get("/api/v1/service-policy", &admin).await.body;
    assert_eq!(p["version"], 2, "{p}");
    assert_eq!(p1(&c.get("/api/v1/grading-scheme", &admin).await.body)["respond_minutes"], 2);
});
