//! Storage tests that need no app: databases made by earlier releases upgrade cleanly.
#![allow(clippy::unwrap_used)]

mod migrate_together;
mod upgrade;
