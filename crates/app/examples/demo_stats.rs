#![allow(clippy::unwrap_used)]
use std::collections::BTreeMap;
use aftersales_app::tickets::ListQuery;
use aftersales_app::{Actor, App, Settings};
use aftersales_domain::grading::ChangeRequestStatus;
use aftersales_storage::Store;

#[tokio::main]
async fn main() {
    let path = std::env::args().nth(1).unwrap();
    let seed: u64 = std::env::args().nth(2).map(|s| s.parse().unwrap()).unwrap_or(42);
    let _ = std::fs::remove_file(&path);
    let store = Store::connect(&format!("sqlite://{path}?mode=rwc")).await.unwrap();
    store.migrate().await.unwrap();
    let app = App::new(store, Settings::default());
    app.ensure_defaults().await.unwrap();
    let t0 = std::time::Instant::now();
    let s = match std::env::var("DEMO_NOW") { Ok(n) => app.create_demo_at(seed, n.parse().unwrap()).await.unwrap(), Err(_) => app.create_demo(seed).await.unwrap() };
    println!("create_demo: {:?}", t0.elapsed());
    println!("customers {} devices {} engineers {} tickets {} skipped {}", s.customers, s.devices, s.engineers, s.tickets, s.skipped_steps);
    for l in &s.logins { println!("  {} {} {:?}", l.username, l.display_name, l.role); }
    let admin = Actor { user: app.user_by_username("admin").await.unwrap().unwrap() };
    let mut all = Vec::new();
    for page in 1.. {
        let p = app.tickets(&admin, &ListQuery { sort: Some("number".into()), page: Some(page), per_page: Some(200), ..Default::default() }).await.unwrap();
        let n = p.items.len(); all.extend(p.items); if n < 200 { break; }
    }
    let mut by: BTreeMap<String, usize> = BTreeMap::new();
    for t in &all { *by.entry(t.status.code().into()).or_default() += 1; }
    println!("{by:?}");
    let mut pr: BTreeMap<String, usize> = BTreeMap::new();
    for t in &all { *pr.entry(t.priority.clone().unwrap_or("-".into())).or_default() += 1; }
    println!("priorities {pr:?}");
    let mut ch: BTreeMap<String, usize> = BTreeMap::new();
    for t in &all { *ch.entry(format!("{}/{}", t.channel.code(), t.kind.code())).or_default() += 1; }
    println!("channel/kind {ch:?}");
    println!("repeats {} complaints {} refusals {} reopens {} second {} window-pending {}",
        all.iter().filter(|t| t.repeat_of.is_some()).count(),
        all.iter().filter(|t| t.complaint_about.is_some()).count(),
        all.iter().filter(|t| t.customer_refusals > 0).count(),
        all.iter().filter(|t| t.reopen_count > 0).count(),
        all.iter().filter(|t| t.second_line_id.is_some()).count(),
        all.iter().filter(|t| t.window_confirmation.code() == "pending").count());
    for st in [ChangeRequestStatus::Pending, ChangeRequestStatus::Approved, ChangeRequestStatus::Rejected] {
        println!("requests {st}: {}", app.priority_change_requests(&admin, None, Some(st)).await.unwrap().len());
    }
    for t in all.iter().filter(|t| t.status.is_open() || t.status.code()=="resolved").take(40) {
        println!("{} {:<16} {:?} {} | {} | {}", t.number, t.status.code(), t.priority, t.registered_at.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).strftime("%m-%d %a %H:%M"), t.description, t.impact_scope);
    }
    let show = std::env::args().nth(3);
    if let Some(n) = show {
        let t = all.iter().find(|t| t.number.as_str() == n).unwrap();
        println!("{t:#?}");
        for e in app.history(&admin, t.id).await.unwrap() { println!("{} {} {} {:?} {:?}", e.at.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).strftime("%m-%d %a %H:%M"), e.actor_id, e.action, e.note, e.changes.iter().map(|c| c.field.clone()).collect::<Vec<_>>()); }
        for l in app.work_log(&admin, t.id).await.unwrap() { println!("LOG {} {} {} {}", l.at.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).strftime("%m-%d %a %H:%M"), l.kind.code(), l.author_id, l.body); }
    }
    // registration times by hour
    let mut hours = [0; 24];
    for t in &all { hours[t.registered_at.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).hour() as usize] += 1; }
    println!("hours {hours:?}");
}
