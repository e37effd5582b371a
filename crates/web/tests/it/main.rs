//! HTTP tests: the API as clients see it (status, headers, JSON), on SQLite and PostgreSQL.
#![allow(clippy::unwrap_used)]

mod access;
mod admin_catalog;
mod admin_directory;
mod admin_notices;
mod api;
mod attachments;
mod calendars;
mod callbacks;
mod edge;
mod evidence;
mod fees;
mod metrics;
mod notices;
mod occurred;
mod openapi;
mod pages;
mod phone_search;
mod reopen;
mod report_mail;
mod reporting;
mod subscriptions;
mod support;
mod ticket_order;
mod tokens;
mod unknown_fields;
mod words;
mod work_orders;
