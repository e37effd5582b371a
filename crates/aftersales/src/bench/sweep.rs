//! `aftersales bench sweep`: how long the notice worker takes over many due jobs at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use aftersales_app::{Actor, App, Settings};
use aftersales_domain::customer::{ContactInput, CustomerInput, DeviceInput};
use aftersales_domain::registration::Registration;
use aftersales_domain::role::Role;
use aftersales_domain::user::UserInput;
use aftersales_domain::{Id, Timestamp};
use aftersales_storage::Store;
use aftersales_storage::bulk::{self, Vacuum};
use aftersales_storage::tickets::TicketFilter;
use anyhow::{Context, bail};

use super::{Scratch, app_err, ms};

#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    /// Open tickets in the database (one made through the use cases, the rest copies of it).
    #[arg(long, default_value_t = 1_000_000)]
    pub tickets: u64,
    /// Jobs due when the sweep runs (response deadlines of as many tickets); the sweep's limit.
    #[arg(long, default_value_t = 1_000)]
    pub due: u64,
    /// Measured sweeps (the due jobs are re-armed and their notices deleted in between).
    #[arg(long, default_value_t = 7)]
    pub runs: usize,
    /// Database: default a new SQLite file in a temporary directory; or a postgres://… URL (a
    /// fresh schema is created in it and dropped afterwards).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Keep the SQLite file or PostgreSQL schema instead of deleting it.
    #[arg(long)]
    pub keep: bool,
    /// Afterwards, time one more sweep step by step through the storage calls it makes.
    #[arg(long)]
    pub breakdown: bool,
}

/// The instant the template ticket is registered: a Friday morning in Shanghai (a working
/// day of the default calendar, with holiday data for the year).
const SWEEP_START: &str = "2024-03-15T09:00:00+08:00";

pub async fn sweep(args: SweepArgs) -> anyhow::Result<()> {
    if args.due == 0 || args.runs == 0 {
        bail!("--due and --runs must be at least 1");
    }
    if args.tickets <= args.due || args.tickets > 9_000_000 {
        bail!("--tickets must be more than --due and at most 9,000,000");
    }
    let scratch = Scratch::create(args.database_url.as_deref()).await?;
    let result = sweep_in(&args, &scratch).await;
    let removed = scratch.remove(args.keep).await;
    result.and(removed)
}

/// The people notices go to, and the ticket every bench ticket is a copy of.
struct Template {
    ticket: aftersales_domain::ticket::Ticket,
    jobs: Vec<aftersales_storage::notices::Job>,
}

/// Makes one ticket through the real use cases, as the desk would on the phone: registered,
/// accepted, graded P1 (2 h response) and dispatched to an engineer, so its response clock
/// runs and its jobs are the ones the application schedules for it.
async fn template(app: &App) -> anyhow::Result<Template> {
    use aftersales_app::tickets::Command;
    app.ensure_defaults().await.map_err(app_err("seeding defaults"))?;
    let user = |username: &str, name: &str, role: Role, group: Option<Id>| UserInput {
        username: Some(username.into()),
        display_name: Some(name.into()),
        role: Some(role),
        email: Some(format!("{username}@example.com")),
        region: group.map(|_| "华南".into()),
        group_id: group,
        ..UserInput::default()
    };
    let actor = |user| Actor { user };
    let admin =
        actor(app.create_user(None, &user("admin", "管理员", Role::Admin, None)).await.map_err(app_err("admin"))?);
    let hardware = app
        .groups(&admin)
        .await
        .map_err(app_err("groups"))?
        .into_iter()
        .find(|g| g.code == "hardware")
        .context("no hardware group in the default catalog")?
        .id;
    let category = app
        .categories(&admin)
        .await
        .map_err(app_err("categories"))?
        .into_iter()
        .find(|c| c.code == "paper_jam")
        .context("no paper_jam category in the default catalog")?
        .id;
    let mut staff = Vec::new();
    for (username, name, role, group) in [
        ("desk1", "张敏", Role::DeskAgent, None),
        ("dispatch1", "赵强", Role::Dispatcher, None),
        ("supervisor1", "钱主管", Role::Supervisor, None),
        ("supervisor2", "李主管", Role::Supervisor, None),
        ("eng.south", "吴工", Role::FirstLineEngineer, Some(hardware)),
        ("specialist1", "冯专员", Role::ProjectSpecialist, None),
        ("pm1", "陈经理", Role::ProjectManager, None),
        ("gm1", "王总", Role::GeneralManager, None),
    ] {
        let u = app.create_user(None, &user(username, name, role, group)).await.map_err(app_err("staff"))?;
        staff.push(actor(u));
    }
    let (desk, dispatcher, engineer, specialist) = (&staff[0], &staff[1], &staff[4], &staff[5]);
    let customer = CustomerInput {
        name: Some("广州南粤印务有限公司".into()),
        short_name: Some("南粤印务".into()),
        region: Some("华南".into()),
        level: Some("A".into()),
        specialist_id: Some(specialist.id()),
        ..CustomerInput::default()
    };
    let customer = app.create_customer(&admin, &customer).await.map_err(app_err("customer"))?;
    let contact = ContactInput {
        name: Some("黄主任".into()),
        phone: Some("020-86001234".into()),
        department: Some("行政部".into()),
        ..ContactInput::default()
    };
    let contact = app.create_contact(&admin, customer.id, &contact).await.map_err(app_err("contact"))?;
    let device = DeviceInput {
        customer_id: Some(customer.id),
        model: Some("bizhub C300i".into()),
        serial: Some("B7C8-000456".into()),
        location: Some("3楼财务部".into()),
        ..DeviceInput::default()
    };
    let device = app.create_device(&admin, &device).await.map_err(app_err("device"))?;
    let registration = Registration {
        customer_id: Some(customer.id),
        contact_id: Some(contact.id),
        device_id: Some(device.id),
        category_id: Some(category),
        fault_code: Some("J-7012".into()),
        description: Some("复印时第二纸盒卡纸，面板报警 J-7012，取出后仍反复出现".into()),
        occurred_at: Some(app.now() - jiff::SignedDuration::from_mins(20)),
        impact_scope: Some("财务部一台复印机，无法打印报销单".into()),
        ..Registration::default()
    };
    let mut t = app
        .register(desk, &registration, None)
        .await
        .map_err(app_err("registering"))?
        .into_value()
        .map_err(app_err("registering"))?
        .ticket;
    for (who, cmd) in [
        (desk, Command::Accept),
        (desk, Command::Grade { level: "P1".into(), reason: "财务月结受阻".into() }),
        (dispatcher, Command::Dispatch { group_id: None, engineer_id: Some(engineer.id()) }),
    ] {
        let what = cmd.name();
        let outcome = app.act(who, t.id, Some(t.version), &cmd, None).await.map_err(app_err(what))?;
        t = outcome.into_value().map_err(app_err(what))?.ticket.ticket;
    }
    let conn = app.store().read();
    let ticket = aftersales_storage::tickets::by_id(conn, t.id).await?.context("the template ticket vanished")?;
    let jobs = aftersales_storage::notices::pending_jobs(conn, t.id).await?;
    Ok(Template { ticket, jobs })
}

/// What building the data took and made.
struct Built {
    template_id: Id,
    template_number: String,
    template: Duration,
    tickets: Duration,
    jobs: Duration,
    analyze: Option<Duration>,
    background_jobs: u64,
    due_jobs: u64,
    sweep_at: Timestamp,
}

async fn build(args: &SweepArgs, app: &App, clock: &AtomicI64) -> anyhow::Result<Built> {
    use aftersales_domain::notice::JobKind;
    let started = Instant::now();
    let tpl = template(app).await?;
    let template_took = started.elapsed();
    let t = &tpl.ticket;
    let response = tpl
        .jobs
        .iter()
        .find(|j| j.kind == JobKind::ResponseDue)
        .context("the template ticket has no response deadline job")?;
    let expected = format!("t{}:response_due:{}", t.id, response.due_at.as_millisecond());
    if response.key != expected {
        bail!("unexpected response job key {} (expected {expected})", response.key);
    }
    // The sweep runs 5 minutes after the response deadline: the deadline's job is due; the
    // reminders before it ran earlier (done); the resolution reminders, the end of the working
    // day and the three-day mark lie ahead.
    let sweep_at = response.due_at + jiff::SignedDuration::from_mins(5);
    clock.store(sweep_at.as_millisecond(), Ordering::SeqCst);
    let future: Vec<&aftersales_storage::notices::Job> = tpl.jobs.iter().filter(|j| j.due_at > sweep_at).collect();
    let copies = args.tickets - 1;

    let tx = app.store().write().await?;
    // The template's jobs due by now have run (as an earlier sweep would have run them).
    bulk::finish_due_jobs(&*tx, t.id, sweep_at).await?;
    eprintln!("copying ticket {} {} times …", t.number, copies);
    let step = Instant::now();
    let inserted = bulk::copy_ticket(&*tx, t.id, t.id, copies).await?;
    if inserted != copies {
        bail!("{inserted} tickets copied instead of {copies}");
    }
    let tickets_took = step.elapsed();

    eprintln!("scheduling {} future jobs per ticket and {} due ones …", future.len(), args.due);
    let step = Instant::now();
    let background_jobs = bulk::copy_jobs(&*tx, t.id, &future, t.id + 1, copies, t.updated_at).await?;
    // The due ones: the response deadline of `due` tickets spread over the copies, with the
    // key `schedule` gives a ticket with that id and deadline.
    let stride = copies / args.due;
    let due_jobs = bulk::spread_job(&*tx, t.id, response, stride, args.due, t.updated_at).await?;
    tx.commit().await?;
    let jobs_took = step.elapsed();
    let mut analyze = None;
    if app.store().backend() == aftersales_storage::Backend::Postgres {
        // The steady state of a database in service: fresh statistics and a vacuumed heap
        // (visibility map and hint bits set), as autovacuum leaves tables this size. Without
        // it autovacuum starts on the four million new job rows in the middle of the sweeps
        // and the first reads of each row write its hint bits. Only this schema's tables.
        eprintln!("VACUUM ANALYZE …");
        let step = Instant::now();
        bulk::vacuum(app.store(), Vacuum::SweepBuilt).await?;
        analyze = Some(step.elapsed());
    }
    Ok(Built {
        template_id: t.id,
        template_number: t.number.to_string(),
        template: template_took,
        tickets: tickets_took,
        jobs: jobs_took,
        analyze,
        background_jobs,
        due_jobs,
        sweep_at,
    })
}

/// Puts the due jobs back as they were before a sweep and deletes what it recorded.
async fn rearm(app: &App, template: Id) -> anyhow::Result<()> {
    let tx = app.store().write().await?;
    bulk::clear_sweep(&*tx, template).await?;
    tx.commit().await?;
    // Notices are never deleted in service, so their tables never hold dead rows with the
    // keys about to be stored again: clear those out, whether autovacuum runs or not.
    bulk::vacuum(app.store(), Vacuum::SweepCleared).await?;
    Ok(())
}

/// What one sweep recorded: notices, their recipients, deliveries queued.
async fn recorded(app: &App) -> anyhow::Result<(u64, usize, usize)> {
    use aftersales_storage::notices::{NoticeFilter, deliveries, list_notices};
    let conn = app.store().read();
    let (sample, total) = list_notices(conn, &NoticeFilter { limit: 1, ..NoticeFilter::default() }).await?;
    let recipients = sample.first().map_or(0, |n| n.recipients.len());
    let queued = deliveries(conn, None, None, 10).await?.len();
    Ok((total, recipients, queued))
}

async fn sweep_in(args: &SweepArgs, scratch: &Scratch) -> anyhow::Result<()> {
    let store = Store::connect(scratch.url()).await.context("opening the database")?;
    store.migrate().await.context("migrating")?;
    let start: Timestamp = jiff::Zoned::strptime("%Y-%m-%dT%H:%M:%S%:z", SWEEP_START)?.timestamp();
    let clock = Arc::new(AtomicI64::new(start.as_millisecond()));
    let c = clock.clone();
    // No SMTP relay and no robot routes: the sweep queues no deliveries ("excluding
    // network delivery"); in-app notices, recipients and history events are all recorded.
    let settings = Settings { email: false, ..Settings::default() };
    let app_tz = settings.time_zone.clone();
    let app = App::new(store.clone(), settings).with_clock(Arc::new(move || {
        Timestamp::from_millisecond(c.load(Ordering::SeqCst)).unwrap_or(Timestamp::UNIX_EPOCH)
    }));
    eprintln!("building {} open tickets with {} jobs due …", args.tickets, args.due);
    let started = Instant::now();
    let built = build(args, &app, &clock).await?;
    let build_took = started.elapsed();
    let filter = TicketFilter { limit: 1, ..TicketFilter::default() };
    let (_, tickets) = aftersales_storage::tickets::list(store.read(), &filter).await?;

    eprintln!("sweeping {} times …", args.runs);
    let mut took = Vec::with_capacity(args.runs);
    let mut recipients = 0;
    for run in 0..args.runs {
        if run > 0 {
            rearm(&app, built.template_id).await?;
        }
        let started = Instant::now();
        let n = app.run_due_jobs("bench", args.due).await.map_err(app_err("sweep"))?;
        let elapsed = started.elapsed();
        let (notices, per_notice, queued) = recorded(&app).await?;
        if n as u64 != args.due || notices != args.due {
            bail!("sweep {}: {n} jobs run and {notices} notices recorded, expected {} of each", run + 1, args.due);
        }
        if queued != 0 {
            bail!("sweep {}: {queued} deliveries queued, expected none", run + 1);
        }
        let again = app.run_due_jobs("bench", args.due).await.map_err(app_err("sweep"))?;
        if again != 0 {
            bail!("sweep {}: {again} jobs still due afterwards", run + 1);
        }
        recipients = per_notice;
        eprintln!("  sweep {}: {}", run + 1, ms(elapsed));
        took.push(elapsed);
    }
    let steps = if args.breakdown { breakdown(&app, args.due, built.template_id).await? } else { Vec::new() };
    store.close().await?;

    let mut sorted = took.clone();
    sorted.sort_unstable();
    let median = sorted[sorted.len() / 2];
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let secs = |d: Duration| format!("{:.1} s", d.as_secs_f64());
    println!();
    println!("aftersales bench sweep");
    println!("  backend      {}", scratch.describe());
    println!("  machine      {cores} cores");
    println!(
        "  data         {tickets} open tickets (P1, dispatched, response clock running): ticket {} made through the \
         use cases, the rest copies of it",
        built.template_number
    );
    println!(
        "               {} pending jobs ahead (resolution reminders, end of day, three days), {} due (response deadlines)",
        built.background_jobs, built.due_jobs
    );
    println!(
        "  build        {} (template {}, tickets {}, jobs {}{})",
        secs(build_took),
        ms(built.template),
        secs(built.tickets),
        secs(built.jobs),
        built.analyze.map(|d| format!(", VACUUM ANALYZE {}", secs(d))).unwrap_or_default()
    );
    println!(
        "  sweep        run_due_jobs(\"bench\", {}) at {}: claims the due jobs, checks each against its ticket, records",
        args.due,
        built.sweep_at.to_zoned(app_tz.clone()).strftime("%Y-%m-%d %H:%M %:z")
    );
    println!(
        "               {} response-timeout notices ({recipients} recipients each, in-app; no e-mail, no robots) with \
         history events, marks the jobs done; one transaction",
        args.due
    );
    println!("  runs         {}", took.iter().map(|d| ms(*d)).collect::<Vec<_>>().join(", "));
    println!("  min          {}", ms(sorted[0]));
    println!("  median       {}", ms(median));
    println!("  max          {}", ms(sorted[sorted.len() - 1]));
    let verdict = if median < Duration::from_millis(100) { "met" } else { "NOT met" };
    println!("  target       one sweep under 100 ms: {verdict} (median)");
    if !steps.is_empty() {
        println!("  breakdown    one more sweep, step by step through the storage calls it makes:");
        for (name, d) in &steps {
            println!("               {:>10}  {name}", ms(*d));
        }
    }
    Ok(())
}

/// One sweep step by step, through the storage calls `run_due_jobs` makes, each timed:
/// where a sweep's time goes. Returns the steps with their durations.
async fn breakdown(app: &App, due: u64, template: Id) -> anyhow::Result<Vec<(String, Duration)>> {
    use aftersales_domain::calendar::Calendar;
    use aftersales_domain::event::{Change, Event};
    use aftersales_domain::notice::{self, Audience};
    use aftersales_storage::{directory, notices, policy, tickets, users};
    rearm(app, template).await?;
    let conn = app.store().read();
    let specs = policy::calendars(conn).await?;
    let sets = policy::holiday_sets(conn).await?;
    let spec = specs.iter().find(|c| c.name == "cn").context("no cn calendar")?;
    let set = spec.holiday_set.as_deref().and_then(|n| sets.iter().find(|s| s.name == n));
    let cal = Calendar::compile(spec, set).map_err(|e| anyhow::anyhow!("compiling the calendar: {e}"))?;
    let now = app.now();
    let mut laps = Laps { steps: Vec::new(), lap: Instant::now() };
    let tx = app.store().write().await?;
    laps.step("begin".into());
    let jobs = notices::take_jobs(&*tx, "bench", now, due).await?;
    laps.step(format!("take {} jobs, marked done (one UPDATE … RETURNING)", jobs.len()));
    let mut ids: Vec<Id> = jobs.iter().map(|j| j.ticket_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let by_id: std::collections::HashMap<Id, aftersales_domain::ticket::Ticket> =
        tickets::by_ids(&*tx, &ids).await?.into_iter().map(|t| (t.id, t)).collect();
    let loaded = jobs
        .iter()
        .map(|j| by_id.get(&j.ticket_id).cloned().context("a ticket vanished"))
        .collect::<anyhow::Result<Vec<_>>>()?;
    laps.step(format!("read {} tickets in one query (tickets::by_ids)", by_id.len()));
    let mut specs = Vec::with_capacity(jobs.len());
    for (j, t) in jobs.iter().zip(&loaded) {
        if let Some(spec) = notice::evaluate(&j.key, j.kind, t, &cal) {
            specs.push((t, spec, j.due_at.min(now)));
        }
    }
    laps.step(format!("evaluate {} jobs (notice::evaluate)", jobs.len()));
    let _routes = notices::routes(&*tx).await?;
    let customer = match loaded.first() {
        Some(t) => directory::customer_by_id(&*tx, t.customer_id).await?,
        None => None,
    };
    let supervisors = users::active_with_role(&*tx, Role::Supervisor).await?;
    laps.step("look up routes, the customer's specialist, supervisors (once)".into());
    let rows: Vec<(Id, &aftersales_domain::notice::NoticeSpec, Timestamp)> =
        specs.iter().map(|(t, s, at)| (t.id, s, *at)).collect();
    let stored = notices::insert_notices(&*tx, &rows).await?;
    laps.step(format!("insert {} notices", stored.len()));
    let mut recipients = Vec::new();
    let mut events = Vec::new();
    for (id, (t, spec, at)) in stored.iter().zip(&specs) {
        let Some(id) = *id else { continue };
        for &u in &supervisors {
            recipients.push((id, u, Audience::Supervisor));
        }
        if let Some(s) = customer.as_ref().and_then(|c| c.specialist_id) {
            recipients.push((id, s, Audience::ProjectSpecialist));
        }
        events.push(Event {
            id: 0,
            ticket_id: t.id,
            at: *at,
            actor_id: 0,
            action: "notice".into(),
            changes: vec![Change::added("notice_kind", spec.kind.code())],
            note: Some(spec.subject_zh.clone()),
        });
    }
    notices::insert_recipients(&*tx, &recipients).await?;
    laps.step(format!("insert {} recipients", recipients.len()));
    notices::insert_events(&*tx, &events).await?;
    laps.step(format!("insert {} history events", events.len()));
    tx.commit().await?;
    laps.step("commit".into());
    Ok(laps.steps)
}

/// Durations of consecutive steps.
struct Laps {
    steps: Vec<(String, Duration)>,
    lap: Instant,
}

impl Laps {
    fn step(&mut self, name: String) {
        self.steps.push((name, self.lap.elapsed()));
        self.lap = Instant::now();
    }
}
