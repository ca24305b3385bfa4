//! Localization of an emitter from received power at fixed sensors.
//!
//! Pure and synchronous. Work in a local east-north frame ([`geo::LocalFrame`]),
//! describe each sensor's report as a [`model::Reading`] (heard at a power, or
//! not heard: below its noise floor), and call [`ml::Solver::locate`]:
//!
//! 1. the log-distance model `P = P0 − 10·n·log10(d) + N(0, σ²)`, with the
//!    transmit power `P0` profiled out (closed form given the position, Newton
//!    steps when censored sensors take part);
//! 2. a grid search over the profiled likelihood, then Levenberg–Marquardt on
//!    `(x, y, P0)`;
//! 3. a 95 % error ellipse: from the expected Fisher information at the
//!    estimate, or the ellipse covering the likelihood-ratio region when larger;
//! 4. "not localizable" when fewer than four sensors heard the cell, the
//!    geometry is degenerate, or the estimate lies outside the sensors' hull.
//!
//! [`calibrate()`] fits the exponent, the shadowing σ and per-sensor offsets from
//! cells whose position is known; [`crb()`] gives the Cramér–Rao bound of a
//! geometry; [`centroid`] is the weighted-centroid baseline; [`sim`] makes
//! seeded test sets.

pub mod calibrate;
pub mod centroid;
pub mod crb;
pub mod ellipse;
pub mod geo;
pub mod ml;
pub mod model;
pub mod sim;

pub use calibrate::{calibrate, Calibration, CalibrationError, CalibrationOptions, KnownReading};
pub use centroid::weighted_centroid;
pub use crb::{crb, Crb};
pub use ellipse::Ellipse;
pub use geo::{Enu, Hull, LocalFrame};
pub use ml::{Estimate, NotLocalizable, Solver};
pub use model::{PathLoss, Reading, ReadingValue};
