//! Quantarya's file formats, read into (and written from) domain values: pure codecs, no I/O, so that the HTTP
//! service and any service embedding the domain read a file the same way.
//!
//! - [`tradingview`]: TradingView's "List of trades" export (both header generations), with the rules that make
//!   its rows trades: pairing entry and exit rows, times in the chart's time zone ([`time_zone`]), run-up and
//!   drawdown as the best and worst prices reached ([`excursions`]).
//! - [`quantarya`]: Quantarya's own export, every field of every trade, which reads back exactly as it was written.
//!
//! A file is read whole or refused whole: [`LineErrors`] names every bad line by its number.
//!
//! ```
//! use quantarya_domain::PointValue;
//! use quantarya_formats::tradingview::{self, ListOptions};
//! let options = ListOptions { time_zone: chrono_tz::UTC, point_value: PointValue::default() };
//! let broken = "Trade #,Type,Date/Time,Price USD,Contracts\n1,Entry long,yesterday,100,1\n";
//! let errors = tradingview::read(broken.as_bytes(), &options).expect_err("a bad date");
//! assert_eq!(errors.lines()[0].line, 2);
//! assert!(errors.lines()[0].message.contains("yesterday"));
//! ```

#![warn(missing_docs)]

mod detect;
mod errors;
pub mod excursions;
mod lines;
pub mod quantarya;
pub mod time_zone;
pub mod tradingview;

pub use detect::detect;
pub use errors::{LineError, LineErrors};
