//! The management reports over HTTP (issue 15): the weekly table as JSON, CSV and Excel with
//! the same totals, its drill-down on the API and the page, bad periods named, roles.

use aftersales_app::Actor;
use aftersales_app::tickets::Command;
use aftersales_domain::Timestamp;
use aftersales_testkit::{Org, db_test};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use calamine::{Data, Reader};

use crate::pages::{get, post, sign_in};
use crate::support::{Client, error_fields, token};

fn at(s: &str) -> Timestamp {
    jiff::Zoned::strptime("%Y-%m-%dT%H:%M:%S%:z", s).unwrap().timestamp()
}

async fn step(db: &aftersales_testkit::TestDb, who: &Actor, id: i64, cmd: Command) {
    let t = db.app.ticket(&Actor::operator(), id).await.unwrap().ticket;
    db.app.act(who, id, Some(t.version), &cmd, None).await.unwrap();
}

/// Two tickets dispatched to eng_south on Friday 2024-03-15; the P1 one answered late.
async fn week_of_work(db: &aftersales_testkit::TestDb, org: &Org) -> (i64, i64) {
    let mut ids = Vec::new();
    for level in ["P1", "P3"] {
        let t =
            db.app.register(&org.desk, &org.registration(db.now()), None).await.unwrap().into_value().unwrap().ticket;
        step(db, &org.desk, t.id, Command::Accept).await;
        step(db, &org.desk, t.id, Command::Grade { level: level.into(), reason: "按影响范围分级".into() }).await;
        step(db, &org.dispatcher, t.id, Command::Dispatch { group_id: None, engineer_id: None }).await;
        ids.push(t.id);
    }
    step(db, &org.eng_south, ids[1], Command::Respond { note: None }).await;
    db.set(at("2024-03-15T11:05:00+08:00"));
    db.app.run_due_jobs("w", 100).await.unwrap();
    step(db, &org.eng_south, ids[0], Command::Respond { note: None }).await;
    (ids[0], ids[1])
}

fn num(d: &Data) -> Option<f64> {
    match d {
        Data::Float(f) => Some(*f),
        Data::Int(i) => Some(*i as f64),
        _ => None,
    }
}

const PERIOD: &str = "from=2024-03-11&to=2024-03-17";

db_test!(the_weekly_table_is_the_same_on_screen_in_csv_and_in_excel, |db| {
    let org = Org::create(&db.app).await;
    let (late, _) = week_of_work(&db, &org).await;
    let c = Client::new(&db);
    let data = token(&db, &org.data).await;

    let json = c.get(&format!("/api/v1/reports/weekly-engineers?{PERIOD}"), &data).await;
    assert_eq!(json.status, StatusCode::OK, "{}", json.body);
    let totals = &json.body["totals"];
    assert_eq!(totals["dispatches"], 2);
    assert_eq!(totals["response_timeout"], 1);
    assert_eq!(totals["action_index"], 0.5);

    // CSV: the totals line carries the same numbers.
    let csv = c.get(&format!("/api/v1/reports/export?report=weekly-engineers&format=csv&{PERIOD}"), &data).await;
    assert_eq!(csv.status, StatusCode::OK);
    let text = csv.body.as_str().unwrap().to_owned();
    let total_line = text.lines().find(|l| l.starts_with("合计")).unwrap_or_else(|| panic!("{text}"));
    let cells: Vec<&str> = total_line.split(',').collect();
    assert_eq!((cells[1], cells[3]), ("2", "1"), "{total_line}");

    // Excel: read back, the totals row equals the screen's.
    let router = aftersales_web::router(db.app.clone());
    let req = Request::builder()
        .uri(format!("/api/v1/reports/export?report=weekly-engineers&format=xlsx&{PERIOD}"))
        .header("authorization", format!("Bearer {data}"))
        .body(Body::empty())
        .unwrap();
    let (status, headers, bytes) = aftersales_testkit::client::call(&router, req).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers["content-disposition"].to_str().unwrap().contains("filename*=UTF-8''"));
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).unwrap();
    let row = range
        .rows()
        .find(|r| r.first().is_some_and(|c| *c == Data::String("合计".into())))
        .expect("a totals row in the workbook");
    assert_eq!(num(&row[1]), Some(2.0));
    assert_eq!(num(&row[3]), Some(1.0));
    assert_eq!(num(&row[10]), Some(0.5), "the action index is a number, shown as a percentage");

    // Drill-down: the engineer's response timeouts are ticket `late`.
    let cell = c
        .get(
            &format!(
                "/api/v1/reports/cell?report=weekly-engineers&measure=response_timeout&engineer={}&{PERIOD}",
                org.eng_south.id()
            ),
            &data,
        )
        .await;
    assert_eq!(cell.status, StatusCode::OK, "{}", cell.body);
    assert_eq!(cell.body["total"], 1);
    assert_eq!(cell.body["tickets"][0]["ticket_id"], late);

    // The page shows the table, links the number to the same list, and offers the files.
    let cookie = sign_in(&db, &org.data).await;
    let p = get(&db, &format!("/reporting/weekly-engineers?{PERIOD}"), &cookie).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p.html.contains("每周报修事件分析表"));
    assert!(p.html.contains("技术能力指数"));
    assert!(p.html.contains("50.0%"), "the action index as a person reads it");
    let link = format!(
        "/reporting/cell?report=weekly-engineers&#38;from=2024-03-11&#38;to=2024-03-17&#38;engineer={}&#38;measure=response_timeout",
        org.eng_south.id()
    );
    let at = p.html.find("measure=response_timeout").unwrap_or(0);
    assert!(
        p.html.contains(&link),
        "the timeout count links to its tickets: {}",
        &p.html[at.saturating_sub(200)..at + 30]
    );
    assert!(p.html.contains("<svg"), "a chart on the page");
    assert!(p.html.contains("format=xlsx"));
    let list = get(&db, &link.replace("&#38;", "&"), &cookie).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.html.contains(&format!("/tickets/{late}")), "{}", list.html);

    // The whole list behind the number, as Excel from the page and CSV from the API.
    let at = list.html.find("id=\"cell-export-xlsx\"").expect("an Excel link on the list");
    let href = &list.html[at..];
    let href = &href[href.find("href=\"").unwrap() + 6..];
    let href = href[..href.find('"').unwrap()].replace("&#38;", "&").replace("&amp;", "&");
    assert!(href.starts_with("/reporting/cell/export?") && href.ends_with("&format=xlsx"), "{href}");
    let req =
        Request::builder().uri(&href).header("cookie", format!("as_session={cookie}")).body(Body::empty()).unwrap();
    let (status, headers, bytes) = aftersales_testkit::client::call(&router, req).await;
    assert_eq!(status, StatusCode::OK, "{href}: {}", String::from_utf8_lossy(&bytes));
    assert_eq!(headers["content-length"].to_str().unwrap(), bytes.len().to_string());
    assert!(headers["content-disposition"].to_str().unwrap().contains(".xlsx"));
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    let numbers: Vec<String> = range
        .rows()
        .skip_while(|r| r.first() != Some(&Data::String("工单编号".into())))
        .skip(1)
        .map(|r| r[0].to_string())
        .collect();
    let late_number = db.app.ticket(&org.data, late).await.unwrap().ticket.number.to_string();
    assert_eq!(numbers, std::slice::from_ref(&late_number), "exactly the ticket behind the number");
    let csv = c
        .get(
            &format!(
                "/api/v1/reports/cell/export?report=weekly-engineers&measure=response_timeout&engineer={}&{PERIOD}&format=csv",
                org.eng_south.id()
            ),
            &data,
        )
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    let text = csv.body.as_str().unwrap();
    assert_eq!(text.trim_end().lines().count(), 2, "{text}");
    assert!(text.contains(&late_number) && text.contains("吴工") && text.contains("派工时间"), "{text}");
    let r = c.get(&format!("/api/v1/reports/cell/export?report=weekly-engineers&{PERIOD}&format=pdf"), &data).await;
    assert_eq!((r.status, error_fields(&r.body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["format".to_owned()]));
    let r = c.get(&format!("/api/v1/reports/cell/export?report=weekly-engineers&{PERIOD}"), &data).await;
    assert_eq!((r.status, error_fields(&r.body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["format".to_owned()]));

    // An engineer reads only their own line; the desk none.
    let eng = token(&db, &org.eng_east).await;
    let own = c.get(&format!("/api/v1/reports/weekly-engineers?{PERIOD}"), &eng).await;
    assert_eq!(own.status, StatusCode::OK);
    assert_eq!(own.body["rows"].as_array().unwrap().len(), 0, "eng_east had no dispatch");
    let theirs =
        c.get(&format!("/api/v1/reports/weekly-engineers?{PERIOD}&engineer={}", org.eng_south.id()), &eng).await;
    assert_eq!(theirs.status, StatusCode::FORBIDDEN);
    let desk = token(&db, &org.desk).await;
    assert_eq!(c.get("/api/v1/reports/monthly-service", &desk).await.status, StatusCode::FORBIDDEN);
    let export = format!("/api/v1/reports/cell/export?report=weekly-engineers&{PERIOD}&format=csv");
    assert_eq!(c.get(&export, &desk).await.status, StatusCode::FORBIDDEN);
    let theirs = format!("{export}&engineer={}", org.eng_south.id());
    assert_eq!(c.get(&theirs, &eng).await.status, StatusCode::FORBIDDEN, "an engineer exports only their own line");
});

db_test!(bad_periods_and_filters_are_named, |db| {
    let org = Org::create(&db.app).await;
    let c = Client::new(&db);
    let data = token(&db, &org.data).await;
    for (query, field) in [
        ("from=2024-03-20&to=2024-03-01", "from"),
        ("from=2024-13-01", "from"),
        ("from=2023-01-01&to=2024-12-31", "to"),
        ("preset=yesterday", "preset"),
        ("customer=99999", "customer"),
        ("engineer=99999", "engineer"),
        ("priority=P9", "priority"),
        ("region=%E5%8D%8E%07", "region"),
    ] {
        let r = c.get(&format!("/api/v1/reports/monthly-service?{query}"), &data).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {}", r.body);
        assert_eq!(error_fields(&r.body), [field], "{query}: {}", r.body);
    }
    let r = c.get("/api/v1/reports/export?report=nope&format=csv", &data).await;
    assert_eq!((r.status, error_fields(&r.body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["report".to_owned()]));
    let r = c.get("/api/v1/reports/export?report=weekly-engineers&format=pdf", &data).await;
    assert_eq!((r.status, error_fields(&r.body)), (StatusCode::UNPROCESSABLE_ENTITY, vec!["format".to_owned()]));
});

// The report settings page: the supervisor sets the weights and the desk's amounts, the
// weekly table states them; an edit based on settings changed meanwhile is refused whole;
// a bad number is named; the desk may not open it.
db_test!(the_supervisor_sets_the_weights_and_amounts_on_the_settings_page, |db| {
    let org = Org::create(&db.app).await;
    let cookie = sign_in(&db, &org.supervisor).await;
    let page = get(&db, "/reporting/settings", &cookie).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(
        page.html.contains("技术能力指数的权重")
            && page.html.contains("派工时限（分钟）")
            && page.html.contains("回访时限")
    );
    assert!(page.html.contains(r#"name="management_days" min="1" max="60" required value="7""#), "seed 004's week");
    assert!(page.html.contains(r#"id="colour_second_line_blue" aria-label="找二线支持次数：蓝色（权重 1）" checked"#));
    let version = page.html.split("name=\"version\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_owned();
    let csrf = page.csrf();
    let form = |version: &str, dispatch: &str| {
        format!(
            "csrf={csrf}&version={version}&colour_response_timeout=red&colour_second_line=none&colour_same_day=blue\
             &colour_customer_unclosed=red&colour_repeat=red&colour_three_days=red\
             &accept_within_minutes=20&dispatch_within_minutes=15&registration_yuan=50&dispatch_yuan={dispatch}&report_yuan=100\
             &management_days=5&confirm_working_days=2"
        )
    };
    let saved = post(&db, "/reporting/settings", &cookie, &form(&version, "60")).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let s = db.app.report_settings(&org.supervisor).await.unwrap();
    assert_eq!((s.desk.dispatch_within_minutes, s.desk.dispatch_yuan), (15, 60));
    assert_eq!(
        s.callbacks,
        Some(aftersales_domain::callback::CallbackPolicy { management_days: 5, confirm_working_days: 2 })
    );
    assert!(s.weights.red.contains(&aftersales_domain::reporting::Counter::ResponseTimeout));
    assert!(s.weights.blue.iter().all(|c| *c != aftersales_domain::reporting::Counter::SecondLine));
    let again = get(&db, "/reporting/settings?saved=1", &cookie).await;
    assert!(again.html.contains("settings-saved"));
    let weekly = get(&db, &format!("/reporting/weekly-engineers?{PERIOD}"), &cookie).await;
    assert!(weekly.html.contains("红色：响应超时次数"), "the table states the weights it used");
    assert!(weekly.html.contains("/reporting/settings"), "the report links its settings");

    // The same old version again: someone saved meanwhile; nothing changes.
    let stale = post(&db, "/reporting/settings", &cookie, &form(&version, "99")).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.html);
    assert!(stale.html.contains("报表设置已被他人修改"), "{}", stale.html);
    assert_eq!(db.app.report_settings(&org.supervisor).await.unwrap().desk.dispatch_yuan, 60);
    let bad = post(&db, "/reporting/settings", &cookie, &form(&s.version, "五十")).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.html);
    assert!(bad.html.contains("派工扣款（元）"), "the field is named: {}", bad.html);

    let desk = sign_in(&db, &org.desk).await;
    assert_eq!(get(&db, "/reporting/settings", &desk).await.status, StatusCode::FORBIDDEN);
});
