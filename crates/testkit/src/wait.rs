//! Waiting for what happens elsewhere (a server, a worker, a sink) by looking again and
//! again until a deadline, instead of sleeping a fixed time and hoping.

use std::time::{Duration, Instant};

/// How long to pause between two looks.
const POLL: Duration = Duration::from_millis(20);

/// Asks `check` until it answers `Some`, and returns that; panics with `what` and the last
/// `Err` description when `deadline` has passed first.
pub async fn eventually<T>(deadline: Duration, what: &str, mut check: impl AsyncFnMut() -> Result<T, String>) -> T {
    let until = Instant::now() + deadline;
    loop {
        match check().await {
            Ok(value) => return value,
            Err(last) if Instant::now() >= until => panic!("{what} did not happen within {deadline:?}: {last}"),
            Err(_) => tokio::time::sleep(POLL).await,
        }
    }
}

/// Looks at `check` again and again for all of `window` and panics with `what` and the
/// description as soon as it fails: that nothing happens (no stray repeat) is only seen by
/// watching for a while.
pub async fn throughout(window: Duration, what: &str, mut check: impl AsyncFnMut() -> Result<(), String>) {
    let until = Instant::now() + window;
    while Instant::now() < until {
        if let Err(e) = check().await {
            panic!("{what} stopped holding: {e}");
        }
        tokio::time::sleep(POLL).await;
    }
}
