//! Property tests of the domain rules.
#![allow(clippy::unwrap_used)]
#![recursion_limit = "256"]

mod calendar;
mod clock;
mod lifecycle;
