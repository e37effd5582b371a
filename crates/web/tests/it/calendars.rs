//! Calendars, service policies and ticket clocks over HTTP.

use aftersales_testkit::app_test;
use axum::http::StatusCode;
use serde_json::json;

app_test!(an_administrator_checks_a_policy_against_the_calendar, |t| {
    let org = &t.org;
    let (desk, admin, customer) = (t.api(&org.desk).await, t.api(&org.admin).await, t.api(&org.portal_b).await);
    // National Day 2025: Oct 1–8 off; 1.5 h on Sep 30, the other 2.5 h from 08:30 on Oct 9.
    let r = desk.get("/api/v1/calendars/cn/add?from=2025-09-30T16:00:00%2B08:00&working=4h").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (r.body["due"].as_str(), r.body["working_minutes"].as_i64()),
        (Some("2025-10-09T11:00:00+08:00"), Some(240))
    );
    let r =
        desk.get("/api/v1/calendars/cn/between?from=2025-09-26T17:00:00%2B08:00&to=2025-09-29T08:30:00%2B08:00").await;
    // Friday 17:00–17:30, then all of Sunday Sep 28, a make-up working day (调休上班).
    assert_eq!(r.body["working_minutes"], 30 + 450, "{}", r.body);
    let r = desk.get("/api/v1/calendars/cn/add?from=2026-12-31T16:00:00%2B08:00&working=1d").await;
    assert_eq!(r.body["warnings"][0], json!({"code": "no_holiday_data", "calendar": "cn", "year": 2027}));

    let r = desk.get("/api/v1/calendars/cn/add?from=2025-09-30T16:00:00%2B08:00&working=4x").await;
    assert_eq!((r.status, r.body["error"]["fields"]["working"].is_string()), (StatusCode::UNPROCESSABLE_ENTITY, true));
    let r = desk.get("/api/v1/calendars/cn/add?from=yesterday&working=4h").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    assert!(r.body["error"]["fields"]["from"].is_string(), "{}", r.body);
    let r = desk.get("/api/v1/calendars/mars/add?from=2025-09-30T16:00:00%2B08:00&working=4h").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = customer.get("/api/v1/calendars/cn").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "customers do not read internal policies");

    let r = desk.get("/api/v1/calendars/cn").await;
    assert_eq!((r.body["time_zone"].as_str(), r.body["day_minutes"].as_i64()), (Some("Asia/Shanghai"), Some(450)));
    assert!(r.body["holiday_years"]["2026"].as_str().unwrap().contains("2026年部分节假日安排"), "{}", r.body);

    // Next year's holidays arrive as an iCalendar file.
    let ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270101\r\nSUMMARY:元旦\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    let import = json!({"format": "ics", "data": ics, "source": "国务院办公厅通知（测试）"});
    let r = desk.post("/api/v1/holiday-sets/cn/import", &import).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = admin.post("/api/v1/holiday-sets/cn/import", &import).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["years"]["2027"], "国务院办公厅通知（测试）");
    let r = desk.get("/api/v1/calendars/cn/add?from=2026-12-31T16:00:00%2B08:00&working=1d").await;
    assert_eq!((r.body["due"].as_str(), &r.body["warnings"]), (Some("2027-01-04T16:00:00+08:00"), &json!([])));

    // A new policy version.
    let mut p = desk.get("/api/v1/service-policy").await.body;
    assert_eq!(p["version"], 1);
    p["progress_cutoff"] = json!("16:30");
    let r = admin.put("/api/v1/service-policy", &p).await;
    assert_eq!((r.status, r.body["version"].as_i64()), (StatusCode::CREATED, Some(2)), "{}", r.body);
    p["rules"][0]["minutes"] = json!(0);
    let r = admin.put("/api/v1/service-policy", &p).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body["error"]["fields"]["rules.minutes"].is_string(), "{}", r.body);
    let r = desk.get("/api/v1/service-policy/versions").await;
    assert_eq!(r.body.as_array().unwrap().len(), 2);
});

app_test!(a_ticket_shows_its_clocks_and_lists_sort_by_the_nearest_deadline, |t| {
    let org = &t.org;
    let desk = t.api(&org.desk).await;
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
        let r = desk.post("/api/v1/tickets", &body).await;
        let (id, mut etag) = (r.body["id"].as_i64().unwrap(), r.etag());
        for step in [json!({"action": "accept"}), json!({"action": "grade", "level": level, "reason": "按影响范围"})]
        {
            let r = desk.post_if_match(&format!("/api/v1/tickets/{id}/transitions"), &step, &etag).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            etag = r.etag();
        }
        numbers.push((id, r.body["number"].as_str().unwrap().to_owned()));
    }
    let (p1_id, p1) = &numbers[1];
    let r = desk.get(&format!("/api/v1/tickets/{p1_id}")).await;
    let response = r.body["clocks"].as_array().unwrap().iter().find(|k| k["clock"] == "response").unwrap().clone();
    assert_eq!(
        (response["state"].as_str(), response["due_at"].as_str(), response["remaining_minutes"].as_i64()),
        (Some("running"), Some("2024-03-15T03:00:00Z"), Some(120))
    );
    let r = desk.get("/api/v1/tickets?sort=due&status=open").await;
    assert_eq!(r.body["items"][0]["number"].as_str(), Some(p1.as_str()), "the P1 is due first");
    let r = desk.get("/api/v1/tickets?due_within=150").await;
    assert_eq!(r.body["total"], 1, "only the P1 falls due within 150 minutes: {}", r.body);
    t.db.advance(jiff::SignedDuration::from_hours(3));
    let r = desk.get("/api/v1/tickets?overdue=true").await;
    assert_eq!(r.body["items"][0]["number"].as_str(), Some(p1.as_str()));
    let r = desk.get("/api/v1/tickets?breached=true").await;
    assert_eq!(r.body["total"], 1);
    let r = desk.get("/api/v1/tickets?overdue=maybe").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body["error"]["fields"]["overdue"].is_string(), "{}", r.body);
    let r = desk.get("/api/v1/tickets?due_within=-5").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The P1's response deadline has passed: its check is due, and the worker runs it.
    assert!(t.work().await.jobs > 0, "the passed deadline is checked");
});

app_test!(the_grading_scheme_shows_the_deadlines_of_the_service_policy, |t| {
    let org = &t.org;
    let admin = t.api(&org.admin).await;
    let scheme = admin.get("/api/v1/grading-scheme").await.body;
    let p1 =
        |s: &serde_json::Value| s["levels"].as_array().unwrap().iter().find(|l| l["code"] == "P1").cloned().unwrap();
    assert_eq!(p1(&scheme)["respond_minutes"], 120, "{scheme}");
    // The policy answers P1 within 2 minutes from now on.
    let mut p = admin.get("/api/v1/service-policy").await.body;
    let rules = p["rules"].as_array_mut().unwrap();
    let response = rules
        .iter_mut()
        .find(|r| r["clock"] == "response" && r["level"] == "P1" && r["customer_level"].is_null())
        .unwrap();
    response["minutes"] = json!(2);
    let r = admin.put("/api/v1/service-policy", &p).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // The grading scheme says the same: the policy is the one source of the deadlines.
    let scheme = admin.get("/api/v1/grading-scheme").await.body;
    assert_eq!(
        (p1(&scheme)["respond_minutes"].as_i64(), p1(&scheme)["resolve_minutes"].as_i64()),
        (Some(2), Some(24 * 60))
    );
    // Saving the scheme as shown keeps the policy's 2 minutes (no new version undoes it).
    let r = admin.put("/api/v1/grading-scheme", &scheme).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let p = admin.get("/api/v1/service-policy").await.body;
    assert_eq!(p["version"], 2, "{p}");
    assert_eq!(p1(&admin.get("/api/v1/grading-scheme").await.body)["respond_minutes"], 2);
});
