//! Tests of the `aftersales` binary as an operator runs it: real processes, real HTTP.
#![allow(clippy::unwrap_used)]

mod backup;
mod cli;
mod cluster;
mod config;
mod crash;
mod customer_mail;
mod notices;
mod server;
