//! Use-case tests, each on SQLite and PostgreSQL (`db_test!`).
#![allow(clippy::unwrap_used)]

mod attachments;
mod callbacks;
mod clocks;
mod fees;
mod notices;
mod parts;
mod portal;
mod reporting;
mod reports;
mod sessions;
mod support;
mod tickets;
mod visits;
mod work_orders;
