//! The worker against real peers on 127.0.0.1: an SMTP server and a WeCom robot stand-in.
#![allow(clippy::unwrap_used)]

mod background;
mod upgrade;
mod worker;
