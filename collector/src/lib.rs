//! The collector service (see ARCHITECTURE.md): ingest, store, detection,
//! localization, alerts and the HTTP API.
//!
//! Pure logic — [`locate`] and [`detect`] — is synchronous and free of I/O;
//! the service modules around it are thin adapters.

pub mod locate;
pub mod detect;
