//! `/strategies/{strategy_id}/trades`: the views of a trade and its history, and the requests that change them.

mod request;
mod view;

pub use request::*;
pub use view::*;
