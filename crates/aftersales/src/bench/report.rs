//! `aftersales bench report`: how long the server takes to make a signed service report's
//! PDF (issue 14: under 1 s, and under 300 KB without photos).
//!
//! Renders `app::reports::pdf::sample()` (a busy ticket's report: ten fields, twelve
//! work-log entries, five parts with serials, a quote, a drawn signature) with the shipped
//! font, one after another, and reports the median and the slowest, and the PDF's size.
//! The first rendering also reads the font (once per process) and is reported apart.

use std::time::{Duration, Instant};

use aftersales_app::reports::pdf;
use anyhow::{Context, bail};

use super::{ms, percentile};

#[derive(Debug, clap::Args)]
pub struct ReportArgs {
    /// Measured renderings (after the first, which also loads the font).
    #[arg(long, default_value_t = 50)]
    pub requests: usize,
}

pub async fn report(args: ReportArgs) -> anyhow::Result<()> {
    if args.requests == 0 {
        bail!("--requests must be at least 1");
    }
    let doc = pdf::sample();
    let started = Instant::now();
    let first = pdf::render(&doc).context("rendering the sample report")?;
    let cold = started.elapsed();
    let mut times: Vec<Duration> = Vec::with_capacity(args.requests);
    for _ in 0..args.requests {
        let t = Instant::now();
        let bytes = pdf::render(&doc).context("rendering the sample report")?;
        times.push(t.elapsed());
        std::hint::black_box(bytes);
    }
    times.sort_unstable();
    println!("service report PDF (A4, Chinese, embedded font subset, signature, no photos)");
    println!("  size          {} bytes ({:.1} KB)", first.len(), first.len() as f64 / 1024.0);
    println!("  first (font)  {}", ms(cold));
    println!("  median        {}", ms(percentile(&times, 50.0)));
    println!("  p95           {}", ms(percentile(&times, 95.0)));
    println!("  slowest       {}", ms(*times.last().unwrap_or(&Duration::ZERO)));
    Ok(())
}
