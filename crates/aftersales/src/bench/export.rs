//! `aftersales bench export`: how fast the whole list behind a report's number downloads
//! as Excel and CSV, and whether memory grows with its length (issue 15: an XLSX export of
//! 100,000 rows in under 5 s, memory that does not grow with the row count).
//!
//! The data is `aftersales bench reporting`'s: the demo organization, then `--rows` copies
//! of one of its tickets with report facts, registered over the last 30 days. The server
//! runs in this process on a loopback port; a client signed in as the demo data specialist
//! (session cookie) downloads `/reporting/cell/export` (the monthly service report's
//! "all tickets" over the 30 days, then over the last 3 days, a tenth as long) and reads
//! the body to the end. Memory is the process's peak resident size while one download
//! runs (Linux: `VmHWM` after resetting it through `/proc/self/clear_refs`) above its size
//! before; server and client are both in it.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};

use super::reporting::{Loaded, load};
use super::{Scratch, Served, serve_signed_in};

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Tickets (with their report facts) registered over the last 30 days, besides the demo's.
    #[arg(long, default_value_t = 100_000)]
    pub rows: u64,
    /// Measured downloads of each list and format (after one to warm up).
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Database: default a new SQLite file in a temporary directory; or a postgres://… URL (a
    /// fresh schema is created in it and dropped afterwards).
    #[arg(long)]
    pub database_url: Option<String>,
}

pub async fn export(args: ExportArgs) -> anyhow::Result<()> {
    if args.runs == 0 || args.rows == 0 || args.rows > 1_000_000 {
        bail!("--runs must be at least 1 and --rows between 1 and 1,000,000 (Excel's limit)");
    }
    let scratch = Scratch::create(args.database_url.as_deref()).await?;
    let result = run(&args, &scratch).await;
    let removed = scratch.remove(false).await;
    result.and(removed)
}

/// A field of `/proc/self/status` in KiB (`VmRSS`, `VmHWM`); `None` off Linux.
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.trim_start_matches(field).trim_start_matches(':').trim().trim_end_matches("kB").trim().parse().ok()
}

/// Resets the peak resident size to the current one (Linux 4.0 and later).
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

struct Download {
    took: Duration,
    bytes: usize,
    /// Peak resident size above the size before the download, in KiB.
    grew_kib: Option<u64>,
}

async fn download(served: &Served, path: &str) -> anyhow::Result<Download> {
    let before = status_kib("VmRSS");
    let peak = reset_peak();
    let t = Instant::now();
    let mut res = served.client.get(format!("{}{path}", served.base)).header("cookie", &served.cookie).send().await?;
    if res.status() != reqwest::StatusCode::OK {
        let status = res.status();
        bail!("{path}: {status}: {}", res.text().await.unwrap_or_default());
    }
    let mut bytes = 0;
    let mut head = Vec::new();
    while let Some(chunk) = res.chunk().await? {
        if head.len() < 4 {
            head.extend_from_slice(&chunk[..chunk.len().min(4)]);
        }
        bytes += chunk.len();
    }
    let took = t.elapsed();
    let grew_kib = match (before, peak) {
        (Some(b), true) => status_kib("VmHWM").map(|p| p.saturating_sub(b)),
        _ => None,
    };
    if path.contains("format=xlsx") && !head.starts_with(b"PK") {
        bail!("{path}: the body is not an Excel (zip) file");
    }
    Ok(Download { took, bytes, grew_kib })
}

async fn run(args: &ExportArgs, scratch: &Scratch) -> anyhow::Result<()> {
    let Loaded { store, app, data, start, built, .. } = load(scratch, args.rows, 30).await?;
    let tz = app.settings().time_zone.clone();
    let first = start.to_zoned(tz.clone()).date();
    let today = app.now().to_zoned(tz).date();
    let tenth = today.checked_sub(jiff::Span::new().days(2))?;
    let served = serve_signed_in(&app, "data1").await?;
    // How many tickets each list holds: the screen's count of the same cell.
    let count = |from: jiff::civil::Date| {
        let app = app.clone();
        let data = data.clone();
        async move {
            let p = aftersales_app::reporting::CellParams {
                report: Some("monthly-service".into()),
                from: Some(from.to_string()),
                to: Some(today.to_string()),
                ..Default::default()
            };
            app.report_cell(&data, &p).await.map(|c| c.total).map_err(|e| anyhow::anyhow!("{e}"))
        }
    };

    println!("aftersales bench export");
    println!("  backend      {}", scratch.describe());
    println!("  machine      {} cores", std::thread::available_parallelism().map_or(0, |n| n.get()));
    println!(
        "  data         the demo and {} more tickets with report facts over 30 days; built in {:.1} s",
        args.rows,
        built.as_secs_f64()
    );
    println!(
        "  client       one, over loopback HTTP, signed in as data1, {} downloads of each after one to warm up",
        args.runs
    );
    println!("  memory       peak resident size during a download above the size before it (server and client)");
    let mut xlsx_full = Duration::ZERO;
    let mut growth: Vec<(String, i64, u64)> = Vec::new();
    for (from, what) in [(tenth, "3 days"), (first, "30 days")] {
        let rows = count(from).await?;
        for format in ["xlsx", "csv"] {
            let path = format!("/reporting/cell/export?report=monthly-service&from={from}&to={today}&format={format}");
            download(&served, &path).await.context("warming up")?;
            let mut runs = Vec::new();
            for _ in 0..args.runs {
                runs.push(download(&served, &path).await?);
            }
            runs.sort_by_key(|d| d.took);
            let median = &runs[runs.len() / 2];
            let worst = runs.last().context("no run")?;
            let grew = runs.iter().filter_map(|d| d.grew_kib).max();
            println!(
                "  {format:<4} {what:<8} {rows:>7} rows  median {:.2} s  max {:.2} s  {:.1} MB  memory +{}",
                median.took.as_secs_f64(),
                worst.took.as_secs_f64(),
                median.bytes as f64 / 1_048_576.0,
                grew.map_or("n/a".to_owned(), |k| format!("{:.1} MB", k as f64 / 1024.0)),
            );
            if format == "xlsx" && from == first {
                xlsx_full = worst.took;
            }
            if let Some(g) = grew {
                growth.push((format.to_owned(), rows, g));
            }
        }
    }
    served.server.abort();
    let flat = ["xlsx", "csv"].iter().all(|f| {
        let of: Vec<&(String, i64, u64)> = growth.iter().filter(|g| g.0 == *f).collect();
        // Ten times the rows may not take more than twice the memory (and 16 MB of slack for
        // buffers and the allocator).
        of.len() == 2 && of[1].2 <= of[0].2 * 2 + 16 * 1024
    });
    println!(
        "  targets      the {}-row Excel file under 5 s: {}; memory flat from a tenth to all rows: {}",
        args.rows,
        if xlsx_full < Duration::from_secs(5) { "met" } else { "NOT met" },
        if growth.is_empty() {
            "not measurable here"
        } else if flat {
            "met"
        } else {
            "NOT met"
        }
    );
    store.close().await?;
    Ok(())
}
