//! Ticket numbers sort as numbers: by date, then by the day's sequence past 999.

use aftersales_testkit::app_test;
use axum::http::StatusCode;

use crate::support::registration;

app_test!(ticket_numbers_sort_by_date_then_sequence_past_999, |t| {
    let desk = t.api(&t.org.desk).await;
    let r = desk.post("/api/v1/tickets", &registration(&t.org, "复印时卡纸，报警 J-7012")).await;
    assert_eq!(r.body["number"], "20240315-001");
    // A busy day: the sequence reaches 998 before the next three registrations.
    let tx = t.app().store().write().await.unwrap();
    for _ in 0..997 {
        aftersales_storage::tickets::next_sequence(&*tx, "20240315").await.unwrap();
    }
    tx.commit().await.unwrap();
    for i in 0..3 {
        let r = desk.post("/api/v1/tickets", &registration(&t.org, &format!("复印第 {i} 次卡纸，报警 J-7012"))).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let numbers = async |sort: &str| -> Vec<String> {
        let r = desk.get(&format!("/api/v1/tickets?sort={sort}")).await;
        r.body["items"].as_array().unwrap().iter().map(|t| t["number"].as_str().unwrap().to_owned()).collect()
    };
    let ascending = ["20240315-001", "20240315-999", "20240315-1000", "20240315-1001"];
    assert_eq!(numbers("number").await, ascending);
    let mut descending = ascending;
    descending.reverse();
    assert_eq!(numbers("-number").await, descending);
    let r = desk.get("/api/v1/tickets?sort=number&per_page=2&page=2").await;
    assert_eq!(r.body["items"][0]["number"], "20240315-1000");
});
