//! The collector service (see ARCHITECTURE.md): ingest, store, detection,
//! localization, alerts and the HTTP API.
//!
//! Pure, synchronous logic: [`locate`] (received-power localization),
//! [`detect`] (one analyzer per file, scoring), [`engine`] (fusion into
//! suspects), [`ingest`] (topic + payload → accepted message or rejection),
//! [`opencellid`] (known-cell CSV) and [`config`]. Thin adapters around it:
//! [`store`] (sled) and [`service`] (embedded rumqttd or an external broker,
//! alerts, webhooks, the axum HTTP API; `collector/openapi.yaml`) and [`web`]
//! (the analyst map page, embedded at build time from `collector/web`).

pub mod config;
pub mod detect;
pub mod engine;
pub mod ingest;
pub mod locate;
pub mod opencellid;
pub mod service;
pub mod store;
pub mod web;
