//! Tests of the demo organization, made through the real use cases.
#![allow(clippy::unwrap_used)]

mod demo;
